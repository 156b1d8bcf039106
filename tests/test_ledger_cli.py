"""``assay ledger verify|export|list``, on the database and on exported files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import create_engine

from assay.config import DatabaseChoice
from assay.store import open_store
from tests.helpers.running import run_cli

SCHEMAS = Path(__file__).parents[1] / "docs" / "schemas"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    return loaded


@pytest.fixture
def filled(database_url: str, assay_home: Path) -> str:
    """A database whose ledger holds 12 entries."""
    store = open_store(DatabaseChoice(database_url, "test"))
    store.ledger.append_many(
        [("measurement.result", {"n": n, "value": n / 7, "name": "naïve"}) for n in range(1, 13)]
    )
    store.close()
    return database_url


def export(capsys: pytest.CaptureFixture[str], url: str, path: Path, *extra: str) -> list[str]:
    result = run_cli(capsys, "ledger", "export", "--db", url, "-o", str(path), *extra)
    assert result.exit_code == 0, result
    assert f"to {path}" in result.stderr
    return path.read_text(encoding="utf-8").splitlines()


def test_verify_reports_count_and_head(capsys: pytest.CaptureFixture[str], filled: str) -> None:
    result = run_cli(capsys, "ledger", "verify", "--db", filled)
    assert result.exit_code == 0
    assert "ledger intact: 12 entries (1-12)" in result.stdout
    data = json.loads(run_cli(capsys, "ledger", "verify", "--db", filled, "-f", "json").stdout)
    jsonschema.validate(data, schema("ledger-verify"))
    assert data["ok"] is True
    assert data["head"]["seq"] == 12
    assert data["head"]["hash"] in result.stdout


def test_verify_exits_1_and_names_the_first_bad_entry(
    capsys: pytest.CaptureFixture[str], filled: str
) -> None:
    engine = create_engine(filled)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE ledger_entries SET kind = 'forged.kind' WHERE seq = 7")
    engine.dispose()
    result = run_cli(capsys, "ledger", "verify", "--db", filled)
    assert result.exit_code == 1
    assert "ledger broken at entry 7" in result.stdout
    assert "6 entries before it are intact" in result.stdout
    data = json.loads(run_cli(capsys, "ledger", "verify", "--db", filled, "-f", "json").stdout)
    jsonschema.validate(data, schema("ledger-verify"))
    assert data["problem"]["seq"] == 7
    assert data["problem"]["code"] == "hash_mismatch"


def test_an_export_verifies_offline_and_matches_the_schemas(
    capsys: pytest.CaptureFixture[str], filled: str, tmp_path: Path
) -> None:
    lines = export(capsys, filled, tmp_path / "ledger.jsonl")
    assert len(lines) == 13
    header = json.loads(lines[0])
    jsonschema.validate(header, schema("ledger-export-header"))
    for line in lines[1:]:
        jsonschema.validate(json.loads(line), schema("ledger-entry"))
    result = run_cli(capsys, "ledger", "verify", "--file", str(tmp_path / "ledger.jsonl"))
    assert result.exit_code == 0, result
    assert "ledger intact: 12 entries (1-12)" in result.stdout
    assert header["head"]["hash"] in result.stdout


def test_an_export_since_n_verifies_from_its_first_entry(
    capsys: pytest.CaptureFixture[str], filled: str, tmp_path: Path
) -> None:
    lines = export(capsys, filled, tmp_path / "tail.jsonl", "--since", "10")
    assert [json.loads(line)["seq"] for line in lines[1:]] == [10, 11, 12]
    result = run_cli(capsys, "ledger", "verify", "--file", str(tmp_path / "tail.jsonl"))
    assert result.exit_code == 0, result
    assert "3 entries (10-12)" in result.stdout


def tamper(lines: list[str], how: str) -> list[str]:
    lines = list(lines)
    if how == "payload edited":
        entry = json.loads(lines[5])
        entry["payload"]["value"] = 0.5
        lines[5] = json.dumps(entry)
    elif how == "entry deleted":
        del lines[5]
    elif how == "two entries swapped":
        lines[5], lines[6] = lines[6], lines[5]
    elif how == "hash rewritten":
        entry = json.loads(lines[5])
        entry["hash"] = "0123456789abcdef" * 4
        lines[5] = json.dumps(entry)
    elif how == "last entry deleted":
        del lines[-1]
    return lines


@pytest.mark.parametrize(
    ("how", "seq", "code"),
    [
        ("payload edited", 5, "hash_mismatch"),
        ("entry deleted", 5, "missing_entry"),
        ("two entries swapped", 5, "missing_entry"),
        ("hash rewritten", 5, "hash_mismatch"),
        ("last entry deleted", 12, "truncated"),
    ],
)
def test_a_tampered_export_is_caught_at_the_right_entry(
    capsys: pytest.CaptureFixture[str], filled: str, tmp_path: Path, how: str, seq: int, code: str
) -> None:
    lines = export(capsys, filled, tmp_path / "ledger.jsonl")
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join(tamper(lines, how)) + "\n", encoding="utf-8")
    result = run_cli(capsys, "ledger", "verify", "--file", str(forged), "-f", "json")
    assert result.exit_code == 1, result
    data = json.loads(result.stdout)
    assert (data["problem"]["seq"], data["problem"]["code"]) == (seq, code)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("", ["the file is empty"]),
        (
            '{"format": "assay-ledger-export", "version": 2, "since": 1, "head": {"seq": 0, '
            f'"hash": "{"0" * 64}"}}}}\n{{not json\n',
            ["line 2", "not valid JSON"],
        ),
        ('{"format": "assay-ledger-export", "version": 7}\n', ["line 1", "header"]),
        ('{"seq": 1, "ts": "x", "kind": "a", "payload": {}}\n', ["line 1", "header"]),
        ("[1, 2]\n", ["line 1", "not a JSON object"]),
        (b"\xff\xfe".decode("latin-1"), ["not UTF-8"]),
    ],
)
def test_a_file_that_is_not_an_export_is_invalid_input(
    capsys: pytest.CaptureFixture[str],
    assay_home: Path,
    tmp_path: Path,
    content: str,
    fragments: list[str],
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content.encode("latin-1"))
    result = run_cli(capsys, "ledger", "verify", "--file", str(path))
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_a_failed_export_leaves_an_earlier_file_untouched(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    target = tmp_path / "ledger.jsonl"
    target.write_text("previous export\n")
    result = run_cli(
        capsys, "ledger", "export", "--db", "sqlite:////nonexistent-dir/x.db", "-o", str(target)
    )
    assert result.exit_code == 2
    assert target.read_text() == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.jsonl"]


def test_list_shows_entries_as_table_and_json(
    capsys: pytest.CaptureFixture[str], filled: str
) -> None:
    table = run_cli(capsys, "ledger", "list", "--db", filled, "--since", "11")
    assert table.exit_code == 0
    assert "measurement.result" in table.stdout
    assert "naïve" in table.stdout
    data = json.loads(
        run_cli(capsys, "ledger", "list", "--db", filled, "-n", "3", "-f", "json").stdout
    )
    assert [entry["seq"] for entry in data] == [1, 2, 3]
    for entry in data:
        jsonschema.validate(entry, schema("ledger-entry"))
    assert (
        json.loads(
            run_cli(
                capsys, "ledger", "list", "--db", filled, "--kind", "no.such", "-f", "json"
            ).stdout
        )
        == []
    )


@pytest.mark.parametrize("command", [("list",), ("export", "-o", "out.jsonl")])
def test_an_entry_number_beyond_64_bits_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], filled: str, command: tuple[str, ...]
) -> None:
    result = run_cli(capsys, "ledger", *command, "--db", filled, "--since", str(2**65))
    assert result.exit_code == 2
    assert "--since" in result.stderr
