"""``assay audit status``: the conformity status of every (spec, target) now."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from assay.audit.status import Status
from assay.cli.audit.app import now
from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    emit,
    existing_store,
)
from assay.services import audit_actions

__all__ = ["STATUS_STYLES", "status"]

STATUS_STYLES = {
    Status.conformant: "green",
    Status.non_conformant: "bold red",
    Status.unknown: "yellow",
    Status.expired: "yellow",
}


def status(
    spec: Annotated[str | None, typer.Option("--spec", help="Only this spec id.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The conformity status of every (spec, target) that has runs, with its certificates."""
    with existing_store(db) as store:
        rows = [
            row
            for row in audit_actions.current_statuses(store, now(), record=False)
            if (spec is None or row.spec == spec) and (target is None or row.target == target)
        ]
    table = Table("spec", "target", "status", "why", "certificates")
    for row in rows:
        table.add_row(
            row.spec,
            row.target,
            Text(row.status.value, style=STATUS_STYLES[row.status]),
            row.reason,
            ", ".join(f"{c} ({s})" for c, s in row.certificates.items()),
        )
    if not rows:
        typer.echo("no audit runs recorded yet", err=True)
    emit(output, fmt, [row.to_dict() for row in rows], table)
