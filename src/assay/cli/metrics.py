"""``assay metrics``: delivery (DORA) and ML life-cycle figures from the stored events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from assay.cli.common import (
    DbOption,
    OutputFormat,
    OutputOption,
    announce,
    emit,
    existing_store,
    open_output,
    store_from_option,
)
from assay.errors import InvalidInputError
from assay.metrics.windows import Window, parse_duration, window_of
from assay.reports.metrics_report import dora_html, dora_table, ml_html, ml_table
from assay.services.metrics import DoraQuery, dora_report, ml_report, record_snapshot

app = typer.Typer(
    help="Delivery (DORA's five keys) and ML life-cycle metrics computed from events "
    "(assay events import, backfill, or the server's webhooks). Definitions: docs/metrics.md.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


class MetricsFormat(StrEnum):
    """How the metrics are printed."""

    table = "table"
    json = "json"
    html = "html"


class Breakdown(StrEnum):
    """What the figures are broken down by."""

    service = "service"
    team = "team"
    none = "none"


FormatOption = Annotated[
    MetricsFormat,
    typer.Option("--format", "-f", help="table for people, json for machines, html report."),
]
EnvironmentOption = Annotated[str, typer.Option(help="The environment measured.")]
SinceOption = Annotated[
    str | None,
    typer.Option(
        help="Start of the window (RFC 3339 time or date, inclusive).", show_default=False
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(help="End of the window (exclusive; default: now).", show_default=False),
]
WindowOption = Annotated[
    str | None,
    typer.Option(
        "--window",
        help="A rolling window ending at --until: 7d, 28d, 90d (default 28d).",
        show_default=False,
    ),
]
RecordOption = Annotated[
    bool,
    typer.Option(
        "--record",
        help="Also append the figures to the evidence ledger (metrics.snapshot) with the "
        "digest of the events they came from.",
    ),
]


def _time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            f"{text!r} is not a time",
            source=option,
            expected="an RFC 3339 time (2026-11-01T00:00:00Z) or a date (2026-11-01)",
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _duration(text: str, option: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise InvalidInputError(str(error), source=option) from None


def _window(since: str | None, until: str | None, window: str | None) -> Window:
    try:
        return window_of(
            now=datetime.now(UTC),
            since=_time(since, "--since"),
            until=_time(until, "--until"),
            window=_duration(window, "--window") if window else None,
        )
    except ValueError as error:
        raise InvalidInputError(str(error), source="--since/--until/--window") from None


def _emit(
    report: dict[str, Any],
    fmt: MetricsFormat,
    output: Path | None,
    table: Any,
    html: Any,
) -> None:
    if fmt is MetricsFormat.html:
        with open_output(output) as stream:
            stream.write(html(report))
        announce(output)
        return
    emit(output, OutputFormat(fmt.value), report, table(report))


def _with_store(db: str | None, record: bool) -> Any:
    """The store to read; with --record, opened (and created) to append the snapshot to."""
    return store_from_option(db) if record else existing_store(db)


@app.command()
def dora(
    service: Annotated[
        str | None, typer.Option(help="One service (default: all together).", show_default=False)
    ] = None,
    environment: EnvironmentOption = "production",
    team: Annotated[
        str | None, typer.Option(help="Only this team's deployments.", show_default=False)
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    window: WindowOption = None,
    incident_window: Annotated[
        str | None,
        typer.Option(
            "--incident-window",
            help="Also link an incident that names no deployment to the latest deployment of "
            "its service at most this long before it (12h, 1d). Default: no time linking.",
            show_default=False,
        ),
    ] = None,
    tiers: Annotated[
        int | None,
        typer.Option(
            "--tiers",
            help="The DORA report year whose clusters rank the figures (default: the newest).",
            show_default=False,
        ),
    ] = None,
    by: Annotated[Breakdown, typer.Option("--by", help="Break the figures down by.")] = (
        Breakdown.service
    ),
    record: RecordOption = False,
    db: DbOption = None,
    fmt: FormatOption = MetricsFormat.table,
    output: OutputOption = None,
) -> None:
    """DORA's five keys: deployment frequency, lead time for changes, change failure rate,
    failed deployment recovery time and rework rate, each with its sample count, its tier,
    a trend over earlier windows and data-quality diagnostics."""
    query = DoraQuery(
        window=_window(since, until, window),
        environment=environment,
        service=service,
        team=team,
        incident_window_hours=(
            _duration(incident_window, "--incident-window").total_seconds() / 3600.0
            if incident_window
            else None
        ),
        tiers_year=tiers,
        breakdown=by.value,
    )
    with _with_store(db, record) as store:
        report = dora_report(store, query)
        if record:
            report["ledger_seq"] = record_snapshot(store, "dora", report)
    _emit(report, fmt, output, dora_table, dora_html)


@app.command()
def ml(
    model: Annotated[
        str | None, typer.Option(help="One model (default: every model).", show_default=False)
    ] = None,
    environment: EnvironmentOption = "production",
    since: SinceOption = None,
    until: UntilOption = None,
    window: WindowOption = None,
    record: RecordOption = False,
    db: DbOption = None,
    fmt: FormatOption = MetricsFormat.table,
    output: OutputOption = None,
) -> None:
    """ML life-cycle figures: model age in production, time to redeploy, time to retrain,
    model rollback time, drift alerts per model per week, data freshness lag, retrain
    frequency, governance and explainability coverage."""
    span = _window(since, until, window)
    with _with_store(db, record) as store:
        report = ml_report(store, window=span, environment=environment, model=model)
        if record:
            report["ledger_seq"] = record_snapshot(store, "ml", report)
    _emit(report, fmt, output, ml_table, ml_html)
