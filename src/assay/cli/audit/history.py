"""``assay audit history``: a specification's verdicts over time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    emit,
    existing_store,
)
from assay.errors import InvalidInputError
from assay.files.spec import load_spec
from assay.reports.audit_terminal import OUTCOME_STYLES
from assay.services.listings import run_history

__all__ = ["history"]


def history(
    spec: Annotated[str, typer.Argument(help="A spec id, or a spec file.")],
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The verdicts of a specification's runs over time."""
    spec_id = _spec_id(spec)
    with existing_store(db) as store:
        rows = run_history(store, spec_id, target)
    table = Table("finished", "target", "verdict", "outcomes", "run", "spec sha256")
    for row in rows:
        table.add_row(
            row["finished"][:19],
            row["target"],
            Text(row["verdict"], style=OUTCOME_STYLES.get(row["verdict"], "")),
            ", ".join(f"{n} {k}" for k, n in sorted(row["outcomes"].items())),
            row["run_id"],
            row["spec_hash"][:12],
        )
    if not rows:
        typer.echo(f"no runs of {spec_id} recorded", err=True)
    emit(output, fmt, rows, table)


def _spec_id(reference: str) -> str:
    """A spec id given as itself or as a spec file; a reference that looks like a file (a path
    or a YAML/JSON name) must be one."""
    path = Path(reference)
    if path.is_file():
        return load_spec(path).spec.id
    if path.suffix.lower() in (".yaml", ".yml", ".json") or len(path.parts) > 1:
        raise InvalidInputError(
            "no such spec file", source=reference, expected="a spec file, or a spec id"
        )
    if not SPEC_ID.match(reference):
        raise InvalidInputError(
            f"{reference!r} is not a spec id",
            source="SPEC",
            expected="a spec id (lowercase letters, digits, '-', '_', '.') or a spec file",
        )
    return reference


SPEC_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
