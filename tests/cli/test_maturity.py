"""``assay maturity frameworks|template|score`` through the real entry point."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers.frameworks import write_user_framework
from tests.helpers.running import Result, run_cli


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def fill(template: str, levels: dict[str, object]) -> str:
    """Replace ``"id": ~`` lines of a template with the given answers."""
    for item_id, value in levels.items():
        rendered = json.dumps(value)
        template, count = re.subn(
            rf'^(\s*)"{re.escape(item_id)}": ~$',
            rf'\1"{item_id}": {rendered}',
            template,
            flags=re.MULTILINE,
        )
        assert count == 1, item_id
    return template


def assert_invalid(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def test_frameworks_lists_the_catalog(capsys: pytest.CaptureFixture[str], assay_home: Path) -> None:
    result = run_cli(capsys, "maturity", "frameworks", "-f", "json")
    assert result.exit_code == 0
    counts = {
        row["id"]: (row["kind"], row["areas"], row["items"]) for row in json.loads(result.stdout)
    }
    assert counts == {
        "ai-first": ("levels", 4, 4),
        "iml4e": ("levels", 7, 32),
        "marvelous": ("checklist", 7, 56),
        "ml-test-score": ("rubric", 4, 28),
        "microsoft": ("scale", 0, 0),
    }


def test_template_then_score_a_filled_iml4e_assessment(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    made = run_cli(
        capsys,
        "maturity",
        "template",
        "--framework",
        "iml4e",
        "--project",
        "credit",
        "-o",
        str(answers),
    )
    assert made.exit_code == 0, made
    text = answers.read_text(encoding="utf-8")
    assert "#    4: Every prediction is stored with its input data" in text  # topic 8, level 4
    levels: dict[str, object] = {str(n): 3 for n in range(1, 33)}
    levels.update({"8": 1, "9": {"level": 2, "evidence": "great-expectations suite", "note": "x"}})
    write(answers, fill(text, levels))

    result = run_cli(capsys, "maturity", "score", str(answers), "-f", "json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert data["framework"]["id"] == "iml4e"
    assert data["project"] == "credit"
    assert data["overall"] == {"level": 1, "name": "DevOps but no MLOps"}
    areas = {area["id"]: area for area in data["areas"]}
    assert (areas["data"]["score"], areas["data"]["limiting"]) == (1, ["8"])
    assert areas["people"]["score"] == 3
    assert data["target"] == 2
    assert [(item["area"], item["gap"]) for item in data["roadmap"]] == [("data", 1)]
    assert [(s["topic"], s["level"], s["next_level"]) for s in data["roadmap"][0]["steps"]] == [
        ("8", 1, 2)
    ]
    assert {t["id"]: t["level"] for t in data["topics"]}["9"] == 2

    table = run_cli(capsys, "maturity", "score", str(answers))
    assert table.exit_code == 0
    assert "Overall level 1: DevOps but no MLOps" in table.stdout
    assert "Roadmap to level 2" in table.stdout

    aimed = json.loads(
        run_cli(capsys, "maturity", "score", str(answers), "--target", "4", "-f", "json").stdout
    )
    assert {item["area"] for item in aimed["roadmap"]} == {a["id"] for a in data["areas"]}


def test_template_does_not_overwrite_without_force(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    target = write(tmp_path / "answers.yaml", "mine\n")
    assert_invalid(
        run_cli(capsys, "maturity", "template", "--framework", "iml4e", "-o", str(target)),
        "exists already",
        "--force",
    )
    assert target.read_text() == "mine\n"
    forced = run_cli(
        capsys, "maturity", "template", "--framework", "marvelous", "-o", str(target), "--force"
    )
    assert forced.exit_code == 0
    assert target.read_text().count(": ~") == 56 + 1  # 56 statements and the project


def test_an_untouched_template_scores_as_incomplete(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "a.yaml"
    run_cli(capsys, "maturity", "template", "--framework", "ai-first", "-o", str(answers))
    data = json.loads(run_cli(capsys, "maturity", "score", str(answers), "-f", "json").stdout)
    assert data["overall"] == {"level": None, "name": None}
    assert [area["missing"] for area in data["areas"]] == [
        ["process"],
        ["platform"],
        ["team"],
        ["product"],
    ]


TEAM = """
framework: iml4e
project: credit
respondents:
  - name: Ann
    answers: {%s}
  - name: Bob
    answers: {%s}
  - name: Cem
    answers: {%s}
