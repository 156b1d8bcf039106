"""The Excel workbook of ``assay maturity export-xlsx``: the sources' spreadsheet, made by us.

An "About" sheet names the framework, project and respondent; then a sheet per area (a row per
topic, a column per level with its descriptor) or per checklist section (a row per statement),
each with an Answer column that offers the valid answers in a drop-down, and Evidence and Note
columns. :mod:`assay.files.answers_workbook` reads a filled copy back by these headings.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from io import BytesIO
from typing import Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from assay.maturity.frameworks import Framework, FrameworkKind

__all__ = [
    "ABOUT_SHEET",
    "ANSWER",
    "EVIDENCE",
    "FRAMEWORK_KEY",
    "ITEM_HEADINGS",
    "NOTE",
    "PROJECT_KEY",
    "RESPONDENT_KEY",
    "answers_workbook",
]

ABOUT_SHEET: Final = "About"
FRAMEWORK_KEY: Final = "Framework"
PROJECT_KEY: Final = "Project"
RESPONDENT_KEY: Final = "Respondent"
ANSWER: Final = "Answer"
EVIDENCE: Final = "Evidence"
NOTE: Final = "Note"
# The heading of the id column on item sheets, by framework kind.
ITEM_HEADINGS: Final = {FrameworkKind.levels: "Topic", FrameworkKind.checklist: "Statement"}

_SHEET_TITLE_LENGTH = 31  # Excel's limit
_BAD_TITLE_CHARACTERS = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
_HEADING = Font(bold=True)
_HEADING_FILL = PatternFill("solid", fgColor="DDEBF7")
_ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")


def answers_workbook(
    framework: Framework, project: str | None = None, respondent: str | None = None
) -> bytes:
    """The workbook to fill in for ``framework`` as .xlsx bytes (a level or checklist
    framework)."""
    workbook = Workbook()
    about = workbook.active
    assert about is not None  # a new workbook has one sheet
    _about_sheet(about, framework, project, respondent)
    used = {ABOUT_SHEET}
    if framework.kind is FrameworkKind.checklist:
        for section in framework.sections:
            sheet = workbook.create_sheet(_title(f"{section.id} {section.name}", used))
            rows: list[tuple[str, ...]] = [
                (statement.id, group.name or "", statement.text)
                for group in section.groups
                for statement in group.statements
            ]
            _item_sheet(sheet, ["Statement", "Group", "Text"], rows, ["yes", "no"], [10, 24, 70])
    else:
        for area in framework.areas:
            sheet = workbook.create_sheet(_title(area.name, used))
            rows = [
                (topic.id, topic.name, *(topic.descriptors.get(level, "") for level in range(5)))
                for topic in area.topics
            ]
            headings = ["Topic", "Name", *(f"Level {s.level}: {s.name}" for s in framework.scale)]
            levels = [str(level) for level in range(5)]
            _item_sheet(sheet, headings, rows, levels, [7, 28] + [30] * 5)
    for sheet in workbook.worksheets:
        _as_text(sheet)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _as_text(sheet: Worksheet) -> None:
    """Every cell assay wrote holds text: a name or descriptor beginning with ``=`` must not
    become a formula that a spreadsheet runs when the workbook is opened."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _title(name: str, used: set[str]) -> str:
    clean = name.translate(_BAD_TITLE_CHARACTERS)
    base = textwrap.shorten(clean, _SHEET_TITLE_LENGTH, placeholder="…")
    title, number = base, 2
    while title.lower() in {u.lower() for u in used}:
        suffix = f" ({number})"
        title, number = base[: _SHEET_TITLE_LENGTH - len(suffix)] + suffix, number + 1
    used.add(title)
    return title


def _about_sheet(
    sheet: Worksheet, framework: Framework, project: str | None, respondent: str | None
) -> None:
    sheet.title = ABOUT_SHEET
    checklist = framework.kind is FrameworkKind.checklist
    how = (
        "On each section's sheet, choose yes or no in the Answer column for every statement."
        if checklist
        else "On each area's sheet, choose the level (0-4) in the Answer column that describes "
        "your team today; the level columns say what each level means (blank where the source "
        "describes none)."
    )
    steps = (
        f"Fill in {RESPONDENT_KEY} above. {how} Evidence and Note are optional. Leave an answer "
        "empty if you do not know yet. Then run: assay maturity import-xlsx THIS_FILE -o "
        "answers.yaml"
    )
    rows = [
        (f"Self-assessment: {framework.name}", ""),
        (FRAMEWORK_KEY, framework.id),
        ("Version", framework.version),
        (PROJECT_KEY, project or ""),
        (RESPONDENT_KEY, respondent or ""),
        ("How to answer", steps),
        ("Source", framework.source.title),
        ("Attribution", framework.source.attribution),
    ]
    for row in rows:
        sheet.append(row)
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet["A"][1:]:
        cell.font = _HEADING
    for cell in sheet["B"]:
        cell.alignment = _WRAP
    for key in ("B4", "B5"):
        sheet[key].fill = _ANSWER_FILL
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 100


def _item_sheet(
    sheet: Worksheet,
    headings: list[str],
    rows: Sequence[Sequence[str]],
    choices: list[str],
    widths: list[int],
) -> None:
    sheet.append([*headings, ANSWER, EVIDENCE, NOTE])
    for row in rows:
        sheet.append(list(row))
    answer_column = get_column_letter(len(headings) + 1)
    for cell in sheet[1]:
        cell.font, cell.fill, cell.alignment = _HEADING, _HEADING_FILL, _WRAP
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = _WRAP
    for column, width in enumerate([*widths, 10, 40, 30], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    last = len(rows) + 1
    for number in range(2, last + 1):
        sheet[f"{answer_column}{number}"].fill = _ANSWER_FILL
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a valid answer",
        error=f"Choose one of {', '.join(choices)}, or leave the cell empty.",
    )
    sheet.add_data_validation(validation)
    validation.add(f"{answer_column}2:{answer_column}{last}")
    sheet.freeze_panes = "C2"
