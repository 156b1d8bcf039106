"""Bad and hostile input at the command line: one clear message, the documented exit code, and
nothing stored changed. Regression tests of issue 12, findings 3, 4, 6, 7, 8 and 9 (the
ledger, confinement and questionnaire findings have their own modules)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from assay.errors import MAX_MESSAGE
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.running import Result, run_cli, run_process
from tests.helpers.specs import spec_document


def evaluation_spec(directory: Path, evaluation: str, *, target: Any = 0.9) -> Path:
    """A spec gating precision ≥ ``target`` read from an evaluation file with ``evaluation``."""
    (directory / "evaluation.json").write_text(evaluation, encoding="utf-8")
    document = spec_document(
        [
            {
                "id": "precision",
                "name": "Precision",
                "comparison": "greater_or_equal",
                "target": target,
                "assessment_interface": "file:evaluation.json#precision",
            }
        ]
    )
    path = directory / "spec.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def stored(url: str) -> tuple[int, str]:
    """The ledger's size and head hash."""
    store = open_store(DatabaseChoice(url, "test"))
    try:
        head = store.ledger.head()
        return head.seq, head.hash
    finally:
        store.close()


def one_line(result: Result, code: int = 2) -> str:
    assert result.exit_code == code, result
    assert "Traceback" not in result.stderr
    assert len(result.stderr) <= MAX_MESSAGE + 100, len(result.stderr)
    return result.stderr


# --- finding 3: non-finite numbers never pass ------------------------------------------------


@pytest.mark.parametrize(
    "evaluation",
    ['{"precision": Infinity}', '{"precision": 1e999}', '{"precision": NaN}', "Infinity", "inf"],
)
def test_a_non_finite_value_is_an_error_under_the_gate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str, evaluation: str
) -> None:
    spec = evaluation_spec(tmp_path, evaluation)
    if not evaluation.startswith("{"):
        spec.write_text(spec.read_text().replace("#precision", ""), encoding="utf-8")
    result = run_cli(
        capsys, "audit", "run", str(spec), "--gate", "--db", database_url, "-f", "json"
    )
    assert result.exit_code == 3, result
    measurement = json.loads(result.stdout)["dimensions"][0]["requirements"][0]["metrics"][0]
    assert measurement["measurements"][0]["outcome"] == "error"


@pytest.mark.parametrize("target", [".inf", "-.inf", ".nan", "1e999"])
def test_a_non_finite_target_is_refused_when_the_spec_loads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assay_home: Path, target: str
) -> None:
    spec = evaluation_spec(tmp_path, '{"precision": 1}')
    spec.write_text(spec.read_text().replace("target: 0.9", f"target: {target}"), encoding="utf-8")
    message = one_line(run_cli(capsys, "audit", "validate", str(spec)))
    assert "target" in message
    assert "not a finite number" in message
    assert "line " in message


# --- finding 4: a command that fails stores nothing --------------------------------------------


@pytest.mark.parametrize("option", ["--junit", "-o"])
def test_an_unwritable_output_stores_no_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str, option: str
) -> None:
    spec = evaluation_spec(tmp_path, '{"precision": 0.95}')
    assert run_cli(capsys, "audit", "run", str(spec), "--db", database_url).exit_code == 0
    before = stored(database_url)
    status = run_cli(capsys, "audit", "status", "--db", database_url, "-f", "json").stdout
    result = run_cli(
        capsys, "audit", "run", str(spec), "--db", database_url, option, "/no/such/dir/out.xml"
    )
    assert "/no/such/dir/out.xml" in one_line(result)
    assert stored(database_url) == before
    assert run_cli(capsys, "audit", "status", "--db", database_url, "-f", "json").stdout == status


