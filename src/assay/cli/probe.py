"""``assay probe``: data quality, drift, performance and fairness measurements on data files."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table as RichTable

from assay.cli.common import FormatOption, OutputFormat, OutputOption, announce, emit, open_output
from assay.cli.progress import progress
from assay.collectors import CollectionError
from assay.collectors.probe import choose_engine, compute_probe
from assay.errors import InvalidInputError
from assay.files.documents import parse_yaml_value
from assay.probes.catalog import PROBES

app = typer.Typer(
    help="Probes: data quality, drift, model performance and fairness computed from CSV or "
    "Parquet files.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

_DATA_SET = "a CSV or Parquet file, or a directory of Parquet files"
FileOption = Annotated[Path | None, typer.Option(show_default=False, help=f"Data: {_DATA_SET}.")]
TextOption = Annotated[str | None, typer.Option(show_default=False)]


class EngineChoice(StrEnum):
    """How a probe is computed (every engine gives the same figures)."""

    memory = "memory"
    duckdb = "duckdb"
    spark = "spark"
    auto = "auto"


EngineOption = Annotated[
    EngineChoice,
    typer.Option(
        "--engine",
        help="memory (read the files into memory), duckdb (DuckDB scans them out of core, "
        "for data larger than memory: drift and quality probes), spark (Spark, local or "
        "the cluster ASSAY_SPARK_MASTER names: the same probes) or auto (duckdb when the "
        "data would take more than half of the memory).",
    ),
]


@app.command("list")
def list_probes(fmt: FormatOption = OutputFormat.table, output: OutputOption = None) -> None:
    """Every probe: what it computes, its inputs and parameters."""
    rows = [
        {
            "name": probe.name,
            "description": probe.description,
            "needs": list(probe.needs),
            "parameters": list(probe.parameters),
            "test_items": list(probe.test_items),
        }
        for probe in PROBES.values()
    ]
    table = RichTable("probe", "what it computes", "needs", "parameters")
    for probe in PROBES.values():
        table.add_row(
            probe.name, probe.description, ", ".join(probe.needs), ", ".join(probe.parameters)
        )
    emit(output, fmt, rows, table)


@app.command()
def run(
    name: Annotated[str, typer.Argument(help="A probe name from `assay probe list`.")],
    reference: FileOption = None,
    current: FileOption = None,
    predictions: FileOption = None,
    model: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="A model saved with joblib/pickle (trusted files only).",
            show_default=False,
        ),
    ] = None,
    column: TextOption = None,
    columns: Annotated[
        list[str] | None, typer.Option("--columns", help="Only these columns (repeat).")
    ] = None,
    sensitive: TextOption = None,
    label: TextOption = None,
    prediction: TextOption = None,
    score: TextOption = None,
    method: TextOption = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Another parameter as KEY=VALUE (VALUE read as YAML)."),
    ] = None,
    engine: EngineOption = EngineChoice.memory,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Compute one probe on data files and print its value with the inputs' hashes."""
    if name not in PROBES:
        raise InvalidInputError(
            f"unknown probe {name!r}", source="NAME", expected="a name from assay probe list"
        )
    given = {
        "column": column,
        "columns": columns or None,
        "sensitive": sensitive,
        "label": label,
        "prediction": prediction,
        "score": score,
        "method": method,
    }
    parameters: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    for item in param or []:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise InvalidInputError(f"{item!r} is not KEY=VALUE", source="--param")
        parameters[key] = parse_yaml_value(value, f"--param {key}")
    files = {"reference": reference, "current": current, "predictions": predictions}
    try:
        traced = compute_probe(name, files, parameters, model, engine.value)
    except CollectionError as error:
        raise InvalidInputError(str(error), source="assay probe run") from None
    result = {"probe": name, "value": traced.value, **traced.metadata}
    view = RichTable("probe", "value", "inputs")
    value = traced.value
    shown = json.dumps(value, indent=1) if isinstance(value, dict | list) else str(value)
    inputs = "\n".join(
        f"{role}: {meta['path']}" + (f" ({meta['rows']} rows)" if "rows" in meta else "")
        for role, meta in traced.metadata["inputs"].items()
    )
    view.add_row(name, shown, inputs)
    emit(output, fmt, result, view)


@app.command()
def report(
    reference: Annotated[Path, typer.Option(help=f"The reference data: {_DATA_SET}.")],
    current: Annotated[Path, typer.Option(help="The data to compare with it (the same).")],
    columns: Annotated[
        list[str] | None, typer.Option("--columns", help="Only these columns (repeat).")
    ] = None,
    engine: EngineOption = EngineChoice.memory,
    output: OutputOption = None,
) -> None:
    """Write the data report: drift and data quality per column with distribution charts, as
    one self-contained HTML file."""
    from assay.files.tables import TableError
    from assay.probes.catalog import ProbeError
    from assay.probes.table import ColumnError

    files = {"reference": reference, "current": current}
    try:
        chosen = choose_engine(engine.value, "drift.dataset", files)
        with progress() as step:
            if chosen == "memory":
                text = _report_in_memory(reference, current, columns, step)
            else:
                text = _report_on_engine(chosen, files, columns, step)
    except (TableError, ProbeError, ColumnError, ValueError, CollectionError) as error:
        raise InvalidInputError(str(error), source="assay probe report") from None
    with open_output(output) as stream:
        stream.write(text)
    announce(output)


def _report_in_memory(reference: Path, current: Path, columns: list[str] | None, step: Any) -> str:
    from assay.files.tables import read_table
    from assay.probes.catalog import ProbeInputs
    from assay.reports.probe_report import InMemoryData, data_report

    step(f"reading {reference.name}")
    before = read_table(reference)
    step(f"reading {current.name}")
    after = read_table(current)
    step("computing drift and quality")
    drift = ProbeInputs(before, after, parameters={"columns": columns} if columns else {}).drift
    files = {
        role: {"path": table.source, "rows": table.rows, "sha256": table.sha256}
        for role, table in (("reference", before), ("current", after))
    }
    return data_report(
        InMemoryData(before),
        InMemoryData(after),
        drift,
        files,
        on_column=lambda done, total: step("charting columns", done, total),
    )


def _report_on_engine(
    engine: str, files: dict[str, Path], columns: list[str] | None, step: Any
) -> str:
    from assay.collectors.probe import engine_functions
    from assay.files.tables import file_digest
    from assay.reports.probe_report import data_report

    open_tables, drift_of = engine_functions(engine)
    step(f"opening the data in {engine}")
    with open_tables(files) as tables:
        step("computing drift and quality")
        drift = drift_of(tables["reference"], tables["current"], columns)
        described = {
            role: {"path": str(path), "rows": tables[role].rows, "sha256": file_digest(path)}
            for role, path in files.items()
        }
        return data_report(
            tables["reference"],
            tables["current"],
            drift,
            described,
            on_column=lambda done, total: step("charting columns", done, total),
        )
