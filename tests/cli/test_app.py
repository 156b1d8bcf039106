"""The ``assay`` command: help, version, database choice, and bad input (exit 2, one line)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assay import __version__
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.databases import POSTGRES_URL, postgres_schema
from tests.helpers.running import Result, run_cli, run_process

GROUPS = ["db", "ledger", "maturity", "audit", "metrics", "scan", "keys", "serve", "demo"]


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """Exit 2, no traceback, one ``assay: error:`` line naming every fragment."""
    assert result.exit_code == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("assay: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_version(capsys: pytest.CaptureFixture[str], assay_home: Path) -> None:
    result = run_cli(capsys, "--version")
    assert (result.exit_code, result.stdout.strip()) == (0, f"assay {__version__}")


@pytest.mark.parametrize("group", GROUPS)
def test_every_group_has_help(
    capsys: pytest.CaptureFixture[str], assay_home: Path, group: str
) -> None:
    result = run_cli(capsys, group, "--help")
    assert result.exit_code == 0
    assert f"assay {group}" in result.stdout


def test_root_help_lists_the_groups(capsys: pytest.CaptureFixture[str], assay_home: Path) -> None:
    result = run_cli(capsys, "--help")
    assert result.exit_code == 0
    for group in GROUPS:
        assert group in result.stdout


def test_an_unknown_option_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    result = run_cli(capsys, "ledger", "verify", "--nope")
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_default_database_is_created_under_assay_home(
    capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    result = run_cli(capsys, "db", "upgrade")
    assert result.exit_code == 0, result
    assert (assay_home / "assay.db").is_file()
    result = run_cli(capsys, "ledger", "verify")
    assert result.exit_code == 0, result
    assert "ledger intact: 0 entries" in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("ledger", "verify"),
        ("ledger", "list"),
        ("ledger", "export"),
        ("db", "status"),
        ("audit", "status"),
        ("audit", "certificates"),
        ("audit", "history", "some-spec"),
        ("token", "list"),
        ("maturity", "history", "--project", "p"),
    ],
    ids=" ".join,
)
def test_reading_commands_never_create_a_store(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    mistyped = tmp_path / "asay.db"
    for where in ((), ("--db", f"sqlite:///{mistyped}")):
        result = run_cli(capsys, *command, *where)
        assert result.exit_code == 2, result
        assert "no store at" in result.stderr
        assert "Traceback" not in result.stderr
    assert not assay_home.exists()
    assert not mistyped.exists()


def test_database_url_from_the_environment(
    capsys: pytest.CaptureFixture[str],
    assay_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSAY_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert run_cli(capsys, "db", "upgrade").exit_code == 0
    assert (tmp_path / "env.db").is_file()
    assert not (assay_home / "assay.db").exists()
    # --db wins over the variable
    assert (
        run_cli(capsys, "db", "upgrade", "--db", f"sqlite:///{tmp_path / 'opt.db'}").exit_code == 0
    )
    assert (tmp_path / "opt.db").is_file()


def test_db_upgrade_is_idempotent_and_status_reports(
    capsys: pytest.CaptureFixture[str], database_url: str, assay_home: Path
) -> None:
    for _ in range(2):
        result = run_cli(capsys, "db", "upgrade", "--db", database_url)
        assert result.exit_code == 0
        assert "schema at revision 0010" in result.stdout
    result = run_cli(capsys, "db", "status", "--db", database_url, "--format", "json")
    status = json.loads(result.stdout)
    assert status["schema_revision"] == "0010"
    assert status["ledger"] == {"entries": 0, "head": {"seq": 0, "hash": "0" * 64}}


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("not a url", ["--db", "malformed database URL", "expected an SQLAlchemy database URL"]),
        ("nosuchdb://x/y", ["--db", "no database driver for 'nosuchdb'"]),
        ("postgresql://someone:s3cret@127.0.0.1:1/x", ["127.0.0.1:1", "cannot open the database"]),
        (
            "sqlite:////nonexistent-assay-dir/sub/assay.db",
            ["/nonexistent-assay-dir/sub", "does not exist"],
        ),
        ("sqlite:////proc/assay.db", ["/proc/assay.db", "cannot open the database"]),
    ],
)
def test_unusable_databases_give_one_clear_message(
    capsys: pytest.CaptureFixture[str], assay_home: Path, url: str, fragments: list[str]
) -> None:
    result = run_cli(capsys, "db", "upgrade", "--db", url)
    assert_one_line_error(result, *fragments)
    assert "s3cret" not in result.stderr


def test_a_bad_url_in_the_environment_names_the_variable(
    capsys: pytest.CaptureFixture[str], assay_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_DATABASE_URL", "::::")
    assert_one_line_error(run_cli(capsys, "db", "status"), "ASSAY_DATABASE_URL", "malformed")


def test_an_unusable_assay_home_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # /proc refuses new directories even to root, so this holds whoever runs the tests.
    monkeypatch.setenv("ASSAY_HOME", "/proc/assay-home")
    monkeypatch.delenv("ASSAY_DATABASE_URL", raising=False)
    assert_one_line_error(run_cli(capsys, "db", "upgrade"), "ASSAY_HOME", "/proc/assay-home")
    file_home = tmp_path / "a-file"
    file_home.write_text("not a directory")
    monkeypatch.setenv("ASSAY_HOME", str(file_home))
    assert_one_line_error(run_cli(capsys, "db", "upgrade"), "ASSAY_HOME", str(file_home))


def test_a_read_only_database_that_needs_its_schema_is_refused(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    before = path.read_bytes()
    result = run_cli(capsys, "db", "upgrade", "--db", f"sqlite:///file:{path}?mode=ro&uri=true")
    assert_one_line_error(result, "readonly database")
    assert path.read_bytes() == before


def test_a_database_from_a_newer_assay_is_refused_and_left_alone(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    store = open_store(DatabaseChoice(url, "test"))
    store.ledger.append("test.entry", {"n": 1})
    store.close()
    with sqlite3.connect(tmp_path / "newer.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    for command in (["db", "upgrade"], ["ledger", "verify"], ["ledger", "export"]):
        result = run_cli(capsys, *command, "--db", url)
        assert_one_line_error(result, "9999_future", "newer assay", "upgrade assay")
    with sqlite3.connect(tmp_path / "newer.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("9999_future",)
        ]
        assert conn.execute("SELECT count(*) FROM ledger_entries").fetchone() == (1,)


def test_user_errors_in_a_real_process_print_no_traceback(tmp_path: Path) -> None:
    result = run_process(
        "db",
        "upgrade",
        "--db",
        "sqlite:////nonexistent-assay-dir/x.db",
        env={"ASSAY_HOME": str(tmp_path)},
    )
    assert_one_line_error(result, "does not exist")
    result = run_process(
        "ledger", "verify", "--db", f"sqlite:///{tmp_path / 'x.db'}", env={"ASSAY_HOME": "/"}
    )
    assert_one_line_error(result, "no store at")


def test_the_real_command_prints_its_version() -> None:
    result = run_process("--version")
    assert (result.exit_code, result.stdout.strip()) == (0, f"assay {__version__}")


@pytest.mark.skipif(not POSTGRES_URL, reason="ASSAY_TEST_POSTGRES_URL is not set")
def test_postgres_url_without_driver_uses_psycopg(
    capsys: pytest.CaptureFixture[str], assay_home: Path
) -> None:
    with postgres_schema() as url:
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        result = run_cli(capsys, "db", "status", "--db", plain)
        assert_one_line_error(result, "no store at", "holds no assay schema")
        assert run_cli(capsys, "db", "upgrade", "--db", plain).exit_code == 0
        result = run_cli(capsys, "db", "status", "--db", plain, "--format", "json")
        assert result.exit_code == 0, result
        assert json.loads(result.stdout)["dialect"] == "postgresql"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["ledger", "verify", "--file", "/no/such/export.jsonl"], "Invalid value for '--file'"),
        (["ledger", "export", "-o", "."], "is a directory"),
        (["audit", "run"], "Missing argument 'spec'"),
        (["nope"], "No such command 'nope'"),
    ],
)
def test_usage_errors_are_one_line_in_a_real_process(
    args: list[str], said: str, tmp_path: Path
) -> None:
    """Bad arguments get the same one-line error as every other refusal (exit 2), naming the
    command's --help, never Click's framed box."""
    result = run_process(*args, env={"ASSAY_HOME": str(tmp_path)}, cwd=tmp_path)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("assay: error: ")
    assert said in lines[0]
    assert "--help)" in lines[0]
    assert "╭" not in result.stderr


def test_a_group_without_a_command_shows_its_help(tmp_path: Path) -> None:
    result = run_process("audit", env={"ASSAY_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "Usage: assay audit" in result.stdout + result.stderr


def test_the_cli_starts_without_loading_what_only_some_commands_need() -> None:
    """alembic (migrations) and httpx (HTTP collectors, alert channels) are loaded when used,
    not by every command's start."""
    listed = (
        "import sys, assay.cli.app; "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'alembic', 'httpx'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", listed], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
