"""The typed run model: a payload read and written again is the same payload, key for key,
whatever the kinds of its elements and whatever keys a later assay added."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from assay.audit.run_model import MeasurementResult, PreviousRun, RequirementResult, RunModel
from assay.files.spec import load_spec
from assay.services.audit_runs import run_audit
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.specs import spec_document


def test_a_stored_run_reads_back_as_the_same_payload(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps({"a": 0.9, "b": "x"}))
    document = spec_document(
        [
            {"id": "a", "name": "A", "comparison": "in_range", "target": [0.5, 1],
             "tolerance": 0.01, "assessment_interface": "file:m.json#a"},
            {"id": "b", "name": "B", "comparison": "equal_to", "target": "y",
             "data_type": "string", "confidential": True, "assessment_interface": "file:m.json#b"},
            {"id": "c", "name": "C", "comparison": "greater_than", "target": 1},
        ]
    )  # fmt: skip
    document["dimensions"][0]["requirements"][0]["severity"] = "advisory"
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(document))
    store = open_store(DatabaseChoice(f"sqlite:///{tmp_path / 'a.db'}", "test"))
    try:
        record = run_audit(store, load_spec(spec), "t@1")
        (stored,) = [entry.content for entry in store.ledger.entries(kind="audit.run")]
    finally:
        store.close()
    assert stored is not None
    assert RunModel.from_payload(stored).payload() == stored
    run = record.model
    requirement = run.dimensions[0].requirements[0]
    assert isinstance(requirement, RequirementResult)
    assert requirement.severity == "advisory"
    a, b, c = run.measurements()
    assert isinstance(a, MeasurementResult)
    assert (a.value, a.outcome, a.tolerance, a.target) == (0.9, "pass", 0.01, [0.5, 1])
    assert (b.outcome, b.confidential) == ("fail", True)
    assert (c.outcome, c.error is not None) == ("error", True)
    assert "assessor" not in stored["dimensions"][0], "keys that were not given stay out"


def test_keys_a_later_assay_adds_pass_through() -> None:
    payload = {
        "run_id": "r1",
        "spec": {"id": "s", "hash": "0" * 64, "colour": "blue"},
        "target": "t",
        "verdict": "pass",
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:00:01+00:00",
        "dimensions": [{"id": "d", "name": "D", "outcome": "pass", "novel": [1, 2]}],
        "future": {"x": 1},
    }
    assert RunModel.from_payload(payload).payload() == payload


def _run_payload(verdict: str, dimensions: list[dict[str, object]]) -> dict[str, object]:
    return {
        "run_id": "r1",
        "spec": {"id": "s", "hash": "0" * 64},
        "target": "t",
        "verdict": verdict,
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:00:01+00:00",
        "dimensions": dimensions,
    }


def test_the_brief_of_a_payload_is_the_brief_of_the_whole_run() -> None:
    payload = _run_payload(
        "fail",
        [
            {"id": "d", "name": "D", "outcome": "pass"},
            {"id": "e", "name": "E", "outcome": "fail", "requirements": []},
        ],
    )
    brief = PreviousRun.of_payload(payload)
    assert brief == RunModel.from_payload(payload).brief()
    assert brief.model_dump() == {
        "run_id": "r1",
        "verdict": "fail",
        "finished": "2026-01-01T00:00:01+00:00",
        "dimensions": {"d": "pass", "e": "fail"},
    }
    assert PreviousRun.of_payload({**payload, "dimensions": []}).dimensions == {}


@pytest.mark.parametrize(
    "change",
    [
        {"verdict": None},  # a field of the brief of the wrong type
        {"dimensions": [{"id": "d", "name": "D"}]},  # a dimension without its outcome
        {"dimensions": "d"},  # not a list of dimensions
    ],
)
def test_a_payload_not_shaped_as_a_run_is_refused_as_the_whole_run_would_be(
    change: dict[str, object],
) -> None:
    payload = _run_payload("pass", [{"id": "d", "name": "D", "outcome": "pass"}]) | change
    with pytest.raises(ValidationError):
        RunModel.from_payload(payload)
    with pytest.raises(ValidationError):
        PreviousRun.of_payload(payload)
