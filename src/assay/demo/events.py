"""Ninety days of generated delivery and ML life-cycle events for three services of the demo,
seeded so that every run tells the same story: a fast, stable API; a weekly batch job with
long lead times; a web front end that deploys daily but breaks often and rolls back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

__all__ = ["DEMO_SERVICES", "ServiceProfile", "demo_events"]

HOUR = 3600.0


@dataclass(frozen=True)
class ServiceProfile:
    """How one generated service delivers: deployments per day, lead time (median hours,
    log-normal), change failure rate, recovery (median hours), share of rollbacks among the
    failures, share of unplanned deployments, changes per deployment."""

    name: str
    team: str
    per_day: float
    lead_hours: float
    failure_rate: float
    recovery_hours: float
    rollback_share: float
    unplanned: float
    changes: int


DEMO_SERVICES = (
    ServiceProfile("credit-api", "risk", 2.0, 5.0, 0.04, 0.8, 0.5, 0.05, 3),
    ServiceProfile("scoring-batch", "data", 1 / 7, 80.0, 0.12, 10.0, 0.2, 0.1, 12),
    ServiceProfile("web-app", "web", 1.0, 26.0, 0.3, 5.0, 0.6, 0.25, 4),
)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def _service_events(
    profile: ServiceProfile, start: float, end: float, rng: np.random.Generator
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    count = max(1, int(rng.poisson(profile.per_day * (end - start) / (24 * HOUR))))
    times = np.sort(rng.uniform(start + 7 * 24 * HOUR, end - 2 * HOUR, count))
    change = 0
    for index, at in enumerate(times):
        deployment = f"{profile.name}-{index + 1}"
        changes = []
        for _ in range(1 + int(rng.integers(0, profile.changes))):
            change += 1
            lead = rng.lognormal(np.log(profile.lead_hours), 0.6) * HOUR
            changes.append({"id": f"{profile.name}-c{change}", "time": _iso(at - lead)})
        failed_deploy = rng.random() < 0.03
        events.append(
            {
                "id": deployment,
                "source": "demo",
                "type": "deployment",
                "time": _iso(at),
                "service": profile.name,
                "environment": "production",
                "outcome": "failure" if failed_deploy else "success",
                "changes": changes,
                "planned": bool(rng.random() >= profile.unplanned),
                "team": profile.team,
                "version": f"1.{index + 1}.0",
            }
        )
        if failed_deploy or rng.random() >= profile.failure_rate:
            continue
        detected = at + rng.uniform(0.1, 0.5) * HOUR
        restored = detected + rng.lognormal(np.log(profile.recovery_hours), 0.5) * HOUR
        if rng.random() < profile.rollback_share:
            events.append(
                {
                    "id": f"{deployment}-rollback",
                    "source": "demo",
                    "type": "rollback",
                    "time": _iso(min(restored, end - 60)),
                    "service": profile.name,
                    "environment": "production",
                    "deployment": deployment,
                }
            )
        events.append(
            {
                "id": f"{deployment}-incident",
                "source": "demo",
                "type": "incident",
                "time": _iso(detected),
                "service": profile.name,
                "environment": "production",
                "deployment": deployment,
                "severity": "P2",
                "reported_by": "detector",
                **({"resolved": _iso(restored)} if restored < end - 60 else {}),
            }
        )
    return events


def _model_events(
    model: str, start: float, end: float, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """A model retrained every two to three weeks, and after each drift alert; each version
    registered from its training run and deployed a day or so later."""
    events: list[dict[str, Any]] = []
    at = start + rng.uniform(1, 5) * 24 * HOUR
    version = 0
    while at < end - 3 * 24 * HOUR:
        version += 1
        run = f"{model}-run-{version}"
        trained = at - rng.uniform(2, 6) * HOUR
        events.append(
            {
                "id": run,
                "source": "demo",
                "type": "training_finished",
                "time": _iso(trained),
                "run": run,
                "model": model,
                "data_newest": _iso(trained - rng.uniform(12, 72) * HOUR),
            }
        )
        events.append(
            {
                "id": f"{model}-v{version}",
                "source": "demo",
                "type": "model_registered",
                "time": _iso(at),
                "model": model,
                "version": str(version),
                "run": run,
                "model_card": bool(version % 3 != 0),
                "explanation": bool(version % 2 == 0),
            }
        )
        deployed = at + rng.uniform(6, 40) * HOUR
        events.append(
            {
                "id": f"{model}-v{version}-audit",
                "source": "demo",
                "type": "audit",
                "time": _iso(at + HOUR),
                "model": model,
                "version": str(version),
                "outcome": "pass" if rng.random() < 0.85 else "fail",
            }
        )
        events.append(
            {
                "id": f"{model}-v{version}-production",
                "source": "demo",
                "type": "model_deployed",
                "time": _iso(deployed),
                "model": model,
                "version": str(version),
                "environment": "production",
                "alias": "champion",
            }
        )
        drift = deployed + rng.uniform(7, 18) * 24 * HOUR
        if drift < end - HOUR:
            events.append(
                {
                    "id": f"{model}-drift-{version}",
                    "source": "demo",
                    "type": "drift_alert",
                    "time": _iso(drift),
                    "model": model,
                    "version": str(version),
                    "environment": "production",
                    "measurement": "psi",
                }
            )
        at = drift + rng.uniform(12, 60) * HOUR
    return events


def demo_events(now: datetime, days: int = 90, seed: int = 14) -> list[dict[str, Any]]:
    """The demo's canonical events (not yet validated) over the ``days`` before ``now``."""
    rng = np.random.default_rng(seed)
    end = now.timestamp()
    start = end - days * 24 * HOUR
    events: list[dict[str, Any]] = []
    for profile in DEMO_SERVICES:
        events += _service_events(profile, start, end, rng)
    for model in ("credit-default", "churn"):
        events += _model_events(model, start, end, rng)
    events.sort(key=lambda event: event["time"])
    return events
