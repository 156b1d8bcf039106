"""The ``assay audit`` group and the options its commands share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["ByOption", "SpecArgument", "TargetOption", "app", "now"]

app = typer.Typer(
    help="Continuous audit-based certification: specifications, runs, gates, reports, status "
    "and certificates.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

SpecArgument = Annotated[
    Path, typer.Argument(help="The specification file (YAML or JSON).", dir_okay=False)
]
TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="The target it concerns (default: every target for attestations and waivers, "
        "the spec's target otherwise).",
        show_default=False,
    ),
]
ByOption = Annotated[str, typer.Option("--by", help="Who records it (a name).", show_default=False)]


def now() -> datetime:
    """The time an action is recorded at."""
    return datetime.now(UTC)
