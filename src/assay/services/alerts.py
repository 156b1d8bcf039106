"""Evaluating the SLOs and correlation rules against the stored events, opening and resolving
alerts, and running each alert's actions once (retried with back-off when they fail). Every
alert, its evidence and every attempt of every action is a ledger entry."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from assay.audit.run_model import element_rows
from assay.errors import DatabaseUnavailableError, InvalidInputError
from assay.integrations.alert_channels import (
    ChannelFailed,
    post_alertmanager,
    post_webhook,
    run_command,
)
from assay.metrics.events import epoch_of
from assay.metrics.llm import flagged
from assay.metrics.prices import PriceTable
from assay.metrics.slo import (
    Correlation,
    Objective,
    SloFile,
    SloState,
    burn_state,
    correlated,
    threshold_state,
)
from assay.metrics.windows import Window, parse_duration
from assay.services.events import ingest
from assay.services.llm_metrics import llm_report, people_report, product_report, report_value
from assay.services.metrics import DoraQuery, dora_report, ml_report
from assay.services.model_registry import ALIAS_KIND, registry_client, roll_back_alias
from assay.store import Store
from assay.store.alerts import ActionRow, AlertRow
from assay.store.audit_log import AuditLog
from assay.store.canonical import canonical_json_of_parsed
from assay.store.events import events_digest, parse_body

__all__ = [
    "ACKNOWLEDGED",
    "ACTION",
    "OPENED",
    "RESOLVED",
    "REVIEW",
    "acknowledge",
    "evaluate_alerts",
    "run_due_actions",
    "slo_states",
]

OPENED, RESOLVED, ACTION, ACKNOWLEDGED, REVIEW = (
    "alert.opened",
    "alert.resolved",
    "alert.action",
    "alert.acknowledged",
    "alert.review",
)
LEASE = 300.0  # seconds an action may run before another process may take it over
_JUDGED = {
    "llm.faithfulness": "faithfulness",
    "llm.refusal": "refusal",
    "llm.safety": "safety",
    "llm.instruction_following": "instruction_following",
}
_SELECTED_BY_RESPONSE = ("model", "version", "prompt_hash", "retrieval_config", "environment")
_RESOLVE_TYPES = ("webhook", "alertmanager")  # the actions that also say an alert ended


def _bodies(store: Store, types: Sequence[str], since: float, until: float) -> list[str]:
    return list(store.events.bodies(types=types, after=since, before=until))


def _matches(event: Mapping[str, Any], selector: Mapping[str, Any], keys: Sequence[str]) -> bool:
    return all(event.get(k) == v for k, v in selector.items() if k in keys and v is not None)


def _ratio_events(
    store: Store, slo: Objective, now: float
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The times and badness of the events a ratio SLO counts over its longest span."""
    since = now - slo.lookback.total_seconds()
    selector = slo.selector.model_dump(exclude_none=True)
    times: list[float] = []
    bad: list[bool] = []
    read: list[str] = []
    indicator = slo.indicator
    if indicator in _JUDGED or indicator == "product.downvotes":
        # Judgements count at the time they are known; the response says what produced it.
        responses_body = _bodies(store, ["llm_response"], since - 86_400, now)
        responses = {}
        for body in responses_body:
            served = parse_body(body)
            responses[served["response_id"]] = served
        kind = "feedback" if indicator == "product.downvotes" else "evaluation"
        judgements = _bodies(store, [kind], since, now)
        read = responses_body + judgements
        latest: dict[str, tuple[float, bool]] = {}
        for body in judgements:
            event = parse_body(body)
            response = responses.get(event.get("response_id") or "")
            if kind == "evaluation":
                if str(event["evaluation"]).lower() != _JUDGED[indicator] or response is None:
                    continue
                verdict = flagged(event)
                if verdict is None:
                    continue
            else:
                verdict = event["vote"] == "down"
            subject = response if response is not None else event
            if not _matches(subject, selector, ("service", *_SELECTED_BY_RESPONSE)):
                continue
            if event.get("service") and subject.get("service") not in (None, event["service"]):
                continue  # a judgement stamped with another service does not count here
            key = (
                event["response_id"] if kind == "evaluation" else f"{event['source']}/{event['id']}"
            )
            latest[key] = (epoch_of(event["time"]), verdict)
        for moment, verdict in latest.values():
            times.append(moment)
            bad.append(verdict)
    elif indicator in ("llm.errors", "llm.latency"):
        read = _bodies(store, ["llm_response"], since, now)
        for body in read:
            response = parse_body(body)
            if not _matches(response, selector, ("service", *_SELECTED_BY_RESPONSE)):
                continue
            if indicator == "llm.errors":
                verdict = bool(response.get("error"))
            elif response.get("duration_ms") is None:
                continue
            else:
                verdict = response["duration_ms"] > (slo.latency_ms or 0)
            times.append(epoch_of(response["time"]))
            bad.append(verdict)
    elif indicator == "audit.measurement":
        return _measurement_outcomes(store, slo, since, now)
    else:  # audit.runs
        read = _bodies(store, ["audit"], since, now)
        for body in read:
            run = parse_body(body)
            if _matches(run, selector, ("model", "version")):
                times.append(epoch_of(run["time"]))
                bad.append(run["outcome"] != "pass")
    return np.asarray(times, dtype=float), np.asarray(bad, dtype=bool), read


