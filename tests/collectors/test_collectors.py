"""Collectors against real files, real subprocesses, a real HTTP server and real databases."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from assay.collectors import CollectContext, CollectionError, interface_problem, parse_interface
from assay.collectors.runner import collect_all
from assay.integrations.plugins import load_plugins
from tests.helpers.databases import POSTGRES_URL, postgres_schema
from tests.helpers.http_server import SECRET_TOKEN, Server, evidence_server
from tests.helpers.server import refused_port

PYTHON = sys.executable


@pytest.fixture(autouse=True)
def _collectors() -> None:
    load_plugins()


def collect(raw: str | dict[str, Any], base: Path, **environ: str) -> Any:
    collector, parameters = parse_interface(raw)
    return collector.collect(parameters, CollectContext(base, environ))


def fails(raw: str | dict[str, Any], base: Path, message: str, **environ: str) -> str:
    with pytest.raises(CollectionError) as caught:
        collect(raw, base, **environ)
    assert message in str(caught.value), str(caught.value)
    return str(caught.value)


# -- file ---------------------------------------------------------------------------------


def test_file_formats_and_selectors(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps({"holdout": {"accuracy": 0.91}}))
    (tmp_path / "m.yaml").write_text("holdout:\n  accuracy: 0.92\n")
    (tmp_path / "m.csv").write_text("model,accuracy\na,0.8\nb,0.93\n")
    (tmp_path / "value.txt").write_text("  0.94\n")
    (tmp_path / "card.md").write_text("# Model card\n")
    assert collect("file:m.json#holdout.accuracy", tmp_path) == 0.91
    assert (
        collect({"kind": "file", "path": "m.yaml", "select": "holdout.accuracy"}, tmp_path) == 0.92
    )
    assert collect("file:m.csv#[?model=='b'].accuracy | [0]", tmp_path) == "0.93"
    assert collect("file:value.txt", tmp_path) == 0.94
    assert (
        collect({"kind": "file", "path": "card.md", "format": "text"}, tmp_path) == "# Model card"
    )
    assert collect(f"file:{tmp_path / 'm.json'}", Path("/")) == {"holdout": {"accuracy": 0.91}}


def test_file_failures_say_why(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"holdout": {"accuracy": 0.91}')
    (tmp_path / "ok.json").write_text('{"a": 1}')
    fails("file:absent.json", tmp_path, f"no such file: {tmp_path / 'absent.json'}")
    fails("file:m.json", tmp_path, "m.json is not valid json")
    fails("file:ok.json#b.c", tmp_path, "'b.c' matches nothing in")
    # A selector that is not JMESPath is refused when the spec is loaded, not when it runs.
    problem = interface_problem("file:ok.json#[[")
    assert problem is not None
    assert "'[[' is not a JMESPath expression" in problem


# -- command ------------------------------------------------------------------------------


def test_command_output_is_parsed(tmp_path: Path) -> None:
    script = "import json; print(json.dumps({'accuracy': 0.9, 'n': 10}))"
    assert collect({"kind": "command", "argv": [PYTHON, "-c", script]}, tmp_path) == {
        "accuracy": 0.9,
        "n": 10,
    }
    selected = {"kind": "command", "argv": [PYTHON, "-c", script], "select": "accuracy"}
    assert collect(selected, tmp_path) == 0.9
    assert collect(f"command:{PYTHON} -c 'print(42)'", tmp_path) == 42
    assert (
        collect({"kind": "command", "argv": "echo hello | tr a-z A-Z", "shell": True}, tmp_path)
        == "HELLO"
    )
    (tmp_path / "here.txt").write_text("x")
    assert collect({"kind": "command", "argv": ["ls"], "parse": "text"}, tmp_path) == "here.txt"


def test_command_failures_say_why(tmp_path: Path) -> None:
    fails(
        {"kind": "command", "argv": [PYTHON, "-c", "import sys; sys.exit('model not found')"]},
        tmp_path,
        "exited with code 1: model not found",
    )
    fails(
        {"kind": "command", "argv": [PYTHON, "-c", "import time; time.sleep(10)"], "timeout": 0.5},
        tmp_path,
        "timed out after 0.5 s",
    )
    fails({"kind": "command", "argv": ["no-such-program-xyz"]}, tmp_path, "could not start")
    fails({"kind": "command", "argv": ["true"], "parse": "number"}, tmp_path, "is not valid number")


def test_command_secrets_reach_the_program_but_not_the_messages(tmp_path: Path) -> None:
    script = "import os, sys; sys.exit('refused' if os.environ['TOKEN'] != 'hunter2' else 0)"
    raw = {"kind": "command", "argv": [PYTHON, "-c", script], "env": {"TOKEN": "${EVAL_TOKEN}"}}
    assert collect(raw, tmp_path, EVAL_TOKEN="hunter2") == ""
    message = fails(raw, tmp_path, "refused", EVAL_TOKEN="wrong")
    assert "wrong" not in message
    fails(raw, tmp_path, "the environment variable EVAL_TOKEN is not set")


# -- http ---------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[Server]:
    with evidence_server() as running:
        yield running


def test_http_json_text_and_post(server: Server, tmp_path: Path) -> None:
    assert collect(f"{server.url}/metrics#holdout.accuracy", tmp_path) == 0.91
    assert collect(f"{server.url}/text", tmp_path) == 0.75
    raw = {"kind": "http", "url": f"{server.url}/echo", "method": "POST", "json": {"model": "v3"}}
    assert collect(raw, tmp_path) == {"received": {"model": "v3"}}
    assert server.bodies == [{"model": "v3"}]


def test_http_retries_5xx_with_backoff_then_succeeds(server: Server, tmp_path: Path) -> None:
    raw = {"kind": "http", "url": f"{server.url}/flaky", "retries": 2, "backoff": 0.01}
    assert collect(raw, tmp_path) == {"value": 7}
    assert server.hits["/flaky"] == 3


def test_http_failures_say_why(server: Server, tmp_path: Path) -> None:
    broken = {"kind": "http", "url": f"{server.url}/broken", "retries": 1, "backoff": 0.01}
    fails(broken, tmp_path, "answered 500 Internal Server Error (2 attempts)")
    assert server.hits["/broken"] == 2
    slow = {"kind": "http", "url": f"{server.url}/slow", "timeout": 0.3, "retries": 0}
    fails(slow, tmp_path, "timed out after 0.3 s (1 attempt)")
    fails(f"{server.url}/missing", tmp_path, "answered 404 Not Found")
    assert server.hits["/missing"] == 1, "4xx is not retried"
    fails(f"{server.url}/metrics#holdout.auc", tmp_path, "'holdout.auc' matches nothing")
    with refused_port() as port:
        closed = {"kind": "http", "url": f"http://127.0.0.1:{port}/x", "retries": 0}
        fails(closed, tmp_path, "could not connect")


def test_http_secret_headers(server: Server, tmp_path: Path) -> None:
    raw = {
        "kind": "http",
        "url": f"{server.url}/private",
        "headers": {"Authorization": "Bearer ${EVIDENCE_TOKEN}"},
        "select": "verdict",
    }
    assert collect(raw, tmp_path, EVIDENCE_TOKEN=SECRET_TOKEN) == "pass"
    message = fails(raw, tmp_path, "answered 401", EVIDENCE_TOKEN="not-it")
    assert SECRET_TOKEN not in message


# -- sql ----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "eval.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE runs (model TEXT, accuracy REAL)")
        conn.executemany("INSERT INTO runs VALUES (?, ?)", [("a", 0.8), ("b", 0.93)])
    return path


def test_sql_on_sqlite(sqlite_file: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{sqlite_file.name}"  # relative to the spec's directory
    query = "SELECT accuracy FROM runs WHERE model = 'b'"
    assert collect({"kind": "sql", "query": query, "url": url}, tmp_path) == 0.93
    assert collect(f"sql:{query}", tmp_path, ASSAY_SQL_URL=f"sqlite:///{sqlite_file}") == 0.93
    fails({"kind": "sql", "query": "SELECT 1 WHERE 0", "url": url}, tmp_path, "returned no rows")
    fails({"kind": "sql", "query": "SELEC 1", "url": url}, tmp_path, "syntax error")
    fails(
        {"kind": "sql", "query": "DELETE FROM runs RETURNING 1", "url": url},
        tmp_path,
        "attempt to write a readonly database",
    )
    with sqlite3.connect(sqlite_file) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (2,)
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
    fails({"kind": "sql", "query": endless, "url": url, "timeout": 0.3}, tmp_path, "timed out")
    fails(f"sql:{query}", tmp_path, "the environment variable ASSAY_SQL_URL is not set")
    fails({"kind": "sql", "query": query, "url": "sqlite:///absent.db"}, tmp_path, "no such SQLite")


@pytest.mark.postgres
def test_sql_on_postgresql(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip("ASSAY_TEST_POSTGRES_URL is not set")
    with postgres_schema() as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE runs (model text, accuracy double precision)"))
            conn.execute(text("INSERT INTO runs VALUES ('a', 0.8), ('b', 0.93)"))
        environ = {"EVAL_DB": url}
        base = {"kind": "sql", "url_env": "EVAL_DB"}
        assert (
            collect(base | {"query": "SELECT max(accuracy) FROM runs"}, tmp_path, **environ) == 0.93
        )
        fails(
            base | {"query": "DELETE FROM runs RETURNING 1"},
            tmp_path,
            "read-only transaction",
            **environ,
        )
        fails(
            base | {"query": "SELECT pg_sleep(5)", "timeout": 0.3}, tmp_path, "timed out", **environ
        )
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM runs")).scalar() == 2
        engine.dispose()


# -- the runner ---------------------------------------------------------------------------


def test_a_shared_interface_is_fetched_once(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    script = f"open({str(log)!r}, 'a').write('x'); print('{{\"a\": 1, \"b\": 2}}')"
    shared = {"kind": "command", "argv": [PYTHON, "-c", script]}
    results = collect_all(
        {"first": shared, "second": dict(shared), "third": shared, "other": "file:none.json"},
        CollectContext(tmp_path, {}),
    )
    assert log.read_text() == "x", "three measurements, one fetch"
    assert results["first"] is results["second"] is results["third"]
    assert results["first"].value == {"a": 1, "b": 2}
    assert results["other"].error is not None
    assert "no such file" in results["other"].error
    assert results["first"].source.startswith("command:")
    assert results["first"].started <= results["first"].finished


# Each fetch marks itself running, then watches the others for a while: the most it ever sees
# at once shows both that fetches overlap and that the bound holds, without timing anything.
WATCHER = """
import pathlib, sys, time
board = pathlib.Path(sys.argv[1])
me = board / sys.argv[2]
me.touch()
seen = 0
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    seen = max(seen, sum(1 for _ in board.glob("*")))
    if seen >= 2:
        time.sleep(0.2)
        seen = max(seen, sum(1 for _ in board.glob("*")))
        break
    time.sleep(0.01)
me.unlink()
print(seen)
"""


def test_fetches_run_in_parallel_up_to_the_bound(tmp_path: Path) -> None:
    board = tmp_path / "running"
    board.mkdir()
    interfaces = {
        str(n): {"kind": "command", "argv": [PYTHON, "-c", WATCHER, str(board), str(n)]}
        for n in range(6)
    }
    seen: list[str] = []
    results = collect_all(
        interfaces,
        CollectContext(tmp_path, {}),
        workers=2,
        on_fetched=lambda fetched, total: seen.append(f"{fetched.source} of {total}"),
    )
    assert all(result.error is None for result in results.values()), results
    assert len(seen) == 6
    assert all(line.endswith(" of 6") for line in seen)
    most = [result.value for result in results.values()]
    assert max(most) == 2, "two at a time, never more"
    assert most.count(2) >= 4, f"fetches overlapped: {most}"
