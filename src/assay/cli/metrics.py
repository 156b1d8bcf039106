"""``assay metrics``: delivery (DORA) and ML life-cycle figures from the stored events."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from assay.catalog.metrics import load_prices
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
from assay.files.people import read_roster, read_survey
from assay.metrics.llm import GROUP_KEYS
from assay.metrics.windows import Window, parse_duration, window_of
from assay.reports.llm_report import (
    llm_sections,
    people_sections,
    product_sections,
    sections_html,
    sections_table,
)
from assay.reports.metrics_report import dora_html, dora_table, ml_html, ml_table
from assay.services.llm_metrics import llm_report, people_report, product_report
from assay.services.metrics import DoraQuery, dora_report, ml_report, record_snapshot

app = typer.Typer(
    help="Delivery (DORA's five keys), ML life-cycle, LLM, product and people metrics computed "
    "from events (assay events import, backfill, the server's webhooks and OTLP intake). "
    "Definitions: docs/metrics.md.",
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


def option_time(text: str | None, option: str) -> datetime | None:
    """The time an option gives (RFC 3339 or a date; UTC when it names no offset), or None."""
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
            since=option_time(since, "--since"),
            until=option_time(until, "--until"),
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


PRICES_VARIABLE = "ASSAY_LLM_PRICES"
ServiceOption = Annotated[
    str | None, typer.Option(help="One service (default: all).", show_default=False)
]


def _sections_out(
    report: dict[str, Any], fmt: MetricsFormat, output: Path | None, title: str, sections: Any
) -> None:
    if fmt is MetricsFormat.html:
        with open_output(output) as stream:
            stream.write(sections_html(title, report, sections))
        announce(output)
        return
    emit(output, OutputFormat(fmt.value), report, sections_table(title, sections))


def _span_title(what: str, report: dict[str, Any], who: str | None) -> str:
    return (
        f"{what} of {who or 'everything'}, {report['since'][:19]} to {report['until'][:19]} (UTC)"
    )


@app.command()
def llm(
    service: ServiceOption = None,
    model: Annotated[
        str | None, typer.Option(help="One model (default: all).", show_default=False)
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    window: WindowOption = None,
    group_by: Annotated[
        str,
        typer.Option(
            "--group-by",
            help="Comma-separated response fields the figures are grouped by.",
        ),
    ] = ",".join(GROUP_KEYS),
    prices: Annotated[
        Path | None,
        typer.Option(
            "--prices",
            help=f"A price table (YAML; default ${PRICES_VARIABLE}, else the one shipped: "
            "src/assay/catalog/metrics/llm-prices.yaml).",
            show_default=False,
        ),
    ] = None,
    record: RecordOption = False,
    db: DbOption = None,
    fmt: FormatOption = MetricsFormat.table,
    output: OutputOption = None,
) -> None:
    """LLM behaviour and cost per model version, prompt hash and retrieval configuration:
    cost per response, session and 1,000 tokens, tokens per response, latency p50/p95 and per
    output token, time to first token, refusal, hallucination (faithfulness), safety
    violation, instruction-following and down-vote rates."""
    keys = [key.strip() for key in group_by.split(",") if key.strip()]
    allowed = (*GROUP_KEYS, "service", "environment", "operation", "request_model")
    unknown = [key for key in keys if key not in allowed]
    if unknown:
        raise InvalidInputError(
            f"cannot group by {', '.join(unknown)}",
            source="--group-by",
            expected=f"fields among {', '.join(allowed)}",
        )
    table_path = prices or (
        Path(os.environ[PRICES_VARIABLE]) if os.environ.get(PRICES_VARIABLE) else None
    )
    price_table = load_prices(table_path)
    span = _window(since, until, window)
    with _with_store(db, record) as store:
        report = llm_report(store, span, price_table, service=service, model=model, group_by=keys)
        if record:
            report["ledger_seq"] = record_snapshot(store, "llm", report)
    _sections_out(
        report, fmt, output, _span_title("LLM", report, service or model), llm_sections(report)
    )


@app.command()
def product(
    service: ServiceOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    window: WindowOption = None,
    record: RecordOption = False,
    db: DbOption = None,
    fmt: FormatOption = MetricsFormat.table,
    output: OutputOption = None,
) -> None:
    """Product signals: the down-vote rate of responses and AI-feature adoption (users of an
    AI feature among the users of any feature), with each feature's users."""
    span = _window(since, until, window)
    with _with_store(db, record) as store:
        report = product_report(store, span, service=service)
        if record:
            report["ledger_seq"] = record_snapshot(store, "product", report)
    _sections_out(
        report, fmt, output, _span_title("Product", report, service), product_sections(report)
    )


@app.command()
def people(
    service: ServiceOption = None,
    roster: Annotated[
        Path | None,
        typer.Option(help="A CSV roster: role, capacity (FTE), team.", show_default=False),
    ] = None,
    survey: Annotated[
        Path | None,
        typer.Option(
            help="A CSV of anonymous pulse answers: group, question, score (groups under five "
            "answers are withheld).",
            show_default=False,
        ),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    window: WindowOption = None,
    record: RecordOption = False,
    db: DbOption = None,
    fmt: FormatOption = MetricsFormat.table,
    output: OutputOption = None,
) -> None:
    """People and culture proxies: the share of incidents raised by people rather than
    detectors, the time from detection to report, the role balance of a roster, and pulse
    survey aggregates shown only for groups of five or more."""
    members = read_roster(roster) if roster is not None else None
    answers = read_survey(survey) if survey is not None else None
    span = _window(since, until, window)
    with _with_store(db, record) as store:
        report = people_report(store, span, service=service, roster=members, answers=answers)
        if record:
            report["ledger_seq"] = record_snapshot(store, "people", report)
    _sections_out(
        report, fmt, output, _span_title("People", report, service), people_sections(report)
    )
