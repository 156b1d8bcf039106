"""``assay audit run`` end to end: every comparison and collector, gates, JUnit, the ledger."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.http_server import SECRET_TOKEN, Server, evidence_server
from tests.helpers.running import Result, run_cli

PYTHON = sys.executable


def measurement(
    mid: str, interface: Any, comparison: str, target: Any, **extra: Any
) -> dict[str, Any]:
    return {
        "id": mid,
        "name": mid,
        "assessment_interface": interface,
        "comparison": comparison,
        "target": target,
        **extra,
    }


def evidence_dir(tmp_path: Path) -> Path:
    base = tmp_path / "project"
    base.mkdir()
    (base / "metrics.json").write_text(json.dumps({"holdout": {"accuracy": 0.91}}))
    (base / "train.yaml").write_text("loss: 0.3\n")
    (base / "runs.csv").write_text("model,accuracy\na,0.8\nb,0.9\n")
    (base / "calibration.txt").write_text("0.04\n")
    (base / "MODEL_CARD.md").write_text("# Credit model\n## Intended use\nRetail credit.\n")
    with sqlite3.connect(base / "registry.db") as conn:
        conn.execute("CREATE TABLE versions (name TEXT, stage TEXT)")
        conn.execute("INSERT INTO versions VALUES ('credit', 'production')")
    return base


def spec_document(server_url: str) -> dict[str, Any]:
    latency = "import json; print(json.dumps({'latency_ms': 120, 'version': 'v1.2.3'}))"
    command = {"kind": "command", "argv": [PYTHON, "-c", latency]}
    measurements = [
        measurement("accuracy", "file:metrics.json#holdout.accuracy", "greater_or_equal", 0.85),
        measurement("loss", "file:train.yaml#loss", "less_than", 0.5),
        measurement("runs", "file:runs.csv#length(@)", "equal_to", 2),
        measurement("ece", "file:calibration.txt", "less_or_equal", 0.05),
        measurement("latency", command, "in_range", [100, 110], tolerance=15, select="latency_ms"),
        measurement(
            "version", command, "matches", r"^v\d+\.\d+", data_type="string", select="version"
        ),
        measurement("status", f"{server_url}/metrics#status", "equal_to", "ok", data_type="string"),
        measurement("f1", f"{server_url}/metrics#holdout.f1", "greater_than", 0.8),
        measurement(
            "stage",
            {
                "kind": "sql",
                "url": "sqlite:///registry.db",
                "query": "SELECT stage FROM versions WHERE name = 'credit'",
            },
            "one_of",
            ["staging", "production"],
            data_type="string",
        ),
        measurement(
            "versions",
            {
                "kind": "sql",
                "url": "sqlite:///registry.db",
                "query": "SELECT count(*) FROM versions",
            },
            "not_equal_to",
            0,
        ),
        measurement(
            "card-use",
            {"kind": "file", "path": "MODEL_CARD.md", "format": "text"},
            "contains",
            "Intended use",
            data_type="string",
        ),
        measurement(
            "card-todo",
            {"kind": "file", "path": "MODEL_CARD.md", "format": "text"},
            "not_contains",
            "TODO",
            data_type="string",
        ),
        measurement(
            "grade",
            "file:metrics.json#grade || 'B'",
            "greater_or_equal",
            "B",
            data_type="ordinal",
            scale=["C", "B", "A"],
        ),
        measurement(
            "private",
            {
                "kind": "http",
                "url": f"{server_url}/private",
                "select": "verdict",
                "headers": {"Authorization": "Bearer ${EVIDENCE_TOKEN}"},
            },
            "equal_to",
            "pass",
            data_type="string",
        ),
    ]
    return {
        "spec": 1,
        "id": "credit-model",
        "name": "Credit model quality",
        "target": "credit-model",
        "dimensions": [
            {
                "id": "quality",
                "name": "Quality",
                "requirements": [
                    {
                        "id": "everything",
                        "name": "Every check",
                        "metrics": [{"id": "all", "name": "All", "measurements": measurements}],
                    }
                ],
            }
        ],
    }


@pytest.fixture
def server() -> Iterator[Server]:
    with evidence_server() as running:
        yield running


@pytest.fixture
def project(tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> Path:
    base = evidence_dir(tmp_path)
    (base / "spec.yaml").write_text(yaml.safe_dump(spec_document(server.url), sort_keys=False))
    monkeypatch.setenv("EVIDENCE_TOKEN", SECRET_TOKEN)
    return base


def audit(capsys: pytest.CaptureFixture[str], project: Path, db: str, *args: str) -> Result:
    return run_cli(capsys, "audit", "run", str(project / "spec.yaml"), "--db", db, *args)


def test_every_comparison_and_collector_and_the_gate(
    capsys: pytest.CaptureFixture[str], assay_home: Path, project: Path, database_url: str
) -> None:
    junit = project / "junit.xml"
    passed = audit(capsys, project, database_url, "--gate", "-f", "json", "--junit", str(junit))
    assert passed.exit_code == 0, passed
    model = json.loads(passed.stdout)
    assert set(model) >= {"run_id", "spec", "target", "verdict", "dimensions", "ledger"}
    assert set(model["spec"]) >= {"id", "name", "version", "hash"}
    measurements = model["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
    outcomes = {m["id"]: (m["outcome"], m["error"]) for m in measurements}
    assert outcomes == dict.fromkeys(outcomes, ("pass", None)), outcomes
    assert len(outcomes) == 14
    first = measurements[0]
    assert set(first) >= {
        "id",
        "outcome",
        "value",
        "target",
        "comparison",
        "data_type",
        "error",
        "source",
    }
    assert (first["value"], first["source"]) == (0.91, "file:metrics.json#holdout.accuracy")
    assert model["verdict"] == "pass"
    suites = ElementTree.parse(junit).getroot()
    assert (suites.get("tests"), suites.get("failures"), suites.get("errors")) == ("14", "0", "0")
    assert [case.get("name") for case in suites.iter("testcase")][:2] == ["accuracy", "loss"]

    (project / "metrics.json").write_text(json.dumps({"holdout": {"accuracy": 0.5}}))
    failed = audit(capsys, project, database_url, "--gate", "--junit", str(junit))
    assert failed.exit_code == 1, failed
    assert "verdict fail" in failed.stderr
    suites = ElementTree.parse(junit).getroot()
    assert (suites.get("failures"), suites.get("errors")) == ("1", "0")
    failure = next(case for case in suites.iter("testcase") if case.find("failure") is not None)
    assert failure.get("name") == "accuracy"
    assert "the gate failed: accuracy: 0.5 is below the target ≥ 0.85" in failed.stderr
    assert (failure.find("failure").get("message") or "").startswith(  # type: ignore[union-attr]
        "0.5 is below the target ≥ 0.85"
    )

    (project / "metrics.json").write_text(json.dumps({"holdout": {"accuracy": 0.91}}))
    (project / "train.yaml").unlink()
    errored = audit(capsys, project, database_url, "--gate", "--junit", str(junit))
    assert errored.exit_code == 3, errored
    suites = ElementTree.parse(junit).getroot()
    error = next(case for case in suites.iter("testcase") if case.find("error") is not None)
    assert error.get("name") == "loss"
    assert "no such file" in (error.find("error").get("message") or "")  # type: ignore[union-attr]
    assert "the gate cannot decide: loss: " in errored.stderr

    without_gate = audit(capsys, project, database_url)
    assert without_gate.exit_code == 0, "without --gate a completed run exits 0"
    assert "loss" in without_gate.stdout
    assert "no such file" in without_gate.stdout

    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        assert store.ledger.verify().ok
        kinds = [entry.kind for entry in store.ledger.entries()]
        assert kinds.count("audit.spec") == 1, "the spec is stored once per content hash"
        assert kinds.count("audit.run") == 4
        assert kinds.count("audit.report") == 7  # 4 rendered outputs and 3 JUnit files
        assert kinds.count("audit.measurement") == 4 * 14
        exported = "\n".join(json.dumps(entry.payload) for entry in store.ledger.entries())
        assert SECRET_TOKEN not in exported
    finally:
        store.close()


def test_a_collector_fault_is_an_error_and_the_run_completes(
    capsys: pytest.CaptureFixture[str],
    assay_home: Path,
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVIDENCE_TOKEN", "wrong-token")
    db = f"sqlite:///{tmp_path / 'a.db'}"
    result = audit(capsys, project, db, "-f", "json")
    assert result.exit_code == 0
    model = json.loads(result.stdout)
    measurements = model["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
    private = next(m for m in measurements if m["id"] == "private")
    assert private["outcome"] == "error"
    assert private["error"].endswith("/private#verdict answered 401 Unauthorized")
    assert "wrong-token" not in result.stdout
    assert model["verdict"] == "error"


def test_a_terminal_shows_collection_progress(tmp_path: Path) -> None:
    slow = [PYTHON, "-c", "import time; time.sleep(1.5); print(0.9)"]
    document = spec_document("http://127.0.0.1:9")
    metric = document["dimensions"][0]["requirements"][0]["metrics"][0]
    slow_measurement = measurement("slow", {"kind": "command", "argv": slow}, "greater_than", 0.5)
    metric["measurements"] = [slow_measurement]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(document))
    child = pexpect.spawn(
        PYTHON,
        ["-m", "assay", "audit", "run", str(spec), "--db", f"sqlite:///{tmp_path / 'a.db'}"],
        env={**os.environ, "TERM": "xterm", "NO_COLOR": "1", "COLUMNS": "120"},
        encoding="utf-8",
        timeout=60,
    )
    child.expect("collecting")  # the bar appears while the slow command runs
    child.expect("1/1")
    child.expect("verdict pass")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
