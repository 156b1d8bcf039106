"""``assay audit coverage``: which test items of the testing methodology, or which categories
of the AI-ethics metric typology, a spec covers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from assay.cli.audit.app import SpecArgument
from assay.cli.common import FormatOption, OutputFormat, OutputOption, emit
from assay.files.spec import load_spec
from assay.services.listings import coverage_of, ethics_coverage_of

__all__ = ["coverage"]


class CoverageBy(StrEnum):
    """What coverage is counted against."""

    test_items = "test-items"
    ethics = "ethics"


def coverage(
    spec: SpecArgument,
    by: Annotated[
        CoverageBy,
        typer.Option(
            "--by",
            help="test-items: the IML4E testing methodology's test items; ethics: the seven "
            "categories of the AI-ethics metric typology (data, model, system, process, "
            "business, user, domain).",
        ),
    ] = CoverageBy.test_items,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Which test items of the IML4E testing methodology (phases of 001 §5.3) the spec covers
    with automated measurements, and which it does not; with `--by ethics`, which ethical
    aspects (001 §5.1) its measurements measure."""
    loaded = load_spec(spec)
    if by is CoverageBy.ethics:
        data = ethics_coverage_of(loaded)
        table = Table(
            "category",
            "measured by",
            title=f"{data['covered']} of {len(data['categories'])} ethics categories measured",
        )
        for category in data["categories"]:
            table.add_row(
                f"{category['name']} ({category['id']})",
                Text(", ".join(category["measurements"]), style="green")
                if category["covered"]
                else Text("not measured", style="yellow"),
            )
        emit(output, fmt, data, table)
        return
    data = coverage_of(loaded)
    table = Table(
        "phase",
        "test item",
        "covered by",
        title=f"{data['covered']} of {data['items']} test items covered",
    )
    for phase in data["phases"]:
        for item in phase["items"]:
            table.add_row(
                phase["name"],
                f"{item['name']} ({item['id']})",
                Text(", ".join(item["measurements"]), style="green")
                if item["covered"]
                else Text("not covered", style="yellow"),
            )
    emit(output, fmt, data, table)
