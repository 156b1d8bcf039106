"""Reading filled-in answer workbooks (``assay maturity import-xlsx``).

Each workbook is one respondent. Its "About" sheet names the framework (and optionally the
project and respondent); every other sheet whose first row has the id heading (Topic or
Statement) and an Answer column contributes answers, found by heading rather than position so
that reordered columns or sheets still read. Every problem is reported with its sheet and cell.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from assay.catalog import builtin_framework_ids, load_framework
from assay.catalog.validation import DocumentInvalidError
from assay.errors import InvalidInputError, shorten
from assay.maturity.answers import SINGLE_RESPONDENT, Assessment, parse_level, parse_yes_no
from assay.maturity.frameworks import Framework, FrameworkKind
from assay.maturity.scoring import Answer, Respondent
from assay.names import check_name
from assay.reports.maturity_workbook import (
    ABOUT_SHEET,
    ANSWER,
    EVIDENCE,
    FRAMEWORK_KEY,
    ITEM_HEADINGS,
    NOTE,
    PROJECT_KEY,
    RESPONDENT_KEY,
)

__all__ = ["read_answer_workbooks"]

EXPECTED = "a workbook written by assay maturity export-xlsx, filled in"


@dataclass(frozen=True)
class _Workbook:
    path: Path
    about: dict[str, Any]
    sheets: list[tuple[str, list[tuple[Any, ...]]]]


def read_answer_workbooks(
    paths: Sequence[Path], framework_reference: str | None = None
) -> Assessment:
    """The assessment held by the filled workbooks at ``paths`` (one respondent each, all of the
    same framework). ``framework_reference`` (an id or a framework file) is where to find the
    framework the workbooks name, for frameworks that are not built in. A single workbook
    without a respondent name gives one unnamed respondent.
    Raises :class:`~assay.errors.InvalidInputError` naming the file, sheet and cell of every
    problem: unreadable file, missing About sheet or framework, unknown item, invalid answer,
    an item answered twice, frameworks or projects that differ, a respondent named twice."""
    books = [_open(path) for path in paths]
    framework_ids = {book.path: _framework_id(book) for book in books}
    reference = framework_ids[books[0].path]
    for book in books[1:]:
        if framework_ids[book.path] != reference:
            raise InvalidInputError(
                f"the workbook is for framework {framework_ids[book.path]!r}, the first one "
                f"({books[0].path}) for {reference!r}",
                source=str(book.path),
                location=f"sheet {ABOUT_SHEET!r}",
                expected="workbooks of one framework",
            )
    if framework_reference is None and reference not in builtin_framework_ids():
        # A workbook names its framework by id; an id never becomes a path to read.
        raise InvalidInputError(
            f"the workbook is for framework {shorten(reference, 80)!r}, which is not built in",
            source=str(books[0].path),
            location=f"sheet {ABOUT_SHEET!r}",
            expected="--framework FILE naming the framework file the workbook was made from",
        )
    framework = load_framework(framework_reference or reference)
    if framework.id != reference:
        raise InvalidInputError(
            f"the workbook is for framework {reference!r}, not {framework.id!r}",
            source=str(books[0].path),
            location=f"sheet {ABOUT_SHEET!r}",
            expected=f"--framework naming the framework {reference!r}",
        )
    if framework.kind is FrameworkKind.scale:
        raise InvalidInputError(
            f"{framework.id} only names levels; it has nothing to answer",
            source=str(books[0].path),
            location=f"sheet {ABOUT_SHEET!r}",
            expected=EXPECTED,
        )
    for book in books:
        for key in (PROJECT_KEY, RESPONDENT_KEY):
            name = _about_text(book, key)
            if name is not None:
                check_name(
                    name, source=str(book.path), what=key.lower(), location=f"sheet {ABOUT_SHEET!r}"
                )
    projects = {_about_text(book, PROJECT_KEY) for book in books} - {None}
    if len(projects) > 1:
        raise InvalidInputError(
            f"the workbooks name different projects ({', '.join(sorted(map(str, projects)))})",
            source=", ".join(str(book.path) for book in books),
            location=f"sheet {ABOUT_SHEET!r}",
            expected="workbooks of one project",
        )
    respondents: list[Respondent] = []
    for book in books:
        name = _about_text(book, RESPONDENT_KEY)
        if name is None:
            name = book.path.stem if len(books) > 1 else SINGLE_RESPONDENT
        if any(person.name == name for person in respondents):
            raise InvalidInputError(
                f"respondent {name!r} appears in two workbooks",
                source=str(book.path),
                location=f"sheet {ABOUT_SHEET!r}",
                expected="one workbook per respondent, each with its own name",
            )
        respondents.append(Respondent(name, _answers(book, framework)))
    project = projects.pop() if projects else None
    return Assessment(framework, project, tuple(respondents))


MAX_UNPACKED = 200 * 1024 * 1024  # bytes a workbook may unpack to (a filled one is < 1 MiB)
MAX_MEMBERS = 10_000


def _refuse_bombs(path: Path) -> None:
    """A workbook is a zip file: one that unpacks to far more than any answers workbook (a
    "zip bomb") is refused before it is read. XML entity bombs inside are refused by openpyxl
    through defusedxml."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InvalidInputError(
            f"not a readable .xlsx workbook ({type(error).__name__}: {error})",
            source=str(path),
            expected=EXPECTED,
        ) from None
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED:
        raise InvalidInputError(
            f"the workbook unpacks to {unpacked:,} bytes in {len(members):,} parts",
            source=str(path),
            expected=f"a workbook of at most {MAX_UNPACKED // 2**20} MiB unpacked",
        )


