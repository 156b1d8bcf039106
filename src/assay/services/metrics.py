"""Computing the delivery (DORA) and ML life-cycle figures from the stored events, and recording
a snapshot of them in the evidence ledger with the digest of the events they came from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from assay.catalog.metrics import dora_tiers, plane_catalog
from assay.errors import InvalidInputError
from assay.metrics.dora import DeliveryHistory
from assay.metrics.events import DELIVERY_TYPES, ML_TYPES
from assay.metrics.ml import ml_figures
from assay.metrics.planes import plane_evidence
from assay.metrics.tiers import tiers_of
from assay.metrics.windows import Window
from assay.store import Store
from assay.store.events import events_digest, parse_body

__all__ = [
    "SNAPSHOT",
    "DoraQuery",
    "delivery_by_service",
    "dora_figures_of",
    "dora_report",
    "loaded_events",
    "measured_planes",
    "ml_report",
    "record_snapshot",
]

SNAPSHOT = "metrics.snapshot"
TREND_POINTS = 12


@dataclass(frozen=True)
class DoraQuery:
    """What ``assay metrics dora`` asks: a selection, a window, and how to link and rank."""

    window: Window
    environment: str = "production"
    service: str | None = None
    team: str | None = None
    incident_window_hours: float | None = None
    tiers_year: int | None = None
    breakdown: str = "service"  # service | team | none
    trend_step: timedelta = timedelta(days=7)


def loaded_events(
    store: Store, *, types: Sequence[str], environment: str, service: str | None, until: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """The events a computation reads (before ``until``), parsed, and their stored bodies."""
    bodies = list(
        store.events.bodies(environment=environment, service=service, types=types, before=until)
    )
    return [parse_body(body) for body in bodies], bodies


def _tiers_year(year: int | None) -> int:
    catalog = dora_tiers()
    if year is None:
        return catalog.latest
    if year not in catalog.years:
        raise InvalidInputError(
            f"no DORA clusters for {year}",
            source="--tiers",
            expected=f"one of {', '.join(str(y) for y in sorted(catalog.years))}",
        )
    return year


def dora_figures_of(
    events: Sequence[Mapping[str, Any]], query: DoraQuery, *, service: str | None, team: str | None
) -> tuple[DeliveryHistory, dict[str, Any]]:
    """The history of one selection and its figures over the query's window."""
    window_seconds = (
        None if query.incident_window_hours is None else query.incident_window_hours * 3600.0
    )
    history = DeliveryHistory.build(
        events,
        environment=query.environment,
        service=service,
        team=team,
        incident_window=window_seconds,
    )
    return history, history.figures(query.window)


def dora_report(store: Store, query: DoraQuery) -> dict[str, Any]:
    """The five keys of the selection over the window, their tiers, a trend over earlier
    windows of the same length, a breakdown, data-quality diagnostics and the digest of the
    events read. The keys of the JSON are a contract (docs/metrics.md)."""
    year = _tiers_year(query.tiers_year)
    until = query.window.until.timestamp()
    events, bodies = loaded_events(
        store,
        types=DELIVERY_TYPES,
        environment=query.environment,
        service=query.service,
        until=until,
    )
    history, figures = dora_figures_of(events, query, service=query.service, team=query.team)
    catalog = dora_tiers()
    report: dict[str, Any] = {
        "service": query.service,
        "environment": query.environment,
        "since": query.window.since.isoformat(),
        "until": query.window.until.isoformat(),
        **figures,
        "tiers": tiers_of(catalog, year, figures),
    }
    if query.team is not None:
        report["team"] = query.team
    report["trend"] = [
        {"since": w.since.isoformat(), "until": w.until.isoformat(), **history.figures(w)}
        for w in query.window.earlier(TREND_POINTS, query.trend_step)
    ]
    report["breakdown"] = _breakdown(events, query, year)
    report["diagnostics"] = history.diagnostics(query.window) + _unmapped_note(store)
    report["events"] = {"count": len(bodies), "digest": events_digest(bodies)}
    return report


