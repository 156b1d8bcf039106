"""``assay audit validate`` and ``schema``: the specification format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assay.audit.spec import json_schema, walk
from assay.cli.common import announce, open_output
from assay.errors import InvalidInputError
from assay.files.spec import load_spec

__all__ = ["schema", "validate"]


def validate(
    specs: Annotated[
        list[Path],
        typer.Argument(
            help="The specification files (YAML or JSON); pre-commit passes several.",
            dir_okay=False,
            show_default=False,
        ),
    ],
) -> None:
    """Check specifications and list every problem of each at once (exit 2 when one has a
    problem; the others are still checked)."""
    refused: list[InvalidInputError] = []
    for spec in specs:
        try:
            loaded = load_spec(spec)
        except InvalidInputError as error:
            refused.append(error)
            continue
        counts: dict[str, int] = {}
        for _, element in walk(loaded.spec):
            kind = type(element).__name__.lower()
            counts[kind] = counts.get(kind, 0) + 1
        typer.echo(
            f"{spec}: valid — {counts.get('dimension', 0)} dimensions, "
            f"{counts.get('requirement', 0)} requirements, {counts.get('metric', 0)} metrics, "
            f"{counts.get('measurement', 0)} measurements (sha256 {loaded.hash[:12]})"
        )
    if len(refused) == 1 and len(specs) == 1:
        raise refused[0]
    for refusal in refused:
        typer.echo(f"assay: error: {refusal.message}", err=True)
    if refused:
        raise InvalidInputError(f"{len(refused)} of {len(specs)} specifications are not valid")


def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file instead of standard output.", dir_okay=False
        ),
    ] = None,
) -> None:
    """Write the JSON Schema of the specification format."""
    document = json_schema()
    with open_output(output) as stream:
        stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    announce(output)
