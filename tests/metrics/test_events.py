"""The canonical event: what is accepted, what is refused and why, and its published schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from assay.metrics.events import EventProblem, event_json_schema, parse_event

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, tzinfo=UTC)
DEPLOYMENT: dict[str, Any] = {
    "id": "d1",
    "type": "deployment",
    "time": "2026-11-02T10:00:00+01:00",
    "service": "api",
    "environment": "production",
    "outcome": "success",
    "changes": [{"id": "c1", "time": "2026-11-02T08:00:00Z"}],
}


def test_a_deployment_is_kept_in_utc_with_defaults() -> None:
    event = parse_event(DEPLOYMENT, now=NOW)
    assert event == {
        "id": "d1",
        "source": "import",
        "type": "deployment",
        "time": "2026-11-02T09:00:00Z",
        "service": "api",
        "environment": "production",
        "outcome": "success",
        "changes": [{"id": "c1", "time": "2026-11-02T08:00:00Z"}],
        "planned": True,
    }
    # A null is the same as leaving the field out; a sub-second time stays exact.
    precise = parse_event(DEPLOYMENT | {"team": None, "time": "2026-11-02T09:00:00.5Z"}, now=NOW)
    assert (precise["time"], "team" in precise) == ("2026-11-02T09:00:00.500000Z", False)


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        ({"time": "2026-12-24T00:00:00Z"}, "time", "in the future"),
        (
            {"changes": [{"id": "c", "time": "2026-11-02T09:30:00Z"}]},
            "",
            "later than the deployment",
        ),
        ({"outcome": "ok"}, "outcome", "'success' or 'failure'"),
        ({"time": "2026-11-02T10:00:00"}, "time", "no timezone offset"),
        ({"time": "yesterday"}, "time", "not an RFC 3339 time"),
        (
            {"changes": [{"id": "c", "time": "2026-11-02T08:59:59.900Z"}]}
            | {"time": "2026-11-02T08:59:59.5Z"},
            "",
            "later than the deployment",
        ),
        ({"service": ""}, "service", "at least 1 character"),
        ({"extra": 1}, "extra", "Extra inputs are not permitted"),
    ],
)
def test_bad_events_are_refused_with_the_place_and_reason(
    change: dict[str, Any], where: str, problem: str
) -> None:
    with pytest.raises(EventProblem) as caught:
        parse_event(DEPLOYMENT | change, now=NOW)
    assert caught.value.where == where
    assert problem in caught.value.problem


def test_an_incident_resolved_before_it_happened_is_refused() -> None:
    incident = {
        "id": "i",
        "type": "incident",
        "time": "2026-11-02T10:00:00Z",
        "resolved": "2026-11-02T09:00:00Z",
        "service": "a",
        "environment": "p",
    }
    with pytest.raises(EventProblem, match="resolved is earlier"):
        parse_event(incident, now=NOW)


def test_unknown_types_are_kept_as_unmapped_with_their_fields() -> None:
    event = parse_event(
        {"id": "x", "type": "build.queued", "time": "2026-11-02T10:00:00Z", "pipeline": "ci"},
        now=NOW,
    )
    assert (event["type"], event["original"], event["payload"]) == (
        "unmapped",
        "build.queued",
        {"pipeline": "ci"},
    )


def test_the_published_schema_is_current_and_agrees_with_the_parser() -> None:
    schema = event_json_schema()
    Draft202012Validator.check_schema(schema)
    published = json.loads((REPO / "docs" / "schemas" / "event.schema.json").read_text())
    assert published == schema, "stale: run assay events schema -o docs/schemas/event.schema.json"
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(DEPLOYMENT)) == []
    assert list(validator.iter_errors(DEPLOYMENT | {"outcome": "ok"}))
    for kind in ("model_registered", "drift_alert", "rollback", "incident"):
        assert kind in json.dumps(schema)