def _breakdown(
    events: Sequence[Mapping[str, Any]], query: DoraQuery, year: int
) -> list[dict[str, Any]]:
    """The figures per service (or per team) of the selection, with their tiers."""
    if query.breakdown == "none":
        return []
    catalog = dora_tiers()
    rows = []
    if query.breakdown == "team":
        teams = sorted(
            {
                str(e["team"])
                for e in events
                if e["type"] == "deployment" and e.get("team") is not None
            }
        )
        for team in teams:
            _, figures = dora_figures_of(events, query, service=query.service, team=team)
            rows.append({"team": team, **figures, "tiers": tiers_of(catalog, year, figures)})
        return rows
    # The events were read for one environment: a service is the key.
    by_service = _grouped(events, lambda e: (e.get("service"),))
    for (name,), selected in by_service.items():
        _, figures = dora_figures_of(selected, query, service=name, team=query.team)
        rows.append({"service": name, **figures, "tiers": tiers_of(catalog, year, figures)})
    return rows


def _grouped(
    events: Sequence[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], tuple[Any, ...]]
) -> dict[tuple[str, ...], list[Mapping[str, Any]]]:
    """The events each deploying selection (``key`` of its deployments, sorted) computes
    from: its own events and those that name no service or environment (changes, pushes,
    resolutions), which any selection may need."""
    own: dict[tuple[Any, ...], list[Mapping[str, Any]]] = defaultdict(list)
    shared: list[Mapping[str, Any]] = []
    for event in events:
        selection = key(event)
        if None in selection:
            shared.append(event)
        else:
            own[selection].append(event)
    deploying = sorted({key(e) for e in events if e["type"] == "deployment"})
    return {selection: own[selection] + shared for selection in deploying}


def delivery_by_service(store: Store, window: Window) -> list[tuple[str, str, dict[str, Any]]]:
    """The five keys of every (service, environment) that has deployments, over ``window``:
    what ``/metrics`` and the dashboard show."""
    until = window.until.timestamp()
    bodies = store.events.bodies(types=DELIVERY_TYPES, before=until)
    events = [parse_body(body) for body in bodies]
    rows = []
    selections = _grouped(events, lambda e: (e.get("service"), e.get("environment")))
    for (service, environment), selected in selections.items():
        history = DeliveryHistory.build(selected, environment=environment, service=service)
        rows.append((service, environment, history.figures(window)))
    return rows


def _unmapped_note(store: Store) -> list[str]:
    count = store.events.counts().get("unmapped", 0)
    if not count:
        return []
    return [
        f"{count} event{'s' if count != 1 else ''} of types assay does not map are stored "
        "(assay events list --type unmapped)"
    ]


def ml_report(
    store: Store, *, window: Window, environment: str = "production", model: str | None = None
) -> dict[str, Any]:
    """The ML life-cycle figures of ``model`` (or of every model) over ``window``."""
    until = window.until.timestamp()
    bodies = list(store.events.bodies(types=ML_TYPES, before=until))
    events = [parse_body(body) for body in bodies]
    figures = ml_figures(events, window, environment=environment, model=model)
    notes = []
    if not any(e["type"] == "drift_alert" for e in events):
        notes.append(
            "no drift alerts received: time to retrain and alerts per week cannot be measured "
            "(do audits or probes measure drift?)"
        )
    if not any(e["type"] == "model_deployed" for e in events):
        notes.append("no model deployments received (MLflow alias webhooks, or imported events)")
    return {
        "model": model,
        "environment": environment,
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        **figures,
        "diagnostics": notes,
        "events": {"count": len(bodies), "digest": events_digest(bodies)},
    }


def measured_planes(
    store: Store, levels: Mapping[str, int | None], window: Window
) -> dict[str, Any]:
    """What the delivery and ML figures of ``window`` (all services and models, production)
    say about the level answered for each plane of the AI-first framework."""
    dora = dora_report(store, DoraQuery(window=window, breakdown="none"))
    ml = ml_report(store, window=window)
    return {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "source": plane_catalog().source.get("title"),
        "planes": plane_evidence(plane_catalog(), levels, dora, ml),
    }


def record_snapshot(store: Store, kind: str, report: Mapping[str, Any]) -> int:
    """Append the figures of ``report`` (``dora`` or ``ml``) to the ledger as a
    ``metrics.snapshot`` with the digest of the events they came from; returns its seq."""
    payload = {key: value for key, value in report.items() if key not in ("trend", "breakdown")}
    entry = store.ledger.append(SNAPSHOT, {"metrics": kind, **payload})
    return entry.seq
