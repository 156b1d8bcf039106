"""assay's own audit outcomes as canonical events: a run of a model version (``NAME@VERSION``)
is an ``audit`` event (pass or fail), and each drift measurement that failed is a
``drift_alert`` for the model.

A measurement measures drift when its interface is a drift probe (``probe: drift.…``) or its
id or name says ``drift``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.audit.run_model import RunModel

__all__ = ["is_drift_measurement", "outcome_events"]

SOURCE = "assay"


def is_drift_measurement(element_id: str, name: str, interface: Any) -> bool:
    """Whether a measurement measures drift (see the module)."""
    if isinstance(interface, Mapping) and str(interface.get("probe", "")).startswith("drift."):
        return True
    return "drift" in element_id.lower() or "drift" in name.lower()


def outcome_events(run: RunModel, interfaces: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The canonical events of one stored run (not yet validated)."""
    model, at, version = run.target.partition("@")
    if not at:
        return []
    finished = run.finished
    events: list[dict[str, Any]] = []
    if version:
        events.append(
            {
                "id": f"run-{run.run_id}",
                "source": SOURCE,
                "type": "audit",
                "time": finished,
                "model": model,
                "version": version,
                "outcome": "pass" if run.verdict == "pass" else "fail",
                "spec": run.spec.id,
                "run_id": run.run_id,
            }
        )
    for measurement in run.measurements():
        if measurement.outcome != "fail":
            continue
        if not is_drift_measurement(
            measurement.id, measurement.name, interfaces.get(measurement.id)
        ):
            continue
        alert: dict[str, Any] = {
            "id": f"drift-{run.run_id}-{measurement.id}",
            "source": SOURCE,
            "type": "drift_alert",
            "time": finished,
            "model": model,
            "measurement": measurement.id,
        }
        if version:
            alert["version"] = version
        events.append(alert)
    return events
