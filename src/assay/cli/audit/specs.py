"""``assay audit validate`` and ``schema``: the specification format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assay.audit.spec import Specification, walk
from assay.cli.audit.app import SpecArgument
from assay.cli.common import open_output
from assay.files.spec import load_spec

__all__ = ["schema", "validate"]


def validate(spec: SpecArgument) -> None:
    """Check a specification and list every problem at once (exit 2 when there is one)."""
    loaded = load_spec(spec)
    counts: dict[str, int] = {}
    for _, element in walk(loaded.spec):
        kind = type(element).__name__.lower()
        counts[kind] = counts.get(kind, 0) + 1
    typer.echo(
        f"{spec}: valid — {counts.get('dimension', 0)} dimensions, "
        f"{counts.get('requirement', 0)} requirements, {counts.get('metric', 0)} metrics, "
        f"{counts.get('measurement', 0)} measurements (sha256 {loaded.hash[:12]})"
    )


def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file instead of standard output.", dir_okay=False
        ),
    ] = None,
) -> None:
    """Write the JSON Schema of the specification format."""
    document = Specification.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "assay conformity specification"
    with open_output(output) as stream:
        stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