def test_a_run_and_its_reports_are_stored_together(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    spec = evaluation_spec(tmp_path, '{"precision": 0.95}')
    report, junit = tmp_path / "report.html", tmp_path / "junit.xml"
    result = run_cli(
        capsys, "audit", "run", str(spec), "--db", database_url, "-f", "html", "-o", str(report),
        "--junit", str(junit),
    )  # fmt: skip
    assert result.exit_code == 0, result
    assert report.is_file()
    assert junit.is_file()
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        reports = [entry.content for entry in store.ledger.entries(kind="audit.report")]
        runs = list(store.ledger.entries(kind="audit.run"))
    finally:
        store.close()
    assert [r["format"] for r in reports if r] == ["html", "junit"]
    assert all(r and r["run_id"] == runs[0].content["run_id"] for r in reports)  # type: ignore[index]


# --- finding 6: hostile YAML -----------------------------------------------------------------

LAUGHS = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(16)]
)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: &a [*a]\n", "recursive alias"),
        (LAUGHS + "\n", "aliases expand the document"),
        (
            "spec: 1\nid: s\nid: t\n",
            "the key 'id' is written twice in one mapping: line 2 and line 3",
        ),
        ("[" * 5000 + "]" * 5000, "nested more than"),
    ],
    ids=["recursive", "billion laughs", "duplicate key", "deep"],
)
@pytest.mark.parametrize(
    "command",
    [("maturity", "score"), ("audit", "validate"), ("audit", "run")],
    ids=" ".join,
)
def test_hostile_yaml_is_refused_quickly_in_one_short_message(
    tmp_path: Path, text: str, fragment: str, command: tuple[str, ...]
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    # A real process with a deadline: a hang fails the test instead of stalling the suite.
    result = run_process(*command, str(path), env={"ASSAY_HOME": str(tmp_path)}, timeout=60)
    assert fragment in one_line(result)
    assert not (tmp_path / "assay.db").exists()


def test_a_duplicate_key_in_a_spec_names_both_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assay_home: Path
) -> None:
    spec = evaluation_spec(tmp_path, "{}")
    text = spec.read_text().replace("target: 0.9", "target: 0.9\n        target: 0.1")
    spec.write_text(text, encoding="utf-8")
    message = one_line(run_cli(capsys, "audit", "validate", str(spec)))
    assert "'target' is written twice" in message
    first = next(n for n, line in enumerate(text.splitlines(), 1) if "target: 0.9" in line)
    assert f"line {first} and line {first + 1}" in message


def test_an_invalid_jmespath_is_refused_by_validate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assay_home: Path
) -> None:
    spec = evaluation_spec(tmp_path, "{}")
    spec.write_text(spec.read_text().replace("#precision", "#[[["), encoding="utf-8")
    assert "is not a JMESPath expression" in one_line(
        run_cli(capsys, "audit", "validate", str(spec))
    )
    document = yaml.safe_load(spec.read_text().replace("#[[[", "#precision"))
    document["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0]["select"] = "[[["
    spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    message = one_line(run_cli(capsys, "audit", "validate", str(spec)))
    assert "select" in message
    assert "is not a JMESPath expression" in message


def test_many_problems_give_a_capped_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assay_home: Path
) -> None:
    measurements = [
        {"id": f"m{n}", "name": "x" * 3000, "comparison": "bogus", "target": "y" * 3000}
        for n in range(400)
    ]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec_document(measurements)), encoding="utf-8")
    message = one_line(run_cli(capsys, "audit", "validate", str(path)))
    assert "400 problems" in message
    assert "and 390 more" in message


# --- finding 7: exit codes and raw errors ------------------------------------------------------


def test_durations_beyond_the_calendar_are_invalid_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    spec = evaluation_spec(tmp_path, '{"precision": 0.95}')
    before = (
        stored(database_url) if run_cli(capsys, "db", "upgrade", "--db", database_url) else None
    )
    attest = run_cli(
        capsys, "audit", "attest", str(spec), "precision", "--by", "Ada", "--value", "0.95",
        "--expires", "P999999999D", "--db", database_url,
    )  # fmt: skip
    assert "beyond the year 9999" in one_line(attest)
    certify = run_cli(
        capsys, "audit", "certify", str(spec), "--target", "s", "--valid-for", "P9999999D",
        "--db", database_url,
    )  # fmt: skip
    assert "beyond the year 9999" in one_line(certify)
    assert stored(database_url) == before


@pytest.mark.parametrize("value", ["method=[unclosed", "method={a: &a [*a]}", "x=" + "[" * 300])
def test_a_bad_probe_parameter_is_invalid_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str
) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a\n1\n2\n", encoding="utf-8")
    result = run_cli(
        capsys, "probe", "run", "quality.rows", "--current", str(data), "--param", value
    )
    assert "--param" in one_line(result)


