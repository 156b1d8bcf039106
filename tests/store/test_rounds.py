"""``assay maturity save|history``: rounds stored in the evidence ledger, and their history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.maturity.history import AreaChange, Round, area_changes
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.running import Result, run_cli


def answers_file(tmp_path: Path, name: str, overrides: dict[str, object]) -> Path:
    levels: dict[str, object] = {str(n): 2 for n in range(1, 33)} | overrides
    path = tmp_path / name
    path.write_text(json.dumps({"framework": "iml4e", "answers": levels}), encoding="utf-8")
    return path


def save_round(
    capsys: pytest.CaptureFixture[str], path: Path, project: str, label: str, *extra: str
) -> Result:
    return run_cli(
        capsys, "maturity", "save", str(path), "--project", project, "--round", label, *extra
    )


def ledger_count(url: str) -> int:
    store = open_store(DatabaseChoice(url, "test"))
    try:
        return store.ledger.count()
    finally:
        store.close()


def test_rounds_are_saved_to_the_ledger_and_shown_as_history(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path, database_url: str
) -> None:
    first = answers_file(tmp_path, "q1.json", {"8": {"level": 1, "evidence": "DVC, raw data"}})
    second = answers_file(tmp_path, "q2.json", {"8": 3, "1": 3, "29": 1})
    for path, label in ((first, "2026-Q1"), (second, "2026-Q2")):
        result = save_round(capsys, path, "credit", label, "--db", database_url)
        assert result.exit_code == 0, result
        assert f"saved round '{label}' of 'credit' as ledger entry" in result.stdout

    data = json.loads(
        run_cli(
            capsys, "maturity", "history", "--project", "credit", "--db", database_url, "-f", "json"
        ).stdout
    )
    assert [r["round"] for r in data["rounds"]] == ["2026-Q1", "2026-Q2"]
    assert [r["overall"] for r in data["rounds"]] == [1, 1]
    areas = {a["id"]: a for a in data["areas"]}
    assert (areas["data"]["scores"], areas["data"]["change"]) == ([1, 2], 1)
    assert (areas["conformity"]["scores"], areas["conformity"]["change"]) == ([2, 1], -1)
    assert (areas["people"]["scores"], areas["people"]["change"]) == ([2, 2], 0)
    assert areas["data"]["name"] == "Data gathering and preparation"

    table = run_cli(capsys, "maturity", "history", "--project", "credit", "--db", database_url)
    assert "2026-Q1" in table.stdout
    assert "+1" in table.stdout

    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        assert store.ledger.verify().ok
        (entry, _) = list(store.ledger.entries(kind="maturity.round"))
        assert entry.payload is not None
        respondent = entry.payload["respondents"][0]  # type: ignore[index]
        assert respondent["answers"]["8"] == {  # type: ignore[call-overload,index]
            "value": 1,
            "evidence": "DVC, raw data",
            "note": None,
        }
    finally:
        store.close()


def test_a_round_label_is_used_once_per_project(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path, database_url: str
) -> None:
    path = answers_file(tmp_path, "a.json", {})
    assert save_round(capsys, path, "credit", "r1", "--db", database_url).exit_code == 0
    again = save_round(capsys, path, "credit", "r1", "--db", database_url)
    assert again.exit_code == 2
    assert "already has a round 'r1' (ledger entry 1)" in again.stderr
    assert ledger_count(database_url) == 1
    other_project = save_round(capsys, path, "fraud", "r1", "--db", database_url)
    assert other_project.exit_code == 0


def test_a_bad_answers_file_stores_nothing(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    path = answers_file(tmp_path, "bad.json", {"3": 9})
    result = save_round(capsys, path, "p", "r", "--db", url)
    assert result.exit_code == 2
    assert "answers.3: 9 is not a valid answer" in result.stderr
    assert not (tmp_path / "a.db").exists() or ledger_count(url) == 0


def test_history_of_an_unknown_project_is_empty(
    capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    assert run_cli(capsys, "db", "upgrade").exit_code == 0
    result = run_cli(capsys, "maturity", "history", "--project", "nobody", "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rounds"] == []
    assert "no rounds saved for project 'nobody'" in result.stderr


def test_history_across_frameworks_needs_a_choice(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    levels = answers_file(tmp_path, "a.json", {})
    checklist = tmp_path / "m.yaml"
    checklist.write_text('framework: marvelous\nanswers: {"1.1.1": yes}\n', encoding="utf-8")
    for path, label in ((levels, "a"), (checklist, "b")):
        assert save_round(capsys, path, "p", label).exit_code == 0
    mixed = run_cli(capsys, "maturity", "history", "--project", "p")
    assert mixed.exit_code == 2
    assert "several frameworks (iml4e, marvelous)" in mixed.stderr
    history = ["maturity", "history", "--project", "p", "--framework", "marvelous", "-f", "json"]
    chosen = json.loads(run_cli(capsys, *history).stdout)
    assert [r["round"] for r in chosen["rounds"]] == ["b"]
    assert chosen["areas"][0] == {"id": "1", "name": "Documentation", "scores": [1], "change": None}


def test_area_changes_use_the_first_and_last_known_scores() -> None:
    rounds = [
        Round("a", 1, "t1", "x", {"p": None, "q": 1}, None),
        Round("b", 2, "t2", "x", {"p": 1, "q": 3}, 1),
        Round("c", 3, "t3", "x", {"p": 3}, None),
    ]
    assert area_changes(rounds) == (
        AreaChange("p", (None, 1, 3)),
        AreaChange("q", (1, 3, None)),
    )
    assert [change.change for change in area_changes(rounds)] == [2, 2]
