"""Running ``assay``: in this process through its entry point, or as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from assay.cli.app import main


@dataclass
class Result:
    """What a run of ``assay`` produced."""

    exit_code: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    """Run ``assay ARGS`` in this process via :func:`assay.cli.app.main` and capture output."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return Result(code, out, err)


def run_process(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, cwd: Path | None = None
) -> Result:
    """Run ``python -m assay ARGS`` as a real subprocess (in ``cwd``, when given)."""
    completed = subprocess.run(
        [sys.executable, "-m", "assay", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
        cwd=cwd,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)