def test_serve_refuses_a_busy_port_and_a_bad_host_before_its_banner(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_process(
            "serve", "--port", str(port), env={"ASSAY_HOME": str(tmp_path)}, timeout=60
        )
    assert f"port {port} is in use" in one_line(result)
    assert "Audit API on" not in result.stderr
    result = run_process("serve", "--host", "999.1.1.1", env={"ASSAY_HOME": str(tmp_path)})
    assert "999.1.1.1" in one_line(result)
    assert "Audit API on" not in result.stderr
    assert "ERROR" not in result.stderr
    assert not (tmp_path / "assay.db").exists()


# --- finding 8: names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ("maturity", "save", "{answers}", "--project", "", "--round", "r"),
            "project name is empty",
        ),
        (
            ("maturity", "save", "{answers}", "--project", "p", "--round", " "),
            "round label is empty",
        ),
        (
            ("maturity", "save", "{answers}", "--project", "p\x1b[2J", "--round", "r"),
            "control characters",
        ),
        (
            (
                "audit",
                "attest",
                "{spec}",
                "precision",
                "--by",
                "",
                "--value",
                "1",
                "--expires",
                "P1D",
            ),
            "is empty",
        ),
        (
            (
                "audit",
                "waive",
                "{spec}",
                "precision",
                "--by",
                "a\nb",
                "--justification",
                "j",
                "--expires",
                "P1D",
            ),
            "control characters",
        ),
        (("audit", "run", "{spec}", "--target", "a/b"), "characters a target cannot have"),
        (("audit", "run", "{spec}", "--target", "m@1\x07"), "control characters"),
        (("audit", "certify", "{spec}", "--target", " m"), "starts or ends with spaces"),
    ],
)
def test_names_are_printable_bounded_and_targets_fit_urls(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    database_url: str,
    args: tuple[str, ...],
    fragment: str,
) -> None:
    spec = evaluation_spec(tmp_path, '{"precision": 0.95}')
    answers = tmp_path / "answers.yaml"
    answers.write_text("framework: ai-first\nanswers: {process: 1}\n", encoding="utf-8")
    run_cli(capsys, "db", "upgrade", "--db", database_url)
    before = stored(database_url)
    filled = [part.format(spec=spec, answers=answers) for part in args]
    assert fragment in one_line(run_cli(capsys, *filled, "--db", database_url))
    assert stored(database_url) == before


def test_names_stored_earlier_are_shown_escaped(
    capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    from sqlalchemy import insert

    from assay.store.schema import api_tokens

    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        with store.database.writing() as conn:
            conn.execute(
                insert(api_tokens).values(
                    id="0" * 16, name="evil\x1b[31m[/x]\nname", role="auditor", scope=None,
                    internal=False, secret_hash="0" * 64, created="2026-01-01", revoked=None,
                )
            )  # fmt: skip
    finally:
        store.close()
    result = run_cli(capsys, "token", "list", "--db", database_url)
    assert result.exit_code == 0, result
    assert "\x1b" not in result.stdout, "no escape sequence reaches the terminal"
    assert "\\x1b" in result.stdout
    assert "[/x]" in result.stdout, "Rich markup in a name is shown, not interpreted"


def test_answers_with_bad_names_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assay_home: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "framework: ai-first\nproject: '=cmd'\nrespondents:\n"
        '  - {name: "a\\u001b[2Jb", answers: {process: 1}}\n',
        encoding="utf-8",
    )
    message = one_line(run_cli(capsys, "maturity", "score", str(answers)))
    assert "respondents[0].name" in message
    assert "control characters" in message


def test_workbook_cells_are_text_never_formulas(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, assay_home: Path
) -> None:
    workbook = tmp_path / "a.xlsx"
    formula = '=HYPERLINK("http://evil.example","click")'
    result = run_cli(
        capsys, "maturity", "export-xlsx", "--framework", "ai-first", "-o", str(workbook),
        "--project", formula, "--respondent", "=1+1",
    )  # fmt: skip
    assert result.exit_code == 0, result
    with zipfile.ZipFile(workbook) as archive:
        sheets = [
            archive.read(name).decode() for name in archive.namelist() if "worksheets" in name
        ]
    assert not any("<f>" in sheet for sheet in sheets), "no cell holds a formula"
    from openpyxl import load_workbook

    about = load_workbook(workbook)["About"]
    values = {row[0].value: row[1] for row in about.iter_rows() if row[0].value}
    assert (values["Project"].value, values["Project"].data_type) == (formula, "s")
    assert (values["Respondent"].value, values["Respondent"].data_type) == ("=1+1", "s")


# --- finding 9: reading never writes -----------------------------------------------------------


def test_history_of_a_missing_spec_file_is_invalid_input(
    capsys: pytest.CaptureFixture[str], database_url: str, tmp_path: Path
) -> None:
    run_cli(capsys, "db", "upgrade", "--db", database_url)
    for reference in ("missing.yaml", str(tmp_path / "nope" / "spec.yaml"), "Not An Id"):
        result = run_cli(capsys, "audit", "history", reference, "--db", database_url)
        one_line(result)
    result = run_cli(capsys, "audit", "history", "some-spec", "--db", database_url)
    assert result.exit_code == 0


def test_audit_status_records_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, database_url: str
) -> None:
    spec = evaluation_spec(tmp_path, '{"precision": 0.95}')
    document = yaml.safe_load(spec.read_text())
    document["dimensions"][0]["requirements"][0]["frequency"] = "PT1S"
    spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert run_cli(capsys, "audit", "run", str(spec), "--db", database_url).exit_code == 0
    before = stored(database_url)
    import time

    time.sleep(1.1)  # the evidence expires: a recording pass would append a status change
    result = run_cli(capsys, "audit", "status", "--db", database_url, "-f", "json")
    assert json.loads(result.stdout)[0]["status"] == "expired"
    assert stored(database_url) == before
