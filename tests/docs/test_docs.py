"""Every tutorial in docs/tutorials runs as written: its ``sh`` blocks, in order, in a fresh
directory with a fresh ASSAY_HOME, under ``bash -euo pipefail`` (a command that fails stops
the tutorial, so the docs cannot drift from the code)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import REPO

TUTORIALS = sorted((REPO / "docs" / "tutorials").glob("*.md"))
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def shell_of(tutorial: Path) -> str:
    """The tutorial's ``sh`` blocks as one script."""
    return "\n".join(SHELL_BLOCK.findall(tutorial.read_text(encoding="utf-8")))


def test_every_tutorial_has_commands() -> None:
    assert len(TUTORIALS) >= 5
    for tutorial in TUTORIALS:
        assert "assay " in shell_of(tutorial), tutorial.name


@pytest.mark.parametrize("tutorial", TUTORIALS, ids=lambda path: path.stem)
def test_the_tutorial_runs_as_written(tutorial: Path, tmp_path: Path) -> None:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("ASSAY_", "MLFLOW_"))
    }
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment["ASSAY_HOME"] = str(tmp_path / "home")
    completed = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", shell_of(tutorial)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{tutorial.name} stopped (exit {completed.returncode}):\n"
        f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    )


def test_the_cli_reference_is_current(tmp_path: Path) -> None:
    written = tmp_path / "cli.md"
    subprocess.run(
        [sys.executable, "-m", "assay.cli.reference", str(written)],
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8"},
        check=True,
        timeout=120,
    )
    shipped = REPO / "docs" / "reference" / "cli.md"
    assert written.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8"), (
        "docs/reference/cli.md is stale: run make reference"
    )


def test_the_readme_audit_example_runs_as_written_from_any_directory(tmp_path: Path) -> None:
    """The README's attest-then-gate commands, run from another directory (paths to the clone
    made absolute): the gate passes, exit 0, and the JUnit file is written where it said."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Using it", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    script = block.replace("\\\n", " ")
    commands = [line for line in script.splitlines() if "credit-model" in line]
    assert [c.split()[2] for c in commands] == ["attest", "run"]
    assay = str(Path(sys.executable).parent / "assay")
    environment = {"PATH": os.environ["PATH"], "ASSAY_HOME": str(tmp_path / "home")}
    for command in commands:
        command = command.replace(".venv/bin/assay", assay).replace(" src/", f" {REPO}/src/")
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
    assert (tmp_path / "junit.xml").exists()
