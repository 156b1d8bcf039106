"""The ML Test Score rubric: answers 0 / 0.5 / 1 (or no / manual / automated), section sums,
the final score as the lowest sum, consensus and bands, worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.catalog import load_framework
from assay.maturity.rubric import parse_credit, score_rubric
from assay.maturity.scoring import Answer, Respondent
from tests.helpers.running import run_cli


def test_credits_parse_numbers_and_words_only() -> None:
    assert [parse_credit(v) for v in (0, 0.5, 1, "manual", "Automated", "no")] == [
        0.0, 0.5, 1.0, 0.5, 1.0, 0.0,
    ]  # fmt: skip
    assert [parse_credit(v) for v in (True, 2, 0.25, "yes", None)] == [None] * 5


def test_the_catalog_has_28_tests_in_four_sections_of_seven() -> None:
    framework = load_framework("ml-test-score")
    assert [s.id for s in framework.sections] == ["data", "model", "infra", "monitor"]
    assert [len(s.statements) for s in framework.sections] == [7, 7, 7, 7]


def test_sums_final_score_consensus_and_band() -> None:
    framework = load_framework("ml-test-score")
    every = {t.id: 1.0 for t in framework.statements}
    alice = Respondent("alice", {k: Answer(v) for k, v in every.items()})
    bob = Respondent("bob", {k: Answer(0.0 if k == "model-1" else v) for k, v in every.items()})
    score = score_rubric(framework, [alice, bob])
    # model-1: median of 1 and 0 is 0.5, rounded down to a half point: 0.5
    assert score.tests["model-1"] == 0.5
    assert score.disputed == ("model-1",)
    assert [s.sum for s in score.sections] == [7.0, 6.5, 7.0, 7.0]
    assert score.final == 6.5
    assert score.complete
    assert score.band == "Exceptional automated testing and monitoring."
    partial = score_rubric(framework, [Respondent("c", {"data-1": Answer(0.5)})])
    assert partial.final == 0.0
    assert not partial.complete
    assert partial.band == "A research project rather than a system in production."
    three = score_rubric(
        framework, [Respondent("d", {t.id: Answer(0.5) for t in framework.statements})]
    )
    assert three.final == 3.5  # 7 times 0.5 in every section; above 3: strong
    assert (three.band or "").startswith("Strong automated testing")


def test_cli_scores_a_rubric_and_refuses_what_it_cannot_draw(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    answers = tmp_path / "mts.yaml"
    answers.write_text(
        "framework: ml-test-score\nanswers:\n  data-1: automated\n  data-2: 0.5\n"
        "  infra-1: {answer: 1, evidence: make reproduce}\n"
    )
    result = run_cli(capsys, "maturity", "score", str(answers), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["sections"][0]["sum"] == 1.5
    assert data["final"] == 0.0
    assert data["complete"] is False
    assert data["tests"]["infra-1"] == 1.0
    html = run_cli(capsys, "maturity", "score", str(answers), "-f", "html")
    assert html.exit_code == 2
    assert "table or json" in html.stderr
    answers.write_text("framework: ml-test-score\nanswers:\n  data-1: 2\n  data-9: 1\n")
    bad = run_cli(capsys, "maturity", "score", str(answers))
    assert bad.exit_code == 2
    assert "data-1: 2 is not a valid answer; expected 0, 0.5 or 1" in bad.stderr
    assert "ml-test-score has no test 'data-9'" in bad.stderr
    template = run_cli(capsys, "maturity", "template", "--framework", "ml-test-score")
    assert '"monitor-7": ~' in template.stdout
    assert "# Credits: 0 not done" in template.stdout
    xlsx = run_cli(
        capsys,
        "maturity",
        "export-xlsx",
        "--framework",
        "ml-test-score",
        "-o",
        str(tmp_path / "x.xlsx"),
    )
    assert xlsx.exit_code == 2
    assert "does not support the rubric" in xlsx.stderr
