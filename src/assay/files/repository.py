"""A repository directory as the scan reads it: regular files only (symbolic links are never
followed, so nothing outside the directory is read), vendored and generated directories left
out, text capped in size, YAML and JSON through the one strict loader."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from assay.errors import InvalidInputError
from assay.files.documents import LoadedDocument, parse_document

__all__ = ["MAX_TEXT_BYTES", "DirectoryTree", "repository_commits"]

MAX_TEXT_BYTES = 1_000_000  # larger files are not read as text (data, models, minified code)
SKIPPED_DIRECTORIES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        ".eggs",
        "site-packages",
        ".ipynb_checkpoints",
    }
)


class DirectoryTree:
    """The files under ``root`` (a :class:`assay.scan.tree.Tree`)."""

    def __init__(self, root: Path) -> None:
        if not root.exists():
            raise InvalidInputError(
                "no such directory", source=str(root), expected="a repository directory"
            )
        if not root.is_dir():
            raise InvalidInputError(
                "this is not a directory", source=str(root), expected="a repository directory"
            )
        self.root = root.resolve()
        self._paths = tuple(sorted(self._walk()))
        self._known = frozenset(self._paths)
        self._bytes: dict[str, bytes | None] = {}
        self._documents: dict[str, LoadedDocument | None] = {}
        self._git_dir = _git_dir(self.root)
        self._commit = _head_commit(self._git_dir) if self._git_dir else None

    def _walk(self) -> list[str]:
        found: list[str] = []
        stack = [("", self.root)]
        while stack:
            prefix, directory = stack.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            for entry in entries:
                if entry.is_symlink():
                    continue
                relative = f"{prefix}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in SKIPPED_DIRECTORIES or entry.name.endswith(".egg-info"):
                        continue
                    if relative == ".dvc/cache":
                        continue
                    stack.append((relative + "/", Path(entry.path)))
                elif entry.is_file(follow_symlinks=False):
                    found.append(relative)
        return found

    @property
    def paths(self) -> tuple[str, ...]:
        """Every regular file, relative, sorted."""
        return self._paths

    @property
    def commit(self) -> str | None:
        """The commit checked out, read from the git directory (no git program needed)."""
        return self._commit

    @property
    def git_dir(self) -> Path | None:
        """The repository's git directory, when there is one."""
        return self._git_dir

    def _read(self, path: str) -> bytes | None:
        if path not in self._known:  # only files of the walk, never a path built from input
            return None
        if path not in self._bytes:
            try:
                with open(self.root / path, "rb") as stream:
                    data = stream.read(MAX_TEXT_BYTES + 1)
            except OSError:
                data = None
            self._bytes[path] = data
        return self._bytes[path]

    def text(self, path: str) -> str | None:
        """UTF-8 text of a file up to :data:`MAX_TEXT_BYTES`; None for binary or larger files."""
        data = self._read(path)
        if data is None or len(data) > MAX_TEXT_BYTES or b"\0" in data[:8192]:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def sha256(self, path: str) -> str:
        """The SHA-256 of the whole file (streamed for large files)."""
        data = self._read(path)
        if data is not None and len(data) <= MAX_TEXT_BYTES:
            return hashlib.sha256(data).hexdigest()
        digest = hashlib.sha256()
        if path not in self._known:
            return digest.hexdigest()
        with open(self.root / path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def document(self, path: str) -> LoadedDocument | None:
        """The file through the strict YAML/JSON loader, None when it is not a document."""
        if path not in self._documents:
            text = self.text(path)
            parsed = None
            if text is not None:
                try:
                    parsed = parse_document(text, path)
                except InvalidInputError:
                    parsed = None
            self._documents[path] = parsed
        return self._documents[path]


def _git_dir(root: Path) -> Path | None:
    for directory in (root, *root.parents):
        candidate = directory / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = candidate.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = (directory / text.split(":", 1)[1].strip()).resolve()
                return target if target.is_dir() else None
    return None


def _head_commit(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head if len(head) in (40, 64) else None
    ref = head.split(":", 1)[1].strip()
    common = git_dir
    commondir = git_dir / "commondir"
    if commondir.is_file():
        common = (git_dir / commondir.read_text(encoding="utf-8").strip()).resolve()
    for base in (git_dir, common):
        try:
            return (base / ref).read_text(encoding="utf-8").strip()
        except OSError:
            pass
    try:
        for line in (common / "packed-refs").read_text(encoding="utf-8").split("\n"):
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except OSError:
        pass
    return None


def repository_commits(tree: DirectoryTree, limit: int = 100_000) -> frozenset[str]:
    """Every commit reachable from the repository's refs (``git rev-list --all``), or only the
    checked-out commit when git is not installed."""
    known = {tree.commit} if tree.commit else set()
    if tree.git_dir is None:
        return frozenset(known)
    try:
        listed = subprocess.run(
            # The repository is not trusted: no fsmonitor or other configured program runs.
            [
                "git",
                "-c",
                "core.fsmonitor=false",
                "--git-dir",
                str(tree.git_dir),
                "rev-list",
                "--all",
                f"--max-count={limit}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset(known)
    return frozenset(known | {line for line in listed.stdout.split() if line})
