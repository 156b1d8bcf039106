"""Small conformity specifications for tests: one dimension, one requirement, one metric."""

from __future__ import annotations

from typing import Any


def spec_document(
    measurements: list[dict[str, Any]],
    *,
    spec_id: str = "s",
    metric: dict[str, Any] | None = None,
    more_requirements: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A spec whose requirement ``r`` has one metric ``m`` holding ``measurements`` (``metric``
    adds keys to the metric, ``more_requirements`` appends requirements)."""
    the_metric = {"id": "m", "name": "M", **(metric or {}), "measurements": measurements}
    requirement = {"id": "r", "name": "R", "metrics": [the_metric]}
    dimension = {"id": "d", "name": "D", "requirements": [requirement, *(more_requirements or [])]}
    return {"spec": 1, "id": spec_id, "name": spec_id.title(), "dimensions": [dimension]}
