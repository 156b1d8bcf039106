"""``assay audit coverage``: which test items of the testing methodology a spec covers."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from assay.cli.audit.app import SpecArgument
from assay.cli.common import FormatOption, OutputFormat, OutputOption, emit
from assay.files.spec import load_spec
from assay.services.listings import coverage_of

__all__ = ["coverage"]


def coverage(
    spec: SpecArgument,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Which test items of the IML4E testing methodology (phases of 001 §5.3) the spec covers
    with automated measurements, and which it does not."""
    data = coverage_of(load_spec(spec))
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
