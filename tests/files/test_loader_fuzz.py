"""Property-based fuzzing of every loader of files assay reads — specifications, answers files,
framework files, server configurations, collected values, ledger exports, event bodies and
workbooks: whatever the input, the outcome is a value or one :class:`InvalidInputError` (exit
2) whose message stays under the cap, never another exception (exit 4) and never a hang.

Examples are derandomized, so CI runs the same ones every time; ``ASSAY_FUZZ_EXAMPLES`` raises
the budget for a longer local run (the figures of the closing note came from one).
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.catalog.frameworks import load_framework
from assay.collectors.base import CollectionError
from assay.collectors.confinement import load_allowances
from assay.collectors.values import decode
from assay.errors import MAX_MESSAGE, InvalidInputError
from assay.files.answers import load_assessment
from assay.files.answers_workbook import read_answer_workbooks
from assay.files.documents import JsonRefusedError, parse_document, parse_json
from assay.files.spec import spec_from_text
from assay.reports.maturity_workbook import answers_workbook
from assay.store.ledger_file import verify_export
from tests.helpers.specs import spec_document

EXAMPLES = int(os.environ.get("ASSAY_FUZZ_EXAMPLES", "150"))
HANG_SECONDS = 60  # far beyond any loader's time on any input; only a hang reaches it

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@contextmanager
def no_hang() -> Iterator[None]:
    """Fail instead of stalling the suite if a loader never returns."""

    def stalled(signum: int, frame: object) -> None:
        raise AssertionError(f"the loader did not return within {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, stalled)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def refused_or_read(load: Callable[[], Any], *errors: type[Exception]) -> None:
    """``load()`` returns, or raises one of ``errors`` (InvalidInputError by default) with a
    message under the cap; nothing else."""
    expected = errors or (InvalidInputError,)
    with no_hang():
        try:
            load()
        except expected as error:
            message = error.message if isinstance(error, InvalidInputError) else str(error)
            assert len(message) <= MAX_MESSAGE, len(message)


# --- hostile text -------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)


@st.composite
def alias_bombs(draw: st.DrawFn) -> str:
    """Documents whose aliases expand (billion laughs) or refer to themselves."""
    width = draw(st.integers(min_value=2, max_value=12))
    depth = draw(st.integers(min_value=1, max_value=20))
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for level in range(1, depth):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    if draw(st.booleans()):
        lines.append("r: &r {self: *r}")
    return "\n".join(lines) + "\n"


@st.composite
def nested(draw: st.DrawFn) -> str:
    depth = draw(st.integers(min_value=50, max_value=3000))
    opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", "")]))
    return opener * depth + "x" + closer * depth


@st.composite
def duplicated(draw: st.DrawFn) -> str:
    keys = draw(st.lists(st.sampled_from(["id", "spec", "name", "a"]), min_size=2, max_size=6))
    return "\n".join(f"{key}: {draw(st.integers())}" for key in keys) + "\n"


def dumped(value: Any) -> str:
    return json.dumps(value) if isinstance(value, dict | list) else yaml.safe_dump(value)


HOSTILE_TEXT = (
    st.text(max_size=300)
    | alias_bombs()
    | nested()
    | duplicated()
    | JSON_VALUES.map(dumped)
    | st.binary(max_size=200).map(lambda data: data.decode("latin-1"))
)


def base_spec() -> dict[str, Any]:
    return spec_document(
        [
            {
                "id": "a",
                "name": "A",
                "comparison": "greater_or_equal",
                "target": 0.9,
                "assessment_interface": "file:m.json#a",
            }
        ]
    )


PLACES = [
    ("target",),
    ("comparison",),
    ("data_type",),
    ("assessment_interface",),
    ("select",),
    ("tolerance",),
    ("scale",),
    ("name",),
    ("id",),
    ("confidential",),
]


@st.composite
def mutated_specs(draw: st.DrawFn) -> str:
    """A valid spec with one to three of its measurement's keys given hostile values, dumped as
    YAML or JSON (JSON keeps NaN and infinities as Python writes them)."""
    document = base_spec()
    measurement = document["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        (key,) = draw(st.sampled_from(PLACES))
        measurement[key] = draw(JSON_VALUES)
    if draw(st.booleans()):
        return json.dumps(document)
    return yaml.safe_dump(document)


# --- the loaders -------------------------------------------------------------------------------


@FUZZ
@given(text=HOSTILE_TEXT | mutated_specs())
def test_specifications(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("spec")
    refused_or_read(lambda: spec_from_text(text, "spec.yaml", base))


@FUZZ
@given(
    text=HOSTILE_TEXT
    | st.fixed_dictionaries(
        {"framework": st.sampled_from(["iml4e", "marvelous", "ai-first", "microsoft"])},
        optional={
            "project": JSON_VALUES,
            "answers": st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6),
            "respondents": st.lists(
                st.fixed_dictionaries({"name": JSON_VALUES, "answers": JSON_VALUES}), max_size=3
            ),
        },
    ).map(yaml.safe_dump)
)
def test_answers_files(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("answers") / "answers.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    refused_or_read(lambda: load_assessment(path))


@FUZZ
@given(text=HOSTILE_TEXT)
def test_framework_files(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("framework") / "framework.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    refused_or_read(lambda: load_framework(str(path)))


@FUZZ
@given(text=HOSTILE_TEXT | JSON_VALUES.map(lambda value: yaml.safe_dump({"allow": value})))
def test_server_configurations(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("config") / "server.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    refused_or_read(lambda: load_allowances(path))


@FUZZ
@given(text=HOSTILE_TEXT, fmt=st.sampled_from(["auto", "json", "yaml", "csv", "number", "text"]))
def test_collected_values(text: str, fmt: Any) -> None:
    refused_or_read(lambda: decode(text, fmt, "collected"), CollectionError)


@FUZZ
@given(body=HOSTILE_TEXT | JSON_VALUES.map(json.dumps))
def test_json_bodies_and_events(body: str) -> None:
    refusal = None
    with no_hang():
        try:
            value = parse_json(body)
        except (JsonRefusedError, json.JSONDecodeError) as error:
            refusal = str(error)
    if refusal is not None:
        assert len(refusal) <= MAX_MESSAGE
        return
    assert not _has_non_finite(value)
    assert json.loads(json.dumps(value)) == value


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_non_finite(item) for item in value)
    return False


def _an_export() -> list[str]:
    from assay.store.canonical import canonical_json
    from assay.store.chain import GENESIS_HASH, entry_hash_v2, payload_digest

    previous, lines = GENESIS_HASH, []
    for seq in (1, 2, 3):
        payload = {"n": seq, "value": seq / 7}
        ts = f"2026-12-0{seq}T00:00:00.000000Z"
        digest_of_payload = payload_digest(canonical_json(payload))
        digest = entry_hash_v2(previous, seq, ts, "a.b", digest_of_payload)
        lines.append(
            canonical_json(
                {"seq": seq, "ts": ts, "kind": "a.b", "payload": payload,
                 "payload_hash": digest_of_payload, "prev_hash": previous, "hash": digest}
            )
        )  # fmt: skip
        previous = digest
    header = {"format": "assay-ledger-export", "version": 2, "since": 1,
              "head": {"seq": 3, "hash": previous}, "redacted": False, "scope": None}  # fmt: skip
    return [json.dumps(header), *lines]


EXPORT = _an_export()


@st.composite
def mutated_exports(draw: st.DrawFn) -> str:
    lines = list(EXPORT)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        how = draw(st.sampled_from(["replace", "field", "delete", "duplicate", "truncate"]))
        if how == "replace":
            lines[index] = draw(HOSTILE_TEXT).replace("\n", " ")
        elif how == "field":
            try:
                value = json.loads(lines[index])
            except ValueError:
                continue
            if isinstance(value, dict):
                value[draw(st.sampled_from([*value, "extra"]))] = draw(JSON_VALUES)
                lines[index] = json.dumps(value)
        elif how == "delete" and len(lines) > 1:
            del lines[index]
        elif how == "duplicate":
            lines.insert(index, lines[index])
        else:
            lines[index] = lines[index][
                : draw(st.integers(min_value=0, max_value=len(lines[index])))
            ]
    return "\n".join(lines) + "\n"


@FUZZ
@given(text=mutated_exports() | HOSTILE_TEXT)
def test_ledger_exports(text: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("export") / "ledger.jsonl"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    if text == "\n".join(EXPORT) + "\n":
        assert verify_export(path)[1].ok
        return
    refusal = None
    with no_hang():
        try:
            _, result = verify_export(path)
        except InvalidInputError as error:
            refusal = error.message
    if refusal is not None:
        assert len(refusal) <= MAX_MESSAGE
        return
    assert len(json.dumps(result.to_dict())) <= MAX_MESSAGE + 1000


def _workbook_bytes() -> bytes:
    from assay.catalog import load_framework as builtin

    return answers_workbook(builtin("ai-first"), "p", "r")


WORKBOOK = _workbook_bytes()


@st.composite
def mutated_workbooks(draw: st.DrawFn) -> bytes:
    """The real workbook with cells of its sheets replaced by hostile values, or its bytes cut
    or flipped."""
    how = draw(st.sampled_from(["cells", "bytes", "member"]))
    if how == "bytes":
        data = bytearray(WORKBOOK)
        for _ in range(draw(st.integers(min_value=1, max_value=20))):
            data[draw(st.integers(min_value=0, max_value=len(data) - 1))] = draw(
                st.integers(0, 255)
            )
        return bytes(data[: draw(st.integers(min_value=0, max_value=len(data)))])
    if how == "member":
        source = zipfile.ZipFile(io.BytesIO(WORKBOOK))
        out = io.BytesIO()
        victim = draw(st.sampled_from(source.namelist()))
        with zipfile.ZipFile(out, "w") as target:
            for name in source.namelist():
                content = source.read(name)
                if name == victim:
                    content = draw(st.binary(max_size=300))
                target.writestr(name, content)
        return out.getvalue()
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(WORKBOOK))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        sheet = book[draw(st.sampled_from(book.sheetnames))]
        row = draw(st.integers(min_value=1, max_value=12))
        column = draw(st.integers(min_value=1, max_value=6))
        cell_text = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)
        value = draw(st.none() | st.integers() | cell_text | st.floats(allow_nan=False))
        sheet.cell(row=row, column=column).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@FUZZ
@given(data=mutated_workbooks())
def test_workbooks(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("workbook") / "filled.xlsx"
    path.write_bytes(data)
    refused_or_read(lambda: read_answer_workbooks([path]))


def test_the_hostile_yaml_of_the_issue_is_refused_by_the_document_parser() -> None:
    for text in ("a: &a [*a]\n", "[" * 10_000 + "]" * 10_000):
        with pytest.raises(InvalidInputError), no_hang():
            parse_document(text, "x")


def test_a_zip_bomb_workbook_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 1024 * 1024))
    assert path.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(InvalidInputError, match="unpacks to"):
        read_answer_workbooks([path])