def _measurement_outcomes(
    store: Store, slo: Objective, since: float, now: float
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The runs of the SLO's spec (on its selected model and version) that finished in the
    span, and whether its measurement did not pass in each."""
    times: list[float] = []
    bad: list[bool] = []
    read: list[str] = []
    selector = slo.selector
    for run in AuditLog(store.ledger).runs(slo.spec):
        finished = epoch_of(run.finished) if run.finished else None
        if finished is None or not since <= finished < now:
            continue
        name, _, version = run.target.rpartition("@")
        if selector.model is not None and (name or run.target) != selector.model:
            continue
        if selector.version is not None and version != selector.version:
            continue
        document = run.model_dump(mode="json")
        for kind, node, _ in element_rows(document["dimensions"]):
            if kind == "measurement" and node.get("id") == slo.measurement:
                times.append(finished)
                bad.append(node.get("outcome") not in ("pass", "waived"))
                read.append(
                    canonical_json_of_parsed(
                        {"source": "ledger", "id": run.run_id, "outcome": node.get("outcome")}
                    )
                )
    return np.asarray(times, dtype=float), np.asarray(bad, dtype=bool), read


def _figure(
    store: Store, slo: Objective, window: Window, prices: PriceTable
) -> tuple[float | None, int]:
    """A threshold SLO's figure over ``window`` and how many events it came from."""
    family, _, path = slo.indicator.partition(".")
    selector = slo.selector
    report: dict[str, Any]
    if family == "llm":
        report = llm_report(store, window, prices, service=selector.service, model=selector.model)
    elif family == "product":
        report = product_report(store, window, service=selector.service)
    elif family == "people":
        report = people_report(store, window, service=selector.service)
    elif family == "dora":
        query = DoraQuery(
            window=window,
            environment=selector.environment or "production",
            service=selector.service,
            breakdown="none",
        )
        report = dora_report(store, query)
    else:
        report = ml_report(
            store,
            window=window,
            environment=selector.environment or "production",
            model=selector.model,
        )
    value = report_value(report, path)
    number = (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    )
    return number, int(report["events"]["count"])


def _state(
    store: Store, slo: Objective, now: datetime, prices: PriceTable
) -> tuple[SloState, dict[str, Any]]:
    moment = now.timestamp()
    if slo.is_ratio:
        times, bad, read = _ratio_events(store, slo, moment)
        state = burn_state(slo, times, bad, moment)
    else:
        length = parse_duration(slo.window)
        short = parse_duration(slo.short) if slo.short else length / 12
        values: dict[str, float | None] = {}
        count = 0
        for label, span in (
            (slo.window, length),
            (slo.short or f"{int(short.total_seconds())}s", short),
        ):
            values[label], events = _figure(store, slo, Window(now - span, now), prices)
            count = max(count, events)
        state = threshold_state(slo, values, count)
        read = []
    evidence = {
        "rule": slo.name,
        "indicator": slo.indicator,
        "selector": slo.selector.model_dump(exclude_none=True),
        "objective": slo.objective,
        "threshold": slo.threshold.model_dump(exclude_none=True) if slo.threshold else None,
        "class": slo.alert_class,
        "at": now.isoformat(),
        "firing": state.firing,
        "spans": state.spans,
        "events": {
            "count": len(read) if slo.is_ratio else state.events,
            "digest": events_digest(read) if slo.is_ratio else None,
        },
    }
    return state, evidence


def slo_states(
    store: Store, slos: SloFile, *, now: datetime, prices: PriceTable
) -> dict[str, dict[str, Any]]:
    """Each SLO's state at ``now`` (its spans, burn rates, whether it fires) with the digest
    of the events it read."""
    return {slo.name: _state(store, slo, now, prices)[1] for slo in slos.slos}


def _route(slos: SloFile, alert_class: str) -> list[str]:
    return list(slos.routes.get(alert_class, []))  # type: ignore[call-overload]


def evaluate_alerts(
    store: Store, slos: SloFile, *, now: datetime, prices: PriceTable
) -> dict[str, Any]:
    """Evaluate every SLO and correlation rule at ``now``: open an alert for each that fires
    and has none open (with the actions its class routes to), resolve the open alert of each
    that no longer fires. Returns the states and what changed."""
    states = slo_states(store, slos, now=now, prices=prices)
    moment = now.timestamp()
    opened: list[int] = []
    resolved: list[int] = []
    with store.database.writing() as conn:
        open_now = {row.rule: row for row in _open_rows(store)}
        for name, evidence in states.items():
            _settle(
                store,
                conn,
                slos,
                name,
                "slo",
                evidence["class"],
                evidence["firing"],
                evidence,
                open_now,
                moment,
                opened,
                resolved,
            )
        # When each signal that fires now began: its open alert's opening, or now. A signal
        # that stopped firing (its alert was just resolved) is not one.
        began = {
            name: open_now[name].opened if name in open_now else moment
            for name, evidence in states.items()
            if evidence["firing"]
        }
        for rule in slos.correlations:
            fires = correlated(rule, began)
            evidence = _correlation_evidence(rule, states, began, now, fires)
            _settle(
                store,
                conn,
                slos,
                rule.name,
                "correlation",
                rule.alert_class,
                fires,
                evidence,
                open_now,
                moment,
                opened,
                resolved,
            )
    return {
        "at": now.isoformat(),
        "states": states,
        "opened": opened,
        "resolved": resolved,
    }


def _open_rows(store: Store) -> list[AlertRow]:
    return store.alerts.open_alerts()


def _correlation_evidence(
    rule: Correlation,
    states: Mapping[str, dict[str, Any]],
    began: Mapping[str, float],
    now: datetime,
    fires: bool,
) -> dict[str, Any]:
    return {
        "rule": rule.name,
        "class": rule.alert_class,
        "at": now.isoformat(),
        "firing": fires,
        "within": rule.within,
        "signals": {
            name: {
                "began": datetime.fromtimestamp(began[name], UTC).isoformat()
                if name in began
                else None,
                "firing": states[name]["firing"],
                "spans": states[name]["spans"],
                "events": states[name]["events"],
            }
            for name in rule.signals
        },
    }


def _settle(
    store: Store,
    conn: Any,
    slos: SloFile,
    rule: str,
    kind: str,
    alert_class: str,
    firing: bool,
    evidence: dict[str, Any],
    open_now: dict[str, AlertRow],
    moment: float,
    opened: list[int],
    resolved: list[int],
) -> None:
    """Open or resolve ``rule``'s alert as its state says, with its ledger entry."""
    current = open_now.get(rule)
    if firing and current is None:
        route = _route(slos, alert_class)
        alert_id = store.alerts.open_in(
            conn,
            rule=rule,
            kind=kind,
            alert_class=alert_class,
            opened=moment,
            evidence=evidence,
            actions=route,
            due=time.time(),  # actions run on the clock, also for an evaluation --at a past time
        )
        if alert_id is not None:
            store.ledger.append_in(
                conn,
                [(OPENED, {"alert": alert_id, "kind": kind, "actions": route, **evidence})],
            )
            opened.append(alert_id)
    elif not firing and current is not None and store.alerts.resolve_in(conn, current.id, moment):
        notify = [
            name
            for name in _route(slos, current.alert_class)
            if any(a.name == name and a.type in _RESOLVE_TYPES for a in slos.actions)
        ]
        store.alerts.add_actions_in(conn, current.id, notify, "resolve", time.time())
        store.ledger.append_in(
            conn,
            [
                (
                    RESOLVED,
                    {
                        "alert": current.id,
                        "rule": rule,
                        "class": current.alert_class,
                        "at": evidence["at"],
                        "spans": evidence.get("spans"),
                    },
                )
            ],
        )
        resolved.append(current.id)


def acknowledge(store: Store, alert_id: int, *, by: str, note: str) -> AlertRow:
    """Record that ``by`` acknowledged the alert (a ledger entry too)."""
    alert = store.alerts.get(alert_id)
    if alert is None:
        raise InvalidInputError(
            f"there is no alert {alert_id}",
            source="ALERT",
            expected="an alert id from assay alerts list",
        )
    at = time.time()
    with store.database.writing() as conn:
        store.alerts.acknowledge_in(conn, alert_id, by, note, at)
        store.ledger.append_in(
            conn,
            [
                (
                    ACKNOWLEDGED,
                    {
                        "alert": alert_id,
                        "rule": alert.rule,
                        "by": by,
                        "note": note,
                        "at": datetime.fromtimestamp(at, UTC).isoformat(),
                    },
                )
            ],
        )
    found = store.alerts.get(alert_id)
    assert found is not None
    return found


def _payload(alert: AlertRow, phase: str) -> dict[str, Any]:
    return {
        "alert": alert.id,
        "rule": alert.rule,
        "kind": alert.kind,
        "class": alert.alert_class,
        "phase": phase,
        "state": alert.state,
        "opened": datetime.fromtimestamp(alert.opened, UTC).isoformat(),
        "resolved": datetime.fromtimestamp(alert.resolved, UTC).isoformat()
        if alert.resolved
        else None,
        "evidence": alert.evidence,
    }


def _perform(
    store: Store, slos: SloFile, alert: AlertRow, row: ActionRow, environ: Mapping[str, str]
) -> dict[str, Any]:
    """Run one action of an alert; :class:`ChannelFailed` when it did not work."""
    try:
        action = slos.action(row.action)
    except StopIteration:
        raise ChannelFailed(
            f"no action {row.action} is configured any more", retryable=False
        ) from None
    payload = _payload(alert, row.phase)
    summary = f"{alert.alert_class} {alert.rule}"
    if action.type == "webhook":
        secret = environ.get(action.secret_env) if action.secret_env else None
        if action.secret_env and not secret:
            raise ChannelFailed(f"the variable {action.secret_env} holding the secret is not set")
        return post_webhook(action.url, payload, secret=secret, timeout=action.timeout)
    if action.type == "alertmanager":
        labels = {
            "alertname": alert.rule,
            "severity": alert.alert_class,
            "source": "assay",
            "assay_alert": str(alert.id),
        }
        return post_alertmanager(
            action.url,
            labels=labels,
            annotations={"summary": summary, "description": json.dumps(alert.evidence)[:4000]},
            starts=datetime.fromtimestamp(alert.opened, UTC),
            ends=datetime.fromtimestamp(alert.resolved, UTC)
            if row.phase == "resolve" and alert.resolved
            else None,
            timeout=action.timeout,
        )
    if action.type == "command":
        return run_command(action.argv, payload, timeout=action.timeout)
    if action.type == "review":
        entry = store.ledger.append(
            REVIEW,
            {
                "alert": alert.id,
                "rule": alert.rule,
                "class": alert.alert_class,
                "blameless": True,
                "questions": action.questions,
                "evidence": alert.evidence,
            },
        )
        return {"review": entry.seq}
    return _roll_back(store, action, alert)


def _roll_back(store: Store, action: Any, alert: AlertRow) -> dict[str, Any]:
    reason = f"alert {alert.id} ({alert.alert_class} {alert.rule})"
    # A process that died after moving the alias but before recording the attempt leaves the
    # action to another: it must not move the alias a second version back.
    done = AuditLog(store.ledger).payloads(ALIAS_KIND, reason=reason, moved=True)
    if done:
        earlier = done[-1][1]
        return {key: earlier[key] for key in ("action", "alias", "version", "reason", "moved")}
    try:
        client = registry_client(action.tracking_uri)
        decision = roll_back_alias(
            store,
            client,
            action.model,
            action.alias,
            spec=action.spec,
            reason=reason,
        )
    except (InvalidInputError, DatabaseUnavailableError) as error:
        raise ChannelFailed(error.message) from None
    if not decision.moved:
        raise ChannelFailed(decision.reason, retryable=False)
    now = datetime.now(UTC)
    ingest(
        store,
        [
            {
                "type": "model_deployed",
                "id": f"alert-{alert.id}-{action.name}",
                "source": "assay-alerts",
                "time": now.isoformat().replace("+00:00", "Z"),
                "model": action.model,
                "version": decision.version,
                "environment": action.environment,
                "alias": action.alias,
                "rollback": True,
            }
        ],
    )
    return decision.to_dict()


def run_due_actions(
    store: Store, slos: SloFile, *, environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Run the actions that are due (each claimed by one process only), record each attempt
    in the ledger, and schedule a retry with back-off for a failure that may pass, up to the
    file's ``retry.attempts``; what still fails then is marked failed and reported."""
    env = os.environ if environ is None else environ
    done = []
    now = time.time()
    for row in store.alerts.claim_due(now, LEASE):
        alert = store.alerts.get(row.alert_id)
        assert alert is not None
        attempt = row.attempts + 1
        try:
            result = {"outcome": "done", "detail": _perform(store, slos, alert, row, env)}
            status, next_try = "done", now
        except ChannelFailed as failure:
            last = not failure.retryable or attempt >= slos.retry.attempts
            status = "failed" if last else "retry"
            next_try = now if last else time.time() + slos.retry.delay(attempt)
            result = {"outcome": status, "error": str(failure)}
            if not last:
                result["next_try"] = datetime.fromtimestamp(next_try, UTC).isoformat()
        entry = {
            "alert": alert.id,
            "rule": alert.rule,
            "action": row.action,
            "phase": row.phase,
            "attempt": attempt,
            **result,
            "at": datetime.now(UTC).isoformat(),
        }
        with store.database.writing() as conn:
            store.alerts.finish_in(
                conn, row.id, status=status, attempts=attempt, next_try=next_try, result=result
            )
            store.ledger.append_in(conn, [(ACTION, entry)])
        done.append(entry)
    return done
