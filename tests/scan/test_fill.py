"""Crediting tier by tier, the frameworks the scan pre-fills and the capability map, against
outcomes worked out by hand."""

from __future__ import annotations

from assay.catalog import load_framework
from assay.catalog.scan import capability_catalog, probe_definitions
from assay.scan.fill import fill_capabilities, fill_iml4e, fill_marvelous, fill_ml_test_score
from assay.scan.findings import Confidence, Finding, Outcome
from assay.scan.tiers import credit_tiers, requirement_outcome

Y, N, U, NA = Outcome.yes, Outcome.no, Outcome.unknown, Outcome.not_applicable
LEVELS: dict[float, float] = {level: level - 1 for level in range(5)}


def test_a_requirement_is_met_by_any_alternative() -> None:
    assert requirement_outcome(["a", "b"], {"a": N, "b": Y}) is Y
    assert requirement_outcome(["a", "b"], {"a": N, "b": N}) is N
    assert requirement_outcome(["a", "b"], {"a": N, "b": NA}) is N
    assert requirement_outcome(["a", "b"], {"a": N, "b": U}) is U
    assert requirement_outcome(["a"], {"a": NA}) is NA
    assert requirement_outcome(["missing"], {}) is U


def test_tiers_are_credited_from_the_bottom_and_stop_at_the_first_gap() -> None:
    tiers: dict[float, list[list[str]]] = {2: [["a"]], 3: [["b"], ["c", "d"]], 4: [["e"]]}
    everything = {"a": Y, "b": Y, "c": N, "d": Y, "e": Y}
    assert credit_tiers(tiers, everything, step_below=LEVELS).credited == 4
    refuted = credit_tiers(tiers, {**everything, "b": N}, step_below=LEVELS)
    assert (refuted.credited, refuted.ceiling, refuted.refuted_by) == (2, 2, ("b",))
    open_ = credit_tiers(tiers, {**everything, "b": U}, step_below=LEVELS)
    assert (open_.credited, open_.ceiling, open_.unknown) == (2, None, ("b",))
    # A higher tier met does not count while a lower one is unknown.
    assert credit_tiers(tiers, {**everything, "a": U}, step_below=LEVELS).credited is None
    first = credit_tiers(tiers, {**everything, "a": N}, step_below=LEVELS)
    assert (first.credited, first.ceiling) == (None, 1)


def _findings(outcomes: dict[str, Outcome]) -> list[Finding]:
    return [
        Finding(d.id, outcomes.get(d.id, U), Confidence.high, "", (), ("mlflow",))
        for d in probe_definitions()
    ]


def test_iml4e_topic_12_from_tracking_and_reproducibility() -> None:
    framework, definitions = load_framework("iml4e"), probe_definitions()
    topics = fill_iml4e(framework, definitions, {"experiment-tracking-in-code": N})["topics"]
    assert (topics["12"]["credited"], topics["12"]["ceiling"]) == (None, 1)
    outcomes = {
        "experiment-tracking-in-code": Y,
        "mlflow-runs-linked-to-commits": Y,
        "mlflow-project": N,
        "dvc-pipeline": Y,
    }
    topics = fill_iml4e(framework, definitions, outcomes)["topics"]
    assert topics["12"]["credited"] == 4
    topics = fill_iml4e(framework, definitions, {**outcomes, "dvc-pipeline": N})["topics"]
    assert (topics["12"]["credited"], topics["12"]["ceiling"]) == (2, 3)
    assert "1" not in topics  # no probe reaches the people topics


def test_marvelous_statement_needs_every_mapped_probe() -> None:
    framework, definitions = load_framework("marvelous"), probe_definitions()
    both = {"review-rules": Y, "codeowners": Y}
    assert fill_marvelous(framework, definitions, both)["statements"]["3.2.4"]["answer"] == "yes"
    one = {"review-rules": U, "codeowners": Y}
    assert fill_marvelous(framework, definitions, one)["statements"]["3.2.4"]["answer"] == "unknown"
    refuted = {"review-rules": U, "codeowners": N}
    assert fill_marvelous(framework, definitions, refuted)["statements"]["3.2.4"]["answer"] == "no"


def test_ml_test_score_sums_sections_and_takes_the_lowest() -> None:
    framework, definitions = load_framework("ml-test-score"), probe_definitions()
    outcomes = {
        "data-validation": Y,  # data-1 → 1, monitor-2 tier 0.5 met
        "monitoring-configured": Y,  # monitor-2 → 1, monitor-7 tier 0.5
        "alerting-rules": N,  # monitor-7 tier 1 refuted → 0.5
        "dependency-update-automation": N,  # monitor-1 → 0 (at most 0.5)
        "test-suite-present": Y,
        "ci-runs-tests": Y,  # infra-2 → 1, data-7 → 1
        "hyperparameter-tuning": Y,  # model-3 → 1
    }
    score = fill_ml_test_score(framework, definitions, outcomes)
    sections = {s["id"]: s for s in score["sections"]}
    assert sections["data"]["tests"]["data-1"]["score"] == 1
    assert sections["data"]["sum"] == 2.0
    monitor = sections["monitor"]["tests"]
    assert (monitor["monitor-1"]["score"], monitor["monitor-1"]["at_most"]) == (0.0, 0.5)
    assert monitor["monitor-2"]["score"] == 1
    assert monitor["monitor-7"]["score"] == 0.5
    assert sections["monitor"]["sum"] == 1.5
    assert sections["model"]["sum"] == 1.0
    assert score["final"] == 1.0  # min(2, 1, infra, 1.5); infra-2 alone gives 1
    assert sections["infra"]["sum"] == 1.0
    assert score["complete"] is False


def test_every_capability_is_in_the_map_with_tools_from_the_catalog() -> None:
    catalog, definitions = capability_catalog(), probe_definitions()
    assert len(catalog.ids) == 18
    mapped = {c for d in definitions for c in d.capabilities}
    assert mapped == set(catalog.ids), set(catalog.ids) - mapped
    findings = _findings({"experiment-tracking-in-code": Y, "feature-store": N})
    capabilities = fill_capabilities(catalog, definitions, findings)
    assert list(capabilities) == list(catalog.ids)
    assert capabilities["experiment-tracking"]["present"] is True
    assert capabilities["experiment-tracking"]["tools"] == ["mlflow"]
    assert capabilities["feature-provision-reuse"]["present"] is False
    assert capabilities["data-ingestion"]["present"] is None
