"""``assay ledger verify|export|list``, on the database and on exported files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import create_engine

from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.paths import REPO
from tests.helpers.running import run_cli

SCHEMAS = REPO / "docs" / "schemas"


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
        (
            '{"format": "assay-ledger-export", "version": 2, "since": 1, "he',
            [
                "line 1 (the export header): not valid JSON: unterminated string starting at "
                "column 61; the line is cut short"
            ],
        ),
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


def forge(lines: list[str], how: str) -> list[str]:
    """Ways of forging an export that a careless verifier accepts (issue 12, finding 5)."""
    lines = list(lines)
    if how == "header and last entry removed":
        return lines[1:-1]
    entry = json.loads(lines[5])
    if how == "a key written twice":
        text = lines[5]
        value = json.dumps(entry["payload"]["value"])
        lines[5] = text.replace(f'"value":{value}', f'"value":0.95,"value":{value}', 1)
        assert lines[5] != text
    elif how == "a field added to an entry":
        lines[5] = json.dumps({**entry, "verified_by": "a famous auditor"})
    elif how == "a field added to the payload's seal":
        lines[5] = json.dumps({**entry, "disclosed": {"/value": {"salt": "0" * 32, "value": 1}}})
    elif how == "NaN in a payload":
        lines[5] = lines[5].replace('"n":5', '"n":NaN', 1)
    elif how == "a stub's kind changed":
        stub = {key: entry[key] for key in ("seq", "ts", "payload_hash", "prev_hash", "hash")}
        lines[5] = json.dumps({**stub, "kind": "forged.kind", "withheld": True})
    elif how == "format 1 after format 2":
        del entry["payload_hash"]
        lines[5] = json.dumps(entry)
    return lines


@pytest.mark.parametrize(
    ("how", "code", "fragment"),
    [
        ("header and last entry removed", 2, "the first line is not an export header"),
        ("a key written twice", 1, "line 6: the key 'value' is written twice"),
        ("a field added to an entry", 1, "line 6: fields no entry has: 'verified_by'"),
        ("a field added to the payload's seal", 1, "disclosure /value: no sealed value there"),
        ("NaN in a payload", 1, "line 6: NaN is not a JSON number"),
        ("a stub's kind changed", 1, "stored hash does not match"),
        ("format 1 after format 2", 1, "a ledger never goes back to the old format"),
    ],
)
def test_a_forged_export_never_verifies(
    capsys: pytest.CaptureFixture[str],
    filled: str,
    tmp_path: Path,
    how: str,
    code: int,
    fragment: str,
) -> None:
    lines = export(capsys, filled, tmp_path / "ledger.jsonl")
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join(forge(lines, how)) + "\n", encoding="utf-8")
    result = run_cli(capsys, "ledger", "verify", "--file", str(forged))
    assert result.exit_code == code, result
    assert fragment in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_header_with_unknown_fields_is_not_an_export(
    capsys: pytest.CaptureFixture[str], filled: str, tmp_path: Path
) -> None:
    lines = export(capsys, filled, tmp_path / "ledger.jsonl")
    header = json.loads(lines[0])
    forged = tmp_path / "forged.jsonl"
    forged.write_text(
        "\n".join([json.dumps({**header, "verified": True}), *lines[1:]]) + "\n", encoding="utf-8"
    )
    result = run_cli(capsys, "ledger", "verify", "--file", str(forged))
    assert result.exit_code == 2
    assert "fields no export has: 'verified'" in result.stderr


def test_an_export_of_the_first_format_still_verifies(tmp_path: Path) -> None:
    from assay.store.canonical import canonical_json
    from assay.store.chain import GENESIS_HASH, canonical_entry_hash
    from assay.store.ledger_file import verify_export

    previous, lines = GENESIS_HASH, []
    for seq in (1, 2):
        payload = {"n": seq}
        ts = f"2026-11-0{seq}T00:00:00.000000Z"
        digest = canonical_entry_hash(previous, seq, ts, "a.b", canonical_json(payload))
        lines.append(
            canonical_json(
                {"seq": seq, "ts": ts, "kind": "a.b", "payload": payload, "prev_hash": previous,
                 "hash": digest}
            )
        )  # fmt: skip
        previous = digest
    header = {"format": "assay-ledger-export", "version": 1, "since": 1,
              "head": {"seq": 2, "hash": previous}}  # fmt: skip
    path = tmp_path / "old.jsonl"
    path.write_text("\n".join([json.dumps(header), *lines]) + "\n", encoding="utf-8")
    _, result = verify_export(path)
    assert result.ok, result.problem
    assert result.entries == 2
