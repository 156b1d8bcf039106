"""ML life-cycle figures against hand computations on a small history of one model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assay.metrics.ml import ml_figures
from assay.metrics.windows import Window

WEEK = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 8, tzinfo=UTC))


def t(day: int, hour: int = 0, month: int = 11) -> str:
    return datetime(2026, month, day, hour, tzinfo=UTC).isoformat()


def ev(kind: str, id: str, time: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, "source": "test", "type": kind, "time": time, **fields}


EVENTS = [
    ev(
        "model_registered",
        "r1",
        t(1),
        model="fraud",
        version="1",
        data_newest=t(30, 0, 10),
        model_card=True,
    ),
    ev("audit", "a1", t(1, 12), model="fraud", version="1", outcome="pass"),
    ev("model_deployed", "p1", t(2), model="fraud", version="1", environment="production"),
    ev("drift_alert", "x1", t(4), model="fraud"),
    ev("training_finished", "t2", t(4, 5), run="run-2", model="fraud", data_newest=t(4)),
    ev("model_registered", "r2", t(4, 6), model="fraud", version="2", run="run-2"),
    ev("audit", "a2", t(4, 7), model="fraud", version="2", outcome="fail"),
    ev("model_deployed", "p2", t(5), model="fraud", version="2", environment="production"),
    ev("model_deployed", "s2", t(5), model="fraud", version="2", environment="staging"),
    ev(
        "model_deployed",
        "p3",
        t(6),
        model="fraud",
        version="1",
        environment="production",
        rollback=True,
    ),
    ev("model_registered", "o1", t(2), model="other", version="7"),
]


def test_the_life_cycle_of_one_model_by_hand() -> None:
    got = ml_figures(EVENTS, WEEK, model="fraud")
    assert got["model_age_days"] == {"median": 2.0, "max": 2.0, "models": 1}  # v1 since the 6th
    assert got["time_to_redeploy_hours"] == {"median": 21.0, "versions": 2}  # 24 h and 18 h
    assert got["time_to_retrain_hours"] == {"median": 6.0, "alerts": 1, "open": 0}
    assert got["model_rollback_time_hours"] == {"median": 24.0, "rollbacks": 1}
    assert got["drift_alerts"] == {"count": 1, "per_model_per_week": 1.0, "models": 1}
    # v1: deployed the 2nd, data up to Oct 30 (72 h); v2: deployed the 5th, data to the 4th.
    assert got["data_freshness_lag_hours"] == {"median": 48.0, "deployments": 2}
    assert got["retrain_frequency"] == {"trainings": 1, "per_week": 1.0}
    assert got["governance_coverage"] == {"value": 0.5, "audited": 1, "versions": 2}
    assert got["explainability_coverage"] == {"value": 0.5, "explained": 1, "versions": 2}
    [fraud] = got["models"]
    assert fraud["serving_version"] == "1"


def test_figures_as_known_at_the_window_end() -> None:
    early = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 4, 3, tzinfo=UTC))
    got = ml_figures(EVENTS, early, model="fraud")
    assert got["time_to_retrain_hours"] == {"median": None, "alerts": 0, "open": 1}
    assert got["model_age_days"]["median"] == (2 * 24 + 3) / 24
    assert got["governance_coverage"]["value"] == 1.0


def test_models_without_production_activity_are_left_out() -> None:
    got = ml_figures(EVENTS, WEEK)
    assert [m["model"] for m in got["models"]] == ["fraud"]
    staging = ml_figures(EVENTS, WEEK, environment="staging")
    assert staging["models"][0]["serving_version"] == "2"
