"""``assay audit``: conformity specifications, audit runs, status and certificates."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from assay.audit.evaluation import Outcome
from assay.audit.spec import Specification, walk
from assay.audit_runs import record_reports, run_audit
from assay.cli.common import DbOption, OutputOption, open_output, store_from_option
from assay.collectors.runner import Fetched
from assay.errors import ExitCode
from assay.files.spec import load_spec
from assay.reports.audit_json import Audience, for_audience
from assay.reports.audit_junit import junit_xml
from assay.reports.audit_terminal import run_view

app = typer.Typer(
    help="Continuous audit-based certification: specifications, runs, gates, reports, status "
    "and certificates.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

SpecArgument = Annotated[
    Path, typer.Argument(help="The specification file (YAML or JSON).", dir_okay=False)
]


@app.command()
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


@app.command()
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


class RunFormat(StrEnum):
    """How ``assay audit run`` renders its result."""

    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


@app.command()
def run(
    spec: SpecArgument,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="The system or model evaluated, e.g. credit-model@3 (default: the spec's).",
            show_default=False,
        ),
    ] = None,
    gate: Annotated[
        bool,
        typer.Option(
            "--gate",
            help="Exit 1 when the verdict is fail and 3 when it is error (for CI); without it the "
            "exit code is 0 whenever the run completed.",
        ),
    ] = False,
    fmt: Annotated[
        RunFormat, typer.Option("--format", "-f", help="table, json, markdown or html.")
    ] = RunFormat.table,
    audience: Annotated[
        Audience,
        typer.Option(
            help="Who the report is for: confidential values are hidden from auditor and public "
            "reports; executives and the public see the verdict and dimensions.",
        ),
    ] = Audience.engineer,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="Also write the outcomes as JUnit XML.", dir_okay=False),
    ] = None,
    output: OutputOption = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="How many values to collect at once.")
    ] = 8,
    db: DbOption = None,
) -> None:
    """Collect every measurement of a specification, evaluate it, store the run in the evidence
    ledger and report the verdict."""
    loaded = load_spec(spec)
    with store_from_option(db) as store:
        with _progress() as progress:
            record = run_audit(store, loaded, target, workers=workers, on_fetched=progress)
        model = for_audience(record.model, audience)
        text = _render(model, fmt, audience, terminal=output is None and sys.stdout.isatty())
        with open_output(output) as stream:
            stream.write(text)
        reports = [(fmt.value, text, output)]
        if junit is not None:
            xml = junit_xml(model)
            with open_output(junit) as stream:
                stream.write(xml)
            reports.append(("junit", xml, junit))
        record_reports(store, record.model, audience.value, reports)
    for path in (output, junit):
        if path is not None:
            typer.echo(f"wrote {path}", err=True)
    suspended = ", ".join(record.suspended)
    typer.echo(
        f"verdict {record.verdict.value}: run {record.model['run_id']}, "
        f"status {record.status.value}"
        + (f"; suspended certificate {suspended}" if suspended else ""),
        err=True,
    )
    if gate and record.verdict is Outcome.failed:
        raise typer.Exit(ExitCode.GATE_FAILED)
    if gate and record.verdict is Outcome.error:
        raise typer.Exit(ExitCode.EVIDENCE_INCOMPLETE)


def _render(model: dict[str, Any], fmt: RunFormat, audience: Audience, *, terminal: bool) -> str:
    if fmt is RunFormat.json:
        return json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    if fmt is RunFormat.table:
        buffer = io.StringIO()
        console = Console(file=buffer, width=None if terminal else 160, force_terminal=terminal)
        console.print(run_view(model))
        return buffer.getvalue()
    from assay.reports.audit_report import audit_report  # Jinja2: only for reports

    return audit_report(model, fmt.value, audience)


@contextmanager
def _progress() -> Iterator[Callable[[Fetched], None]]:
    """A progress bar on a terminal (standard error); a no-op callback elsewhere."""
    if not sys.stderr.isatty():
        yield lambda fetched: None
        return
    columns = (TextColumn("collecting"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("collect", total=None)
        yield lambda fetched: bar.advance(task)
