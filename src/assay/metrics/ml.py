"""ML life-cycle metrics from canonical events (definitions in docs/metrics.md).

Like the delivery keys, every figure is "as known at the window's end": events at or after
``until`` are not seen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assay.metrics.events import ML_TYPES
from assay.metrics.events import epoch_of as epoch
from assay.metrics.windows import DAY, Window

__all__ = ["ModelHistory", "ml_figures"]


@dataclass
class ModelHistory:
    """Everything received about one model, times in seconds, sorted."""

    model: str
    registered: dict[str, tuple[float, Mapping[str, Any]]] = field(default_factory=dict)
    deployed: list[tuple[float, Mapping[str, Any]]] = field(default_factory=list)
    trainings: list[tuple[float, Mapping[str, Any]]] = field(default_factory=list)
    alerts: list[float] = field(default_factory=list)
    passed: dict[str, float] = field(default_factory=dict)

    def serving(self, until: float) -> tuple[float, str] | None:
        """(deployed at, version) of the version serving just before ``until``."""
        before = [(t, d["version"]) for t, d in self.deployed if t < until]
        return before[-1] if before else None


def _histories(
    events: Iterable[Mapping[str, Any]], environment: str, model: str | None
) -> tuple[dict[str, ModelHistory], dict[str, float]]:
    histories: dict[str, ModelHistory] = {}
    data_by_run: dict[str, float] = {}
    for event in events:
        kind = event["type"]
        if kind not in ML_TYPES:
            continue
        if kind == "training_finished":
            if event.get("data_newest"):
                data_by_run[event["run"]] = epoch(event["data_newest"])
            name = event.get("model")
        else:
            name = event["model"]
        if name is None or (model is not None and name != model):
            continue
        history = histories.setdefault(name, ModelHistory(name))
        at = epoch(event["time"])
        if kind == "model_registered":
            earlier = history.registered.get(event["version"])
            if earlier is None or at < earlier[0]:
                history.registered[event["version"]] = (at, event)
        elif kind == "model_deployed":
            if event["environment"] == environment:
                history.deployed.append((at, event))
        elif kind == "training_finished":
            if event.get("outcome", "success") == "success":
                history.trainings.append((at, event))
        elif kind == "drift_alert":
            if event.get("environment") in (None, environment):
                history.alerts.append(at)
        elif kind == "audit" and event["outcome"] == "pass":
            version = event["version"]
            history.passed[version] = min(history.passed.get(version, at), at)
    for history in histories.values():
        history.deployed.sort(key=lambda pair: (pair[0], pair[1]["id"]))
        history.trainings.sort(key=lambda pair: pair[0])
        history.alerts.sort()
    return histories, data_by_run


def ml_figures(
    events: Iterable[Mapping[str, Any]],
    window: Window,
    *,
    environment: str = "production",
    model: str | None = None,
) -> dict[str, Any]:
    """The ML life-cycle figures of ``model`` (or of every model) in ``environment`` over
    ``window``, each with its sample count, and a breakdown per model."""
    histories, data_by_run = _histories(events, environment, model)
    since, until = window.since.timestamp(), window.until.timestamp()
    computed = [
        _model_figures(h, data_by_run, since, until, window.weeks)
        for _, h in sorted(histories.items())
    ]
    per_model = [figures for figures in computed if figures is not None]
    return {
        **_combined(per_model, window.weeks),
        "models": per_model,
    }


def _model_figures(
    history: ModelHistory,
    data_by_run: Mapping[str, float],
    since: float,
    until: float,
    weeks: float,
) -> dict[str, Any] | None:
    serving = history.serving(until)
    in_window = [(t, d) for t, d in history.deployed if since <= t < until]
    alerts = [t for t in history.alerts if since <= t < until]
    trainings = [t for t, _ in history.trainings if since <= t < until]
    if serving is None and not alerts and not trainings:
        return None
    first_deploy: dict[str, float] = {}
    for t, d in history.deployed:
        first_deploy.setdefault(d["version"], t)
    redeploy = [
        (t - history.registered[d["version"]][0]) / 3600.0
        for t, d in in_window
        if first_deploy[d["version"]] == t and d["version"] in history.registered
    ]
    registrations = sorted(t for t, _ in history.registered.values() if t < until)
    retrain, open_alerts = [], 0
    for at in alerts:
        later = [t for t in registrations if t > at]
        if later:
            retrain.append((later[0] - at) / 3600.0)
        else:
            open_alerts += 1
    rollbacks = []
    for index, (t, d) in enumerate(history.deployed):
        if d.get("rollback") and since <= t < until and index > 0:
            rollbacks.append((t - history.deployed[index - 1][0]) / 3600.0)
    freshness = []
    for t, d in in_window:
        if d.get("rollback"):
            continue
        newest = _data_newest(history, d["version"], data_by_run)
        if newest is not None:
            freshness.append((t - newest) / 3600.0)
    versions = sorted({d["version"] for _, d in in_window} | ({serving[1]} if serving else set()))
    audited = [v for v in versions if history.passed.get(v, float("inf")) < until]
    explained = [v for v in versions if _explained(history, v, until)]
    return {
        "model": history.model,
        "serving_version": serving[1] if serving else None,
        "model_age_days": (until - serving[0]) / DAY if serving else None,
        "time_to_redeploy_hours": _summary(redeploy, "versions"),
        "time_to_retrain_hours": {**_summary(retrain, "alerts"), "open": open_alerts},
        "model_rollback_time_hours": _summary(rollbacks, "rollbacks"),
        "drift_alerts": {"count": len(alerts), "per_week": len(alerts) / weeks},
        "data_freshness_lag_hours": _summary(freshness, "deployments"),
        "retrain_frequency": {"trainings": len(trainings), "per_week": len(trainings) / weeks},
        "governance_coverage": _share(len(audited), len(versions), "audited"),
        "explainability_coverage": _share(len(explained), len(versions), "explained"),
        "_samples": {
            "redeploy": redeploy,
            "retrain": retrain,
            "rollbacks": rollbacks,
            "freshness": freshness,
        },
    }


def _data_newest(
    history: ModelHistory, version: str, data_by_run: Mapping[str, float]
) -> float | None:
    registered = history.registered.get(version)
    if registered is None:
        return None
    event = registered[1]
    if event.get("data_newest"):
        return epoch(event["data_newest"])
    run = event.get("run")
    return data_by_run.get(run) if run else None


def _explained(history: ModelHistory, version: str, until: float) -> bool:
    registered = history.registered.get(version)
    if registered is None or registered[0] >= until:
        return False
    return bool(registered[1].get("model_card") or registered[1].get("explanation"))


def _summary(values: list[float], count: str) -> dict[str, Any]:
    return {"median": float(np.median(values)) if values else None, count: len(values)}


def _share(part: int, whole: int, name: str) -> dict[str, Any]:
    return {"value": part / whole if whole else None, name: part, "versions": whole}


def _combined(per_model: list[dict[str, Any]], weeks: float) -> dict[str, Any]:
    """The figures of all the models together: medians over the pooled samples."""
    samples: dict[str, list[float]] = defaultdict(list)
    for figures in per_model:
        for key, values in figures.pop("_samples").items():
            samples[key].extend(values)
    ages = [f["model_age_days"] for f in per_model if f["model_age_days"] is not None]
    alerts = sum(f["drift_alerts"]["count"] for f in per_model)
    trainings = sum(f["retrain_frequency"]["trainings"] for f in per_model)
    open_alerts = sum(f["time_to_retrain_hours"]["open"] for f in per_model)
    versions = sum(f["governance_coverage"]["versions"] for f in per_model)
    audited = sum(f["governance_coverage"]["audited"] for f in per_model)
    explained = sum(f["explainability_coverage"]["explained"] for f in per_model)
    models = len(per_model)
    return {
        "model_age_days": {
            "median": float(np.median(ages)) if ages else None,
            "max": max(ages) if ages else None,
            "models": len(ages),
        },
        "time_to_redeploy_hours": _summary(samples["redeploy"], "versions"),
        "time_to_retrain_hours": {**_summary(samples["retrain"], "alerts"), "open": open_alerts},
        "model_rollback_time_hours": _summary(samples["rollbacks"], "rollbacks"),
        "drift_alerts": {
            "count": alerts,
            "per_model_per_week": alerts / models / weeks if models else None,
            "models": models,
        },
        "data_freshness_lag_hours": _summary(samples["freshness"], "deployments"),
        "retrain_frequency": {"trainings": trainings, "per_week": trainings / weeks},
        "governance_coverage": _share(audited, versions, "audited"),
        "explainability_coverage": _share(explained, versions, "explained"),
    }
