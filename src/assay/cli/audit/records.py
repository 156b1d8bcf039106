"""``assay audit attest`` and ``waive``: what people record beside runs."""

from __future__ import annotations

from typing import Annotated

import typer

from assay.cli.audit.app import ByOption, SpecArgument, TargetOption, now
from assay.cli.common import DbOption, store_from_option
from assay.files.spec import load_spec
from assay.services import audit_actions

__all__ = ["attest", "waive"]


def attest(
    spec: SpecArgument,
    element: Annotated[str, typer.Argument(help="The id of the element attested.")],
    by: ByOption,
    value: Annotated[
        str,
        typer.Option(
            "--value",
            help="The value (for a measurement) or the verdict pass/fail (for any other element).",
            show_default=False,
        ),
    ],
    expires: Annotated[
        str,
        typer.Option(
            "--expires",
            help="When it stops counting: a duration (P90D) or a date.",
            show_default=False,
        ),
    ],
    evidence: Annotated[
        list[str] | None,
        typer.Option("--evidence", help="A link to the evidence (repeat for several)."),
    ] = None,
    target: TargetOption = None,
    db: DbOption = None,
) -> None:
    """Record what no collector can measure: a person's value or verdict for an element, with
    evidence and an expiry. After the expiry the element is stale."""
    loaded = load_spec(spec)
    with store_from_option(db) as store:
        payload = audit_actions.attest(
            store,
            loaded,
            element,
            by=by,
            value=value,
            evidence=evidence or [],
            expires=expires,
            target=target,
            now=now(),
        )
    typer.echo(f"attested {element} = {payload['value']!r} by {by}, until {payload['expires']}")


def waive(
    spec: SpecArgument,
    element: Annotated[
        str, typer.Argument(help="The id of the element whose failure is accepted.")
    ],
    by: ByOption,
    justification: Annotated[
        str,
        typer.Option("--justification", help="Why the failure is accepted.", show_default=False),
    ],
    expires: Annotated[
        str,
        typer.Option(
            "--expires", help="Until when: a date or a duration (P30D).", show_default=False
        ),
    ],
    target: TargetOption = None,
    db: DbOption = None,
) -> None:
    """Accept a known failure until a date: it is reported as waived (never as pass) in every
    report, and stops applying by itself when it expires."""
    loaded = load_spec(spec)
    with store_from_option(db) as store:
        payload = audit_actions.waive(
            store,
            loaded,
            element,
            by=by,
            justification=justification,
            expires=expires,
            target=target,
            now=now(),
        )
    typer.echo(f"waived failures of {element} by {by}, until {payload['expires']}")