"""


def test_several_respondents_score_by_consensus_and_flag_disputes(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    def answers(**overrides: int) -> str:
        levels = {str(n): 2 for n in range(1, 33)} | overrides
        return ", ".join(f'"{k}": {v}' for k, v in levels.items())

    path = write(
        tmp_path / "team.yaml",
        TEAM % (answers(**{"1": 0}), answers(**{"1": 4}), answers(**{"1": 3, "2": 3})),
    )
    data = json.loads(run_cli(capsys, "maturity", "score", str(path), "-f", "json").stdout)
    topics = {t["id"]: t for t in data["topics"]}
    assert (topics["1"]["level"], topics["1"]["spread"], topics["1"]["disputed"]) == (
        3,
        [0, 4],
        True,
    )
    assert (topics["2"]["level"], topics["2"]["spread"], topics["2"]["disputed"]) == (
        2,
        [2, 3],
        False,
    )
    assert data["disputed"] == ["1"]
    assert data["respondents"] == ["Ann", "Bob", "Cem"]
    assert data["overall"]["level"] == 2
    table = run_cli(capsys, "maturity", "score", str(path)).stdout
    assert "Respondents disagree by 2 levels or more" in table
    assert "Ann 0, Bob 4, Cem 3" in table


def test_a_checklist_reports_sections_blocking_statements_and_maturity(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "m.yaml"
    run_cli(capsys, "maturity", "template", "--framework", "marvelous", "-o", str(answers))
    text = answers.read_text(encoding="utf-8")
    ids = re.findall(r'^\s*"([\d.]+)": ~$', text, flags=re.MULTILINE)
    assert len(ids) == 56
    baseline = [i for i in ids if i.split(".")[0] in "1234"]
    # y and n are accepted in files as at the questionnaire's prompts, in any case.
    values: dict[str, object] = {i: ("yes", "y", "Y")[n % 3] for n, i in enumerate(baseline)}
    write(answers, fill(text, values))
    data = json.loads(run_cli(capsys, "maturity", "score", str(answers), "-f", "json").stdout)
    assert data["mature"] is True
    assert [(s["id"], s["yes"], s["total"]) for s in data["sections"]][:4] == [
        ("1", 8, 8),
        ("2", 16, 16),
        ("3", 10, 10),
        ("4", 8, 8),
    ]
    assert data["sections"][4]["open"] == [f"5.{n}" for n in range(1, 8)]
    write(answers, fill(text, values | {"2.2.9": {"answer": "no", "evidence": "no rollback"}}))
    result = run_cli(capsys, "maturity", "score", str(answers))
    assert "Not yet MLOps-mature" in result.stdout
    assert "2.2.9 (no)" in result.stdout
    data = json.loads(run_cli(capsys, "maturity", "score", str(answers), "-f", "json").stdout)
    assert (data["mature"], data["sections"][1]["blocking"]) == (False, ["2.2.9"])


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (
            "framework: cmmi\nanswers: {}\n",
            ["line 1: framework: unknown framework 'cmmi'", "iml4e"],
        ),
        (
            'framework: iml4e\nanswers:\n  "1": 2\n  "33": 1\n',
            ["line 4: answers.33: iml4e has no topic '33'"],
        ),
        (
            'framework: iml4e\nanswers:\n  "1": 5\n  "2": high\n  "3": 2.5\n',
            [
                "3 problems",
                "line 3: answers.1: 5 is not a valid answer; expected an integer level 0-4",
                "line 4: answers.2:",
                "line 5: answers.3:",
            ],
        ),
        ('framework: iml4e\nanswers:\n  "1": yes\n', ["answers.1: True is not a valid answer"]),
        (
            'framework: marvelous\nanswers:\n  "1.1.1": 3\n',
            ["line 3: answers.1.1.1: 3 is not a valid answer; expected yes or no (y/n)"],
        ),
        ('framework: marvelous\nanswers:\n  "1.1.1": {level: 3}\n', ["use 'answer', not 'level'"]),
        (
            "framework: iml4e\nrespondents:\n"
            "  - {name: Ann, answers: {}}\n  - {name: Ann, answers: {}}\n",
            ["line 4: respondents[1].name: respondent 'Ann' appears twice"],
        ),
        (
            "framework: iml4e\nanswers: {}\nrespondents: [{name: A, answers: {}}]\n",
            ["line 1: (top level): give exactly one of 'answers' or 'respondents'"],
        ),
        (
            'framework: iml4e\nanswers:\n  "1": {levle: 3}\n',
            ["line 3: answers.1: Additional properties are not allowed ('levle' was unexpected)"],
        ),
        ("framework: iml4e\nanswers: [1, 2\n", ["not valid YAML", "line 3"]),
        ("- just\n- a list\n", ["the document is not a mapping"]),
        ("framework: microsoft\nanswers: {}\n", ["only names levels"]),
    ],
)
def test_bad_answers_files_are_refused_with_place_and_expectation(
    capsys: pytest.CaptureFixture[str],
    assay_home: Path,
    tmp_path: Path,
    content: str,
    fragments: list[str],
) -> None:
    path = write(tmp_path / "answers.yaml", content)
    result = run_cli(capsys, "maturity", "score", str(path))
    assert_invalid(result, *fragments)
    if "unknown framework" not in fragments[0]:
        assert str(path) in result.stderr


def test_a_missing_answers_file_is_named(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    assert_invalid(
        run_cli(capsys, "maturity", "score", str(tmp_path / "nope.yaml")),
        "nope.yaml",
        "file not found",
    )


def test_a_target_outside_0_to_4_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.yaml", 'framework: iml4e\nanswers: {"1": 1}\n')
    result = run_cli(capsys, "maturity", "score", str(path), "--target", "7")
    assert result.exit_code == 2
    assert "--target" in result.stderr


def test_score_against_a_users_framework_file(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    write_user_framework(tmp_path / "ours.yaml")
    answers = write(tmp_path / "a.yaml", "framework: ours.yaml\nanswers: {lineage: 3}\n")
    data = json.loads(run_cli(capsys, "maturity", "score", str(answers), "-f", "json").stdout)
    assert data["overall"] == {"level": 3, "name": "Automated Model Deployment"}
    assert data["roadmap"][0]["steps"][0]["requirement"] == "all"
    other = write(tmp_path / "b.yaml", "framework: iml4e\nanswers: {lineage: 3}\n")
    data = json.loads(
        run_cli(
            capsys,
            "maturity",
            "score",
            str(other),
            "--framework",
            str(tmp_path / "ours.yaml"),
            "-f",
            "json",
        ).stdout
    )
    assert data["framework"]["id"] == "ours"
