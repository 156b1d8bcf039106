"""``assay audit certify``, ``revoke`` and ``certificates``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from assay.cli.audit.app import SpecArgument, now
from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    emit,
    existing_store,
    store_from_option,
)
from assay.files.spec import load_spec
from assay.services import audit_actions
from assay.services.listings import certificate_rows

__all__ = ["certificates", "certify", "revoke"]


def certify(
    spec: SpecArgument,
    target: Annotated[
        str, typer.Option("--target", help="The target certified.", show_default=False)
    ],
    valid_for: Annotated[
        str, typer.Option("--valid-for", help="How long it is valid: P90D, or a date.")
    ] = "P90D",
    by: Annotated[str | None, typer.Option("--by", help="Who issues it.")] = None,
    db: DbOption = None,
) -> None:
    """Issue a certificate when the target is conformant (exit 1, nothing issued, when not).
    A later failing run suspends it automatically."""
    loaded = load_spec(spec)
    with store_from_option(db) as store:
        payload = audit_actions.certify(
            store, loaded, target, valid_for=valid_for, by=by, now=now()
        )
    typer.echo(
        f"issued {payload['certificate']}: {target} conforms to {loaded.spec.id} "
        f"(run {payload['run_id']}), valid until {payload['valid_until']}"
    )


def revoke(
    certificate: Annotated[str, typer.Argument(help="The certificate id (cert-…).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is revoked.", show_default=False)],
    db: DbOption = None,
) -> None:
    """Revoke a certificate for good, with a reason."""
    with store_from_option(db) as store:
        audit_actions.revoke(store, certificate, reason=reason, now=now())
    typer.echo(f"revoked {certificate}: {reason}")


def certificates(
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Every certificate with its state: active, suspended, revoked or expired."""
    with existing_store(db) as store:
        rows = [row.to_dict() for row in certificate_rows(store, now())]
    table = Table("certificate", "spec", "target", "state", "valid until", "last event")
    for row in rows:
        last = row["events"][-1]
        table.add_row(
            row["certificate"],
            row["spec"],
            row["target"],
            row["state"],
            row["valid_until"][:10],
            f"{last['event']} {last['at'][:19]} {last.get('reason') or ''}".strip(),
        )
    emit(output, fmt, rows, table)