def _open(path: Path) -> _Workbook:
    if not path.is_file():
        raise InvalidInputError("no such file", source=str(path), expected=EXPECTED)
    _refuse_bombs(path)
    try:
        return _read(path)
    except InvalidInputError:
        raise
    except Exception as error:
        # openpyxl parses a file someone else filled in and raises whatever its XML, zip and
        # value parsers raise on a damaged one (ParseError, KeyError, TypeError, …): each is
        # this one refusal.
        detail = shorten(f"{type(error).__name__}: {error}", 200)
        raise InvalidInputError(
            f"not a readable .xlsx workbook ({detail})", source=str(path), expected=EXPECTED
        ) from None


def _read(path: Path) -> _Workbook:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        if ABOUT_SHEET not in workbook.sheetnames:
            raise InvalidInputError(
                f"the workbook has no {ABOUT_SHEET!r} sheet",
                source=str(path),
                expected=EXPECTED,
            )
        about: dict[str, Any] = {}
        for row in workbook[ABOUT_SHEET].iter_rows(max_col=2, values_only=True):
            if row and isinstance(row[0], str):
                about.setdefault(row[0].strip(), row[1] if len(row) > 1 else None)
        sheets = [
            (sheet.title, list(sheet.iter_rows(values_only=True)))
            for sheet in workbook.worksheets
            if sheet.title != ABOUT_SHEET
        ]
    finally:
        workbook.close()
    return _Workbook(path, about, sheets)


def _about_text(book: _Workbook, key: str) -> str | None:
    value = book.about.get(key)
    text = str(value).strip() if value is not None else ""
    return text or None


def _framework_id(book: _Workbook) -> str:
    found = _about_text(book, FRAMEWORK_KEY)
    if found is None:
        raise InvalidInputError(
            f"{FRAMEWORK_KEY} is not filled in",
            source=str(book.path),
            location=f"sheet {ABOUT_SHEET!r}",
            expected=f"a row with {FRAMEWORK_KEY!r} in column A and a framework id in column B",
        )
    return found


def _answers(book: _Workbook, framework: Framework) -> dict[str, Answer]:
    checklist = framework.kind is FrameworkKind.checklist
    heading = ITEM_HEADINGS[framework.kind]
    known = {item.id for item in (framework.statements if checklist else framework.topics)}
    answers: dict[str, Answer] = {}
    places: dict[str, str] = {}
    problems: list[str] = []
    item_sheets = 0
    for title, rows in book.sheets:
        if not rows:
            continue
        columns = {str(value).strip(): n for n, value in enumerate(rows[0]) if value is not None}
        if heading not in columns or ANSWER not in columns:
            continue
        item_sheets += 1
        for number, row in enumerate(rows[1:], start=2):
            cells = dict(enumerate(row))
            raw_id = cells.get(columns[heading])
            if raw_id is None or str(raw_id).strip() == "":
                continue
            item = _item_id(raw_id)
            place = f"sheet {title!r} {get_column_letter(columns[heading] + 1)}{number}"
            if item not in known:
                what = "statement" if checklist else "topic"
                problems.append(f"{place}: {framework.id} has no {what} {item!r}")
                continue
            if item in places:
                problems.append(f"{place}: {item!r} is listed again (first at {places[item]})")
                continue
            places[item] = place
            value = cells.get(columns[ANSWER])
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            parsed = _parse(value, checklist)
            if parsed is None:
                cell = f"sheet {title!r} {get_column_letter(columns[ANSWER] + 1)}{number}"
                expectation = "yes or no (y/n)" if checklist else "a level 0-4"
                problems.append(f"{cell}: {value!r} is not a valid answer; expected {expectation}")
                continue
            evidence, note = (_optional_text(cells, columns, key) for key in (EVIDENCE, NOTE))
            answers[item] = Answer(parsed, evidence, note)
    if item_sheets == 0:
        problems.append(f"no sheet has the headings {heading!r} and {ANSWER!r} in its first row")
    if problems:
        raise DocumentInvalidError(str(book.path), problems, expected=EXPECTED)
    return answers


def _item_id(value: Any) -> str:
    # Excel turns a typed "5.1" or "12" into a number; ids are text.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse(value: Any, checklist: bool) -> int | bool | None:
    if checklist:
        return parse_yes_no(value.strip() if isinstance(value, str) else value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return parse_level(value)


def _optional_text(cells: dict[int, Any], columns: dict[str, int], heading: str) -> str | None:
    if heading not in columns:
        return None
    value = cells.get(columns[heading])
    text = "" if value is None else str(value).strip()
    return text or None
