"""Evaluation and aggregation rules on hand-built specifications (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assay.audit.evaluation import (
    Evidence,
    Outcome,
    Result,
    Waiver,
    aggregate,
    evaluate,
    relative_target,
)
from assay.audit.spec import Specification

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def spec(*requirements: dict[str, Any]) -> Specification:
    return Specification.model_validate(
        {
            "spec": 1,
            "id": "s",
            "name": "S",
            "dimensions": [{"id": "d", "name": "D", "requirements": list(requirements)}],
        }
    )


def requirement(rid: str, *measurements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    metric = {"id": f"{rid}-m", "name": "M", "measurements": list(measurements)}
    return {"id": rid, "name": rid, "metrics": [metric], **extra}


def measure(
    mid: str, comparison: str = "greater_or_equal", target: Any = 0.8, **extra: Any
) -> dict[str, Any]:
    return {"id": mid, "name": mid, "comparison": comparison, "target": target, **extra}


def outcomes(result: Result) -> dict[str, Outcome]:
    return {r.id: r.outcome for r in result.walk()}


def test_pass_fail_and_aggregation() -> None:
    s = spec(requirement("r1", measure("a"), measure("b")), requirement("r2", measure("c")))
    result = evaluate(s, {"a": Evidence(0.9), "b": Evidence(0.85), "c": Evidence(0.5)}, now=NOW)
    got = outcomes(result)
    assert (got["a"], got["b"], got["r1"]) == (Outcome.passed, Outcome.passed, Outcome.passed)
    assert (got["c"], got["r2"], got["d"], got["s"]) == (Outcome.failed,) * 4


def test_error_when_nothing_fails_and_fail_wins_over_error() -> None:
    s = spec(requirement("r1", measure("a"), measure("b")))
    only_error = evaluate(
        s, {"a": Evidence(0.9), "b": Evidence(error="no such file: m.json")}, now=NOW
    )
    assert outcomes(only_error)["s"] is Outcome.error
    b = next(r for r in only_error.walk() if r.id == "b")
    assert b.error == "no such file: m.json"
    both = evaluate(s, {"a": Evidence(0.1), "b": Evidence(error="timeout")}, now=NOW)
    assert outcomes(both)["s"] is Outcome.failed


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ninety", "not comparable: 'ninety' is not a number"),
        ({"a": 1}, "an object is not a number"),
    ],
)
def test_a_value_of_the_wrong_type_is_an_error(value: Any, reason: str) -> None:
    result = evaluate(spec(requirement("r", measure("a"))), {"a": Evidence(value)}, now=NOW)
    a = next(r for r in result.walk() if r.id == "a")
    assert a.outcome is Outcome.error
    assert a.error is not None
    assert reason in a.error


def test_no_evidence_at_all_is_an_error_that_says_what_to_do() -> None:
    result = evaluate(spec(requirement("r", measure("a"))), {}, now=NOW)
    a = next(r for r in result.walk() if r.id == "a")
    assert (a.outcome, a.error) == (
        Outcome.error,
        "no value: the measurement has no assessment_interface and no attestation",
    )


def test_advisory_requirements_are_reported_but_never_fail_the_verdict() -> None:
    s = spec(
        requirement("blocking", measure("a")),
        requirement("advice", measure("b"), severity="advisory"),
        requirement("advice-error", measure("c"), severity="advisory"),
    )
    result = evaluate(
        s, {"a": Evidence(0.9), "b": Evidence(0.1), "c": Evidence(error="x")}, now=NOW
    )
    got = outcomes(result)
    assert (got["advice"], got["advice-error"]) == (Outcome.failed, Outcome.error)
    assert got["s"] is Outcome.passed


def test_a_waiver_turns_a_failure_into_waived_until_it_expires() -> None:
    s = spec(requirement("r", measure("a"), measure("b")))
    waiver = Waiver("a", "Dana", "retraining scheduled", NOW + timedelta(days=1))
    evidence = {"a": Evidence(0.5), "b": Evidence(0.9)}
    result = evaluate(s, evidence, now=NOW, waivers={"a": waiver})
    a = next(r for r in result.walk() if r.id == "a")
    assert (a.outcome, a.waiver) == (Outcome.waived, waiver)
    assert outcomes(result)["s"] is Outcome.passed, "a waived child does not fail its parent"
    later = evaluate(s, evidence, now=NOW + timedelta(days=2), waivers={"a": waiver})
    assert outcomes(later)["a"] is Outcome.failed, "an expired waiver stops applying"
    passing = evaluate(s, {"a": Evidence(0.9), "b": Evidence(0.9)}, now=NOW, waivers={"a": waiver})
    assert outcomes(passing)["a"] is Outcome.passed, "a waiver never hides a pass as waived"
    on_requirement = evaluate(
        s, evidence, now=NOW, waivers={"r": Waiver("r", "Dana", "known", NOW + timedelta(1))}
    )
    assert (outcomes(on_requirement)["r"], outcomes(on_requirement)["a"]) == (
        Outcome.waived,
        Outcome.failed,
    )


def test_expired_attestations_are_stale_and_make_the_parent_error() -> None:
    s = spec({"id": "risk-review", "name": "Risk evaluation documented"})
    attested = Evidence(
        "pass", source="https://wiki/risk", attested_by="Dana", expires=NOW + timedelta(days=90)
    )
    fresh = evaluate(s, {"risk-review": attested}, now=NOW)
    review = next(r for r in fresh.walk() if r.id == "risk-review")
    assert (review.outcome, review.attested_by) == (Outcome.passed, "Dana")
    old = evaluate(s, {"risk-review": attested}, now=NOW + timedelta(days=91))
    got = outcomes(old)
    assert (got["risk-review"], got["s"]) == (Outcome.stale, Outcome.error)
    missing = evaluate(s, {}, now=NOW)
    review = next(r for r in missing.walk() if r.id == "risk-review")
    assert review.error == "nothing to evaluate: record a verdict with assay audit attest"


@pytest.mark.parametrize(
    ("verdict", "outcome"),
    [
        (True, Outcome.passed),
        ("fail", Outcome.failed),
        ("PASS", Outcome.passed),
        ("maybe", Outcome.error),
    ],
)
def test_an_assessor_verdict_stands_for_the_element(verdict: Any, outcome: Outcome) -> None:
    s = spec(requirement("r", measure("a"), assessor="ACME", assessment_interface="https://acme/v"))
    # The measurement below would fail: the assessor's verdict stands instead.
    result = evaluate(
        s, {"r": Evidence(verdict, source="GET https://acme/v"), "a": Evidence(0.1)}, now=NOW
    )
    r = next(x for x in result.walk() if x.id == "r")
    assert (r.outcome, r.external, r.children) == (outcome, True, ())


def test_relative_targets_against_a_baseline() -> None:
    s = spec(
        requirement(
            "r",
            measure("acc", target={"baseline": "champion", "max_drop": 0.01}),
            measure("latency", "less_or_equal", {"baseline": "champion", "max_relative_rise": 0.1}),
        )
    )
    baselines = {"acc": 0.90, "latency": 100.0}
    ok = evaluate(
        s, {"acc": Evidence(0.895), "latency": Evidence(109.0)}, now=NOW, baselines=baselines
    )
    assert outcomes(ok)["r"] is Outcome.passed
    acc = next(r for r in ok.walk() if r.id == "acc")
    assert acc.target == pytest.approx(0.89)
    assert acc.extra["baseline_value"] == 0.90
    worse = evaluate(
        s, {"acc": Evidence(0.88), "latency": Evidence(111.0)}, now=NOW, baselines=baselines
    )
    assert (outcomes(worse)["acc"], outcomes(worse)["latency"]) == (Outcome.failed, Outcome.failed)
    none = evaluate(s, {"acc": Evidence(0.9), "latency": Evidence(1.0)}, now=NOW, baselines={})
    acc = next(r for r in none.walk() if r.id == "acc")
    assert acc.outcome is Outcome.error
    assert acc.error is not None
    assert "no conformant run of the baseline target 'champion'" in acc.error


@given(st.lists(st.sampled_from(list(Outcome)), max_size=8))
def test_aggregate_matches_the_written_rule(children: list[Outcome]) -> None:
    expected = (
        Outcome.failed
        if Outcome.failed in children
        else Outcome.error
        if {Outcome.error, Outcome.stale} & set(children)
        else Outcome.passed
    )
    assert aggregate(children) is expected


@given(
    baseline=st.floats(-1e6, 1e6),
    allowed=st.floats(0, 1e3),
)
def test_relative_target_formulas(baseline: float, allowed: float) -> None:
    assert relative_target({"max_drop": allowed}, baseline) == baseline - allowed
    assert relative_target({"max_rise": allowed}, baseline) == baseline + allowed
    assert (
        relative_target({"max_relative_drop": allowed}, baseline)
        == baseline - abs(baseline) * allowed
    )
