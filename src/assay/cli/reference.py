"""The CLI reference page, written from the commands' own ``--help``:
``python -m assay.cli.reference docs/reference/cli.md`` (a test checks that it is current)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from assay.cli.app import app

__all__ = ["cli_reference"]

WIDTH = "100"


def _commands(group: Any, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every command path below ``group`` (a Typer group: it has ``commands``)."""
    found = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        if hasattr(command, "commands"):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def cli_reference() -> str:
    """Markdown with the help of every command, in the order ``assay --help`` lists them."""
    root = typer.main.get_command(app)
    runner = CliRunner()
    sections = [
        "# CLI reference",
        "",
        "Written from each command's `--help` by `python -m assay.cli.reference`; a test keeps "
        "it current.",
    ]
    environment = {
        "COLUMNS": WIDTH,
        "TERM": "dumb",
        "NO_COLOR": "1",
        "_TYPER_FORCE_DISABLE_TERMINAL": "1",
    }
    for path in _commands(root, ()):
        result = runner.invoke(app, [*path, "--help"], env=environment, prog_name="assay")
        title = " ".join(("assay", *path))
        help_text = "\n".join(line.rstrip() for line in result.output.strip().splitlines())
        sections += ["", f"## `{title}`", "", "```text", help_text, "```"]
    return "\n".join(sections) + "\n"


if __name__ == "__main__":
    os.environ["COLUMNS"] = WIDTH
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/reference/cli.md")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(cli_reference(), encoding="utf-8")
