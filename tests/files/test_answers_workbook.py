"""``assay maturity export-xlsx|import-xlsx``: the Excel workbook and its round trip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from tests.helpers.frameworks import write_user_framework
from tests.helpers.running import Result, run_cli

TEAM = {
    "Ann": {str(n): 2 for n in range(1, 33)} | {"1": 0, "8": 4},
    "Bob": {str(n): 3 for n in range(1, 33)} | {"1": 4},
    "Cem": {str(n): 2 for n in range(1, 33)} | {"1": 3, "30": 1},
}


def export(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> Result:
    return run_cli(capsys, "maturity", "export-xlsx", "-o", str(path), *args)


def answer_cells(book: Workbook) -> dict[str, tuple[Worksheet, int, int]]:
    """Item id → (sheet, row, answer column) for every item row of every item sheet."""
    cells: dict[str, tuple[Worksheet, int, int]] = {}
    for sheet in book.worksheets[1:]:
        assert isinstance(sheet, Worksheet)
        headings = [cell.value for cell in sheet[1]]
        answer = headings.index("Answer") + 1
        for row in range(2, sheet.max_row + 1):
            cells[str(sheet.cell(row, 1).value)] = (sheet, row, answer)
    return cells


def fill(template: Path, target: Path, respondent: str | None, answers: dict[str, Any]) -> Path:
    """A copy of ``template`` filled in with openpyxl, as a respondent would in Excel."""
    book = load_workbook(template)
    about = book["About"]
    for key_cell, value_cell in about.iter_rows(min_row=1, max_col=2):
        if key_cell.value == "Respondent" and respondent is not None:
            value_cell.value = respondent
    cells = answer_cells(book)
    for item, value in answers.items():
        sheet, row, column = cells[item]
        if isinstance(value, dict):
            sheet.cell(row, column).value = value["answer"]
            sheet.cell(row, column + 1).value = value.get("evidence")
            sheet.cell(row, column + 2).value = value.get("note")
        else:
            sheet.cell(row, column).value = value
    book.save(target)
    return target


def score_json(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    result = run_cli(capsys, "maturity", "score", str(path), "-f", "json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_the_workbook_looks_like_the_sources_template(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "iml4e.xlsx"
    result = export(capsys, path, "--framework", "iml4e", "--project", "credit")
    assert result.exit_code == 0, result
    book = load_workbook(path)
    assert book.sheetnames[0] == "About"
    assert len(book.sheetnames) == 8  # About + 7 areas
    assert all(len(name) <= 31 for name in book.sheetnames)
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert (about["Framework"], about["Project"], about["Respondent"]) == ("iml4e", "credit", None)
    cells = answer_cells(book)
    assert sorted(cells, key=int) == [str(n) for n in range(1, 33)]
    data = book.worksheets[2]  # Data gathering and preparation: topics 6-10
    headings = [cell.value for cell in data[1]]
    assert headings[:3] == ["Topic", "Name", "Level 0: No MLOps"]
    assert headings[-3:] == ["Answer", "Evidence", "Note"]
    topic_8 = next(row for row in data.iter_rows(min_row=2) if row[0].value == "8")
    assert str(topic_8[6].value).startswith("Every prediction is stored with its input data")
    (validation,) = data.data_validations.dataValidation
    assert validation.formula1 == '"0,1,2,3,4"'
    assert str(validation.sqref) == "H2:H6"

    checklist = tmp_path / "marvelous.xlsx"
    assert export(capsys, checklist, "--framework", "marvelous").exit_code == 0
    book = load_workbook(checklist)
    assert len(answer_cells(book)) == 56
    (validation,) = book.worksheets[1].data_validations.dataValidation
    assert validation.formula1 == '"yes,no"'


def test_round_trip_of_three_respondents_gives_the_same_scores(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    template = tmp_path / "template.xlsx"
    assert export(capsys, template, "--framework", "iml4e", "--project", "credit").exit_code == 0
    filled = []
    for name, levels in TEAM.items():
        answers: dict[str, Any] = dict(levels)
        if name == "Ann":
            answers["8"] = {"answer": 4, "evidence": "DVC; every batch hashed", "note": "new"}
        filled.append(fill(template, tmp_path / f"{name.lower()}.xlsx", name, answers))
    imported = tmp_path / "answers.yaml"
    result = run_cli(capsys, "maturity", "import-xlsx", *map(str, filled), "-o", str(imported))
    assert result.exit_code == 0, result
    assert "3 respondent(s), 96 answers" in result.stderr

    direct = tmp_path / "direct.json"
    direct.write_text(
        json.dumps(
            {
                "framework": "iml4e",
                "project": "credit",
                "respondents": [{"name": n, "answers": a} for n, a in TEAM.items()],
            }
        ),
        encoding="utf-8",
    )
    assert score_json(capsys, imported) == score_json(capsys, direct)
    saved = run_cli(
        capsys, "maturity", "save", str(imported), "--project", "credit", "--round", "r1"
    )
    assert saved.exit_code == 0, saved
    text = imported.read_text(encoding="utf-8")
    assert '"8": {level: 4, evidence: "DVC; every batch hashed", note: "new"}' in text


def test_round_trip_of_a_checklist_and_of_a_single_unnamed_respondent(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    template = tmp_path / "m.xlsx"
    assert export(capsys, template, "--framework", "marvelous").exit_code == 0
    answers: dict[str, Any] = {"1.1.1": "yes", "1.1.2": "no", "5.1": "YES", "2.2.1": None}
    filled = fill(template, tmp_path / "filled.xlsx", None, answers)
    result = run_cli(capsys, "maturity", "import-xlsx", str(filled))
    assert result.exit_code == 0, result
    assert "\nanswers:\n" in result.stdout
    assert '"1.1.1": yes' in result.stdout
    assert '"1.1.2": no' in result.stdout
    assert '"5.1": yes' in result.stdout
    assert '"2.2.1": ~' in result.stdout
    imported = tmp_path / "a.yaml"
    imported.write_text(result.stdout, encoding="utf-8")
    data = score_json(capsys, imported)
    assert data["statements"] == {
        **dict.fromkeys(data["statements"]),
        "1.1.1": True,
        "1.1.2": False,
        "5.1": True,
    }


def test_a_users_framework_goes_through_the_workbook(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    ours = str(write_user_framework(tmp_path / "ours.yaml"))
    template = tmp_path / "ours.xlsx"
    assert export(capsys, template, "--framework", ours).exit_code == 0
    filled = fill(template, tmp_path / "f.xlsx", "Dee", {"lineage": 3})
    without = run_cli(capsys, "maturity", "import-xlsx", str(filled))
    assert without.exit_code == 2
    assert "framework 'ours', which is not built in" in without.stderr
    result = run_cli(capsys, "maturity", "import-xlsx", str(filled), "--framework", ours)
    assert result.exit_code == 0, result
    assert '- name: "Dee"' in result.stdout
    assert '"lineage": 3' in result.stdout


def test_bad_workbooks_are_refused_with_sheet_and_cell(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    template = tmp_path / "t.xlsx"
    assert export(capsys, template, "--framework", "iml4e").exit_code == 0
    output = tmp_path / "answers.yaml"
    output.write_text("earlier content\n", encoding="utf-8")

    def refused(*paths: Path, fragments: list[str]) -> None:
        result = run_cli(
            capsys, "maturity", "import-xlsx", *map(str, paths), "-o", str(output), "--force"
        )
        assert result.exit_code == 2, result
        assert "Traceback" not in result.stderr
        for fragment in fragments:
            assert fragment in result.stderr, (fragment, result.stderr)
        assert output.read_text(encoding="utf-8") == "earlier content\n"

    not_excel = tmp_path / "notes.xlsx"
    not_excel.write_text("this is not a workbook", encoding="utf-8")
    refused(not_excel, fragments=[f"{not_excel}: not a readable .xlsx workbook"])
    refused(tmp_path / "missing.xlsx", fragments=["missing.xlsx: no such file"])

    bad = fill(template, tmp_path / "bad.xlsx", "Ann", {"1": 7, "2": "high", "3": 2.5, "4": 3.0})
    refused(
        bad,
        fragments=[
            "3 problems",
            "sheet 'People' H2: 7 is not a valid answer; expected a level 0-4",
            "sheet 'People' H3: 'high' is not a valid answer",
            "sheet 'People' H4: 2.5 is not a valid answer",
        ],
    )

    book = load_workbook(template)
    book["People"]["A3"] = "99"
    book.save(tmp_path / "unknown.xlsx")
    refused(tmp_path / "unknown.xlsx", fragments=["sheet 'People' A3: iml4e has no topic '99'"])

    del book["About"]
    book.save(tmp_path / "no-about.xlsx")
    refused(tmp_path / "no-about.xlsx", fragments=["the workbook has no 'About' sheet"])

    first = fill(template, tmp_path / "one.xlsx", "Ann", {"1": 1})
    second = fill(template, tmp_path / "two.xlsx", "Ann", {"1": 2})
    refused(first, second, fragments=["two.xlsx", "respondent 'Ann' appears in two workbooks"])

    checklist = tmp_path / "m.xlsx"
    assert export(capsys, checklist, "--framework", "marvelous").exit_code == 0
    refused(first, checklist, fragments=["for framework 'marvelous', the first one"])
    yes_no = fill(checklist, tmp_path / "m-bad.xlsx", None, {"1.1.1": 3})
    refused(yes_no, fragments=["3 is not a valid answer; expected yes or no (y/n)"])
