"""``assay events``: load events (a JSON-lines file, a git history) and list what is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    emit,
    existing_store,
    store_from_option,
)
from assay.metrics.events import EVENT_TYPES, event_json_schema
from assay.names import printable
from assay.services.events import IngestResult, backfill_git, import_events_file

app = typer.Typer(
    help="Events of delivery and of the ML life cycle, which the metrics are computed from: "
    "import a JSON-lines file, backfill deployments from git, list what is stored.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
backfill_app = typer.Typer(
    help="Derive past events from history a team already has.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(backfill_app, name="backfill")


def _report(result: IngestResult, fmt: OutputFormat, output: Path | None) -> None:
    summary = result.to_dict()
    table = Table("received", "stored", "redelivered", "unmapped")
    unmapped = ", ".join(f"{kind} ({n})" for kind, n in summary["unmapped"].items()) or "none"
    table.add_row(
        str(result.received), str(result.stored), str(result.duplicates), printable(unmapped)
    )
    emit(output, fmt, summary, table)


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="A JSON-lines file: one canonical event per line "
            "(docs/schemas/event.schema.json).",
            dir_okay=False,
        ),
    ],
    source: Annotated[
        str | None,
        typer.Option(
            help="The source of events that name none (default: import).", show_default=False
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Load events in bulk. One bad line refuses the whole file (exit 2, its line number and
    the reason); nothing is stored then. An event already stored (same source and id) is
    counted as redelivered and left as it was."""
    with store_from_option(db) as store:
        result = import_events_file(store, file, source=source)
    _report(result, fmt, output)


@backfill_app.command("git")
def backfill_git_command(
    repo: Annotated[
        Path, typer.Argument(help="A local git repository.", file_okay=False, exists=True)
    ],
    deploy_tags: Annotated[
        str,
        typer.Option(
            "--deploy-tags",
            help="A glob of the tags that mark deployments (v*, deploy/prod-*).",
            show_default=False,
        ),
    ],
    service: Annotated[
        str, typer.Option(help="The service the repository deploys.", show_default=False)
    ],
    environment: Annotated[
        str, typer.Option(help="The environment the tags were deployed to.")
    ] = "production",
    team: Annotated[
        str | None, typer.Option(help="The team that owns the service.", show_default=False)
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Derive deployments from a git history: every matching tag is a successful deployment at
    the tag's time, carrying the commits since the previous matching tag. Running it again
    stores only tags that are new."""
    with store_from_option(db) as store:
        result = backfill_git(
            store, repo, deploy_tags, service=service, environment=environment, team=team
        )
    _report(result, fmt, output)


@app.command("list")
def list_command(
    event_type: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help=f"Only these types ({', '.join(EVENT_TYPES)}); repeat for several.",
            show_default=False,
        ),
    ] = None,
    service: Annotated[
        str | None, typer.Option(help="Only this service.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 50,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The newest stored events, newest first (``--type unmapped`` shows what assay could not
    map)."""
    with existing_store(db) as store:
        rows = store.events.listed(types=event_type, service=service, limit=limit)
    events = [json.loads(row.body) for row in rows]
    table = Table("time", "type", "source", "id", "service", "environment", "detail")
    for event in events:
        detail = event.get("original") or event.get("outcome") or event.get("model") or ""
        table.add_row(
            event["time"],
            event["type"],
            printable(event["source"]),
            printable(event["id"]),
            printable(event.get("service") or ""),
            printable(event.get("environment") or ""),
            printable(str(detail)),
        )
    emit(output, fmt, events, table)


@app.command()
def schema(output: OutputOption = None) -> None:
    """Print the JSON Schema of a canonical event (docs/schemas/event.schema.json)."""
    emit(output, OutputFormat.json, event_json_schema())
