"""``assay alerts``: evaluate the SLOs and correlation rules, run the alerts' actions, and list,
show and acknowledge alerts (docs/alerts.md)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from assay.catalog.metrics import load_prices
from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    emit,
    existing_store,
    store_from_option,
)
from assay.cli.metrics import option_time
from assay.errors import InvalidInputError
from assay.files.slo import load_slo_file
from assay.metrics.slo import slo_json_schema
from assay.names import printable
from assay.services.alerts import acknowledge, evaluate_alerts, run_due_actions
from assay.store.alerts import ActionRow, AlertRow

app = typer.Typer(
    help="SLO-class alerts: evaluate SLOs and correlation rules over the stored events, run "
    "the actions of each alert class, list, show and acknowledge alerts (docs/alerts.md).",
    no_args_is_help=True,
)
SLO_VARIABLE = "ASSAY_SLO_FILE"


class State(StrEnum):
    """Which alerts to list."""

    open = "open"
    resolved = "resolved"
    all = "all"


def _when(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds") if epoch else None


def _alert_dict(alert: AlertRow, actions: list[ActionRow] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": alert.id,
        "rule": alert.rule,
        "kind": alert.kind,
        "class": alert.alert_class,
        "state": alert.state,
        "opened": _when(alert.opened),
        "resolved": _when(alert.resolved),
        "acknowledged": _when(alert.acknowledged),
        "acknowledged_by": alert.acknowledged_by,
        "note": alert.note,
    }
    if actions is not None:
        out["evidence"] = alert.evidence
        out["actions"] = [
            {
                "action": a.action,
                "phase": a.phase,
                "status": a.status,
                "attempts": a.attempts,
                "result": a.result,
            }
            for a in actions
        ]
    return out


def _slo_path(slos: Path | None) -> Path:
    path = slos or (Path(os.environ[SLO_VARIABLE]) if os.environ.get(SLO_VARIABLE) else None)
    if path is None:
        raise InvalidInputError(
            "no SLO file is named", source="--slos", expected=f"--slos FILE or ${SLO_VARIABLE}"
        )
    return path


@app.command()
def evaluate(
    slos: Annotated[
        Path | None,
        typer.Option("--slos", help=f"The SLO file (default ${SLO_VARIABLE}).", show_default=False),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="Evaluate at this time (RFC 3339; default now).", show_default=False),
    ] = None,
    prices: Annotated[
        Path | None, typer.Option(help="A price table for cost SLOs.", show_default=False)
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Evaluate every SLO and correlation rule once: open alerts that fire, resolve those that
    stopped, then run the actions that are due (failed ones are retried on a later run, with
    back-off). The server does this on its own every --alert-interval seconds."""
    config = load_slo_file(_slo_path(slos))
    table = load_prices(prices)
    moment = option_time(at, "--at") or datetime.now(UTC)
    with store_from_option(db) as store:
        outcome = evaluate_alerts(store, config, now=moment, prices=table)
        outcome["actions"] = run_due_actions(store, config)
    view = Table("SLO", "firing", "spans", title=f"SLOs at {outcome['at'][:19]}")
    for name, state in outcome["states"].items():
        spans = "; ".join(_span_text(span) for span in state["spans"])
        view.add_row(printable(name), "yes" if state["firing"] else "no", spans)
    notes = [Text(f"opened alert {n}") for n in outcome["opened"]]
    notes += [Text(f"resolved alert {n}") for n in outcome["resolved"]]
    notes += [
        Text(
            f"alert {a['alert']} {a['action']} ({a['phase']}): {a['outcome']}"
            + (f" - {a['error']}" if a.get("error") else "")
        )
        for a in outcome["actions"]
    ]
    emit(output, fmt, outcome, Group(view, *notes))


def _span_text(span: dict[str, Any]) -> str:
    if "long" in span:
        long, short = span["long"], span["short"]
        burn = [
            f"{part['span']} {part['burn_rate']:.3g}x"
            if part["burn_rate"] is not None
            else f"{part['span']} -"
            for part in (long, short)
        ]
        return f"{' / '.join(burn)} (fires at {span['factor']:g}x)"
    value = span["value"]
    return f"{span['span']}: {'-' if value is None else f'{value:.4g}'}"


@app.command("list")
def list_alerts(
    state: Annotated[State, typer.Option(help="Which alerts.")] = State.all,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 100,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The newest alerts, with their class, state and acknowledgement."""
    with existing_store(db) as store:
        rows = store.alerts.listed(state=None if state is State.all else state.value, limit=limit)
        failed = store.alerts.action_counts().get("failed", 0)
    found = [_alert_dict(row) for row in rows]
    view = Table("id", "class", "rule", "state", "opened", "acknowledged", title="Alerts")
    for a in found:
        view.add_row(
            str(a["id"]),
            a["class"],
            printable(a["rule"]),
            a["state"],
            a["opened"] or "",
            printable(a["acknowledged_by"] or ""),
        )
    notes = [Text(f"! {failed} action(s) failed for good: assay alerts show ID")] if failed else []
    emit(output, fmt, found, Group(view, *notes))


def _found(store: Any, alert: int) -> AlertRow:
    row = store.alerts.get(alert)
    if row is None:
        raise InvalidInputError(
            f"there is no alert {alert}",
            source="ALERT",
            expected="an alert id from assay alerts list",
        )
    return row  # type: ignore[no-any-return]


@app.command()
def show(
    alert: Annotated[int, typer.Argument(help="The alert id.")],
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """One alert: its evidence and each action with its attempts and result."""
    with existing_store(db) as store:
        row = _found(store, alert)
        details = _alert_dict(row, store.alerts.actions_of(alert))
    view = Table(
        "action",
        "phase",
        "status",
        "attempts",
        "result",
        title=f"Alert {row.id}: {row.alert_class} {printable(row.rule)} ({row.state})",
    )
    for a in details["actions"]:
        view.add_row(
            printable(a["action"]),
            a["phase"],
            a["status"],
            str(a["attempts"]),
            printable(str(a["result"] or "")),
        )
    emit(output, fmt, details, view)


@app.command()
def ack(
    alert: Annotated[int, typer.Argument(help="The alert id.")],
    by: Annotated[str, typer.Option(help="Who acknowledges it.")],
    note: Annotated[str, typer.Option(help="What is being done.")] = "",
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Acknowledge an alert: who is on it, and a note (a ledger entry too)."""
    if not by.strip() or not by.isprintable() or len(by) > 200 or len(note) > 2000:
        raise InvalidInputError(
            "--by must be a printable name (at most 200 characters) and "
            "--note at most 2,000 characters",
            source="--by/--note",
        )
    with existing_store(db) as store:
        _found(store, alert)
        row = acknowledge(store, alert, by=by.strip(), note=note)
    details = _alert_dict(row)
    emit(output, fmt, details, Text(f"alert {row.id} acknowledged by {printable(by)}"))


@app.command()
def schema(output: OutputOption = None) -> None:
    """Print the JSON Schema of an SLO file (docs/schemas/slo.schema.json)."""
    emit(output, OutputFormat.json, slo_json_schema())
