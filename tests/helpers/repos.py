"""Fixture repositories made in the tests: files written, then committed with the real git."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from assay.services.scan import scan_path

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.org",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.org",
    "GIT_AUTHOR_DATE": "2026-11-01T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-01T12:00:00Z",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
    "HOME": "/nonexistent",
}


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path → text or bytes) under ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity and dates; return its standard output."""
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, env=_GIT_ENV, check=True
    )
    return done.stdout.strip()


def make_repo(root: Path, files: dict[str, str | bytes], *, commit: bool = True) -> str | None:
    """A git repository at ``root`` holding ``files`` in one commit; returns the commit id."""
    write_files(root, files)
    if not commit:
        return None
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fixture")
    return git(root, "rev-parse", "HEAD")


def scan_findings(root: Path, **options: Any) -> dict[str, dict[str, Any]]:
    """Scan ``root`` and return its findings by probe id."""
    document = scan_path(root, project="fixture", **options)
    return {finding["id"]: finding for finding in document["findings"]}
