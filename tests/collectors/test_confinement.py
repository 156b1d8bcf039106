"""Specs uploaded to the server read only inside --spec-dir and reach databases, commands, hosts
and variables only when the administrator allows them (collectors/confinement.py) — refused
at upload (422 naming the element) and again at run time (an error outcome with the reason).
Regression tests of issue 12, finding 2; on SQLite and the CI PostgreSQL."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.collectors.confinement import Allowances, load_allowances
from assay.errors import ConfigurationError
from assay.files.spec import spec_from_text
from assay.services.registrations import store_spec
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.http_server import evidence_server
from tests.helpers.running import run_process
from tests.helpers.server import Api, running_api

SECRET = "s3cr3t-outside-the-spec-dir"
ENV_SECRET = "env-s3cr3t-of-the-server"
PATH_TO_INTERFACE = "dimensions[0].requirements[0].metrics[0].measurements[0].assessment_interface"


def spec_with(interface: Any, *, comparison: str = "equal_to", target: Any = "x") -> dict[str, Any]:
    measurement = {
        "id": "probe-me",
        "name": "A value",
        "comparison": comparison,
        "target": target,
        "data_type": "string",
        "assessment_interface": interface,
    }
    metric = {"id": "m", "name": "M", "measurements": [measurement]}
    requirement = {"id": "r", "name": "R", "metrics": [metric]}
    return {
        "spec": 1,
        "id": "hostile",
        "name": "Hostile",
        "dimensions": [{"id": "d", "name": "D", "requirements": [requirement]}],
    }


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A spec directory with a file inside, a secret file beside it, and a link out."""
    spec_dir = tmp_path / "specs"
    spec_dir.mkdir()
    (spec_dir / "inside.txt").write_text("x", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (spec_dir / "link.txt").symlink_to(outside / "secret.txt")
    (spec_dir / "linked-dir").symlink_to(outside, target_is_directory=True)
    return {"spec_dir": spec_dir, "outside": outside}


@pytest.fixture
def api(
    database_url: str, layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Api]:
    monkeypatch.setenv("ASSAY_TEST_SERVER_SECRET", ENV_SECRET)
    with running_api(database_url, layout["spec_dir"]) as running:
        yield running


def upload(api: Api, spec: dict[str, Any]) -> Any:
    return api.call("auditee", "POST", "/api/v1/specs", json=spec)


def run_of(api: Api, spec: dict[str, Any]) -> dict[str, Any]:
    """Register the spec's target and run it through the API; the auditor's view of the run."""
    answer = api.call(
        "auditee", "POST", "/api/v1/targets", json={"spec": spec["id"], "target": "t@1"}
    )
    assert answer.status_code == 201, answer.text
    answer = api.call("auditee", "POST", "/api/v1/runs", json={"spec": spec["id"], "target": "t@1"})
    assert answer.status_code == 201, answer.text
    run = api.call("internal", "GET", f"/api/v1/runs/{answer.json()['run_id']}")
    return dict(run.json())


def measurement_of(run: dict[str, Any]) -> dict[str, Any]:
    node = run["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0]
    return dict(node)


def everything_served(api: Api) -> str:
    """Every response an internal auditor can read about the runs and the ledger."""
    texts = [api.call("internal", "GET", "/api/v1/ledger/export").text]
    for run in api.call("internal", "GET", "/api/v1/runs").json():
        for fmt in ("json", "html", "markdown"):
            path = f"/api/v1/runs/{run['run_id']}/report?format={fmt}&audience=engineer"
            texts.append(api.call("internal", "GET", path).text)
    return "\n".join(texts)


@pytest.mark.parametrize(
    ("interface", "fragment"),
    [
        ("file:../outside/secret.txt", "steps out with .."),
        ("file:/etc/passwd", "is absolute"),
        ("file:/proc/self/environ", "is absolute"),
        ("file:~/.ssh/id_rsa", "starts with ~"),
        ({"kind": "file", "path": "a/../../outside/secret.txt"}, "steps out with .."),
        ({"kind": "sql", "query": "SELECT 1", "url": "sqlite:////tmp/assay.db"}, "database URL"),
        ({"kind": "sql", "query": "SELECT 1", "url_env": "ASSAY_DATABASE_URL"}, "does not allow"),
        ("command:cat /etc/passwd", "does not allow running 'cat'"),
        ({"kind": "command", "argv": "cat x", "shell": True}, "shell command"),
        ("https://evil.example/collect", "does not allow requests to 'evil.example'"),
        (
            {
                "kind": "http",
                "url": "http://127.0.0.1:1/x",
                "headers": {"A": "${ASSAY_TEST_SERVER_SECRET}"},
            },
            "not readable by uploaded specs",
        ),
        (
            {
                "kind": "mlflow",
                "tracking_uri": "sqlite:////tmp/mlflow.db",
                "run_id": "r",
                "metric": "m",
            },
            "'sqlite' URLs are refused",
        ),
        (
            {
                "kind": "probe",
                "probe": "performance.accuracy",
                "predictions": "p.csv",
                "model": "m.pkl",
            },
            "pickled model runs code",
        ),
        ({"kind": "probe", "probe": "quality.rows", "current": "/etc/passwd"}, "is absolute"),
    ],
)
def test_an_upload_that_reaches_outside_is_refused_naming_the_element(
    api: Api, interface: Any, fragment: str
) -> None:
    before = api.call("admin", "GET", "/api/v1/ledger/verify").json()["entries"]
    answer = upload(api, spec_with(interface))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert any(
        PATH_TO_INTERFACE in problem and fragment in problem for problem in error["problems"]
    ), error
    assert api.call("admin", "GET", "/api/v1/ledger/verify").json()["entries"] == before


def test_a_link_out_of_the_spec_dir_is_an_error_outcome_and_nothing_leaks(api: Api) -> None:
    for path in ("link.txt", "linked-dir/secret.txt"):
        spec = spec_with(f"file:{path}")
        spec["id"] = f"hostile-{path.replace('/', '-').replace('.', '-')}"
        assert upload(api, spec).status_code == 201
        node = measurement_of(run_of(api, spec))
        assert node["outcome"] == "error"
        assert "leads outside the spec directory" in node["error"]
    assert SECRET not in everything_served(api)


def test_a_parquet_directory_reads_no_part_through_a_link(
    api: Api, layout: dict[str, Path]
) -> None:
    """A directory of Parquet parts inside the spec directory is read part by part; a part
    that is a link (to a file outside, named by a secret column) refuses the directory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    outside = layout["outside"] / "secret.parquet"
    pq.write_table(pa.table({SECRET: [1.0, None]}), outside)
    parts = layout["spec_dir"] / "parts"
    parts.mkdir()
    pq.write_table(pa.table({"score": [1.0, 2.0]}), parts / "part-0.parquet")
    interface = {"kind": "probe", "probe": "quality.missing_ratio", "current": "parts"}
    spec = spec_with(interface, comparison="less_or_equal", target=1)
    spec["id"] = "parts-read"
    spec["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0]["data_type"] = (
        "numeric"
    )
    spec["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0][
        "assessment_interface"
    ]["column"] = "score"
    assert upload(api, spec).status_code == 201
    node = measurement_of(run_of(api, spec))
    assert (node["outcome"], node["value"]) == ("pass", 0.0)
    (parts / "part-1.parquet").symlink_to(outside)
    spec["id"] = "parts-linked"
    del spec["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"][0][
        "assessment_interface"
    ]["column"]
    assert upload(api, spec).status_code == 201
    node = measurement_of(run_of(api, spec))
    assert node["outcome"] == "error"
    assert "part-1.parquet is a symbolic link" in node["error"]
    assert SECRET not in everything_served(api)


def test_a_file_inside_the_spec_dir_is_read(api: Api) -> None:
    spec = spec_with("file:inside.txt")
    assert upload(api, spec).status_code == 201
    node = measurement_of(run_of(api, spec))
    assert (node["outcome"], node["value"]) == ("pass", "x")


def test_the_servers_own_database_is_never_read(tmp_path: Path, layout: dict[str, Path]) -> None:
    url = f"sqlite:///{layout['spec_dir'] / 'assay.db'}"
    with running_api(url, layout["spec_dir"]) as api:
        for path in ("assay.db", "assay.db-wal"):
            spec = spec_with({"kind": "file", "path": path, "format": "text"})
            spec["id"] = f"db-{path.replace('.', '-')}"
            assert upload(api, spec).status_code == 201
            node = measurement_of(run_of(api, spec))
            assert node["outcome"] == "error"
            assert "the server's own files" in node["error"]


def test_a_spec_stored_before_the_rules_is_stopped_when_it_runs(
    database_url: str, api: Api, layout: dict[str, Path]
) -> None:
    # Stored without confinement, as a store written by an older server holds it.
    hostile = spec_with({"kind": "file", "path": str(layout["outside"] / "secret.txt")})
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        store_spec(store, spec_from_text(json.dumps(hostile), "old", layout["spec_dir"]))
    finally:
        store.close()
    node = measurement_of(run_of(api, hostile))
    assert node["outcome"] == "error"
    assert "is absolute" in node["error"]
    assert SECRET not in everything_served(api)


def test_what_the_administrator_allows_is_reachable(
    database_url: str, layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = layout["spec_dir"] / "evaluate.py"
    script.write_text("import os, sys; print(os.environ.get('TOKEN', 'none') + sys.argv[1])\n")
    with evidence_server() as server:
        base = server.url
        host = base.removeprefix("http://")
        monkeypatch.setenv("METRICS_TOKEN", "t")
        allow = Allowances(
            hosts=(host,), commands=((sys.executable, str(script)),), variables=("METRICS_TOKEN",)
        )
        with running_api(database_url, layout["spec_dir"], allow=allow.to_dict()) as api:
            command = spec_with(
                {"kind": "command", "argv": [sys.executable, str(script), "x"],
                 "env": {"TOKEN": "${METRICS_TOKEN}"}},
                target="tx",
            )  # fmt: skip
            assert upload(api, command).status_code == 201
            assert measurement_of(run_of(api, command))["outcome"] == "pass"
            other = spec_with({"kind": "command", "argv": [sys.executable, "-c", "print(1)"]})
            other["id"] = "other-command"
            assert upload(api, other).status_code == 422
            fetched = spec_with(f"{base}/metrics#status", target="ok")
            fetched["id"] = "fetched"
            assert upload(api, fetched).status_code == 201
            assert measurement_of(run_of(api, fetched))["outcome"] == "pass"
            jumping = spec_with(f"{base}/elsewhere#status")
            jumping["id"] = "jumping"
            assert upload(api, jumping).status_code == 201
            node = measurement_of(run_of(api, jumping))
            assert node["outcome"] == "error"
            assert "does not allow requests to 'localhost'" in node["error"]


def test_a_command_sees_only_the_variables_it_may(
    database_url: str, layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_TEST_SERVER_SECRET", ENV_SECRET)
    script = layout["spec_dir"] / "env.py"
    script.write_text("import json, os; print(json.dumps(sorted(os.environ)))")
    allow = Allowances(commands=((sys.executable, str(script)),))
    with running_api(database_url, layout["spec_dir"], allow=allow.to_dict()) as api:
        spec = spec_with(
            {"kind": "command", "argv": [sys.executable, str(script)], "parse": "text"}
        )
        assert upload(api, spec).status_code == 201
        node = measurement_of(run_of(api, spec))
    seen = json.loads(node["value"])
    assert "ASSAY_TEST_SERVER_SECRET" not in seen
    assert not any(name.startswith("ASSAY_") for name in seen)


def test_a_server_configuration_is_read_strictly(tmp_path: Path) -> None:
    good = tmp_path / "server.yaml"
    good.write_text(
        "allow:\n  hosts: [mlflow.internal:5000]\n  databases: [WAREHOUSE_URL]\n"
        "  commands: [[python, /opt/eval.py]]\n  variables: [TOKEN]\n  models: false\n"
    )
    allowed = load_allowances(good)
    assert allowed.hosts == ("mlflow.internal:5000",)
    assert allowed.commands == (("python", "/opt/eval.py"),)
    for text, fragment in (
        ("allow:\n  hostz: [a]\n", "unknown key"),
        ("allow:\n  commands: [python]\n", "argument lists"),
        ("allow:\n  models: yes please\n", "true or false"),
        ("deny: {}\n", "one section"),
    ):
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(ConfigurationError, match=fragment):
            load_allowances(bad)


def test_serve_refuses_the_root_as_spec_dir_and_a_bad_configuration(tmp_path: Path) -> None:
    env = {"ASSAY_HOME": str(tmp_path)}
    result = run_process("serve", "--port", "0", "--spec-dir", "/", env=env, timeout=60)
    assert result.exit_code == 2
    assert "every file of the machine" in result.stderr
    bad = tmp_path / "server.yaml"
    bad.write_text("allow:\n  hosts: [a, a: b]\n")
    result = run_process("serve", "--port", "0", "--config", str(bad), env=env, timeout=60)
    assert result.exit_code == 2, result
    assert "server.yaml" in result.stderr
    assert "Audit API on" not in result.stderr
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == ["server.yaml"], "nothing was created"
