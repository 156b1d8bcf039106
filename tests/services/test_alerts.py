"""The AI-first framework's closing example end to end: faithfulness falls while down-votes
rise → one P1 → the model alias is rolled back in a real MLflow, a real Alertmanager is paged,
a signed webhook is told, a blameless review is opened, and the ledger shows signal, alert,
action and outcome; a noisy signal pages nobody; actions run once and failed ones are retried."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import update

from assay.demo.llm import degrading_assistant, noisy_assistant, slo_file
from assay.integrations.alert_channels import SIGNATURE_HEADER, signature
from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.schema import alert_actions
from tests.helpers.alerting import Alertmanager, alertmanager, webhook_receiver
from tests.helpers.mlflow_server import Mlflow, mlflow_server
from tests.helpers.running import run_cli, run_process
from tests.helpers.server import refused_port
from tests.helpers.specs import spec_document

SECRET = "hook-secret-for-tests"


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mlflow]:
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as running:
        yield running


@pytest.fixture(scope="module")
def pager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    with alertmanager(tmp_path_factory.mktemp("alertmanager")) as running:
        yield running


def _kinds(db: str) -> Counter[str]:
    store = open_store(DatabaseChoice(db, "test"))
    try:
        return Counter(entry.kind for entry in store.ledger.entries())
    finally:
        store.close()


def _write_events(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def _audited_versions(mlflow: Mlflow, tmp_path: Path, db: str, capsys: Any) -> tuple[str, str]:
    """Three versions of a model, each audited (all pass), with champion on the newest."""
    name = f"support-llm-{uuid.uuid4().hex[:6]}"
    measurement = {
        "id": "groundedness",
        "name": "Offline groundedness",
        "comparison": "greater_or_equal",
        "target": 0.8,
        "assessment_interface": {"kind": "mlflow", "model": name, "metric": "groundedness"},
    }
    spec = tmp_path / "gate.yaml"
    spec.write_text(yaml.safe_dump(spec_document([measurement], spec_id="llm-gate")))
    for _ in range(3):
        version = mlflow.register(name, metrics={"groundedness": 0.9})
        ran = run_cli(
            capsys, "audit", "run", str(spec), "--target", f"{name}@{version}", "--db", db
        )
        assert ran.exit_code == 0, ran.stderr
    mlflow.client.set_registered_model_alias(name, "champion", version)
    return name, version


def test_faithfulness_falling_with_downvotes_pages_once_and_rolls_back(
    mlflow: Mlflow,
    pager: Alertmanager,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow.uri)
    monkeypatch.setenv("ASSAY_TEST_HOOK_SECRET", SECRET)
    db = f"sqlite:///{tmp_path / 'assay.db'}"
    name, current = _audited_versions(mlflow, tmp_path, db, capsys)
    now = datetime.now(UTC)
    events = degrading_assistant(now, model=name, version=current) + noisy_assistant(now)
    imported = run_cli(
        capsys, "events", "import", str(_write_events(tmp_path / "e.jsonl", events)), "--db", db
    )
    assert imported.exit_code == 0, imported.stderr

    with webhook_receiver() as hook:
        slos = tmp_path / "slos.yaml"
        config = slo_file(
            model=name,
            tracking_uri=mlflow.uri,
            spec="llm-gate",
            alertmanager=pager.url,
            webhook=hook.url,
            webhook_secret_env="ASSAY_TEST_HOOK_SECRET",
        )
        slos.write_text(yaml.safe_dump(config))
        first = run_cli(
            capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db, "--format", "json"
        )
        assert first.exit_code == 0, first.stderr
        outcome = json.loads(first.stdout)
        states = outcome["states"]
        assert states["answer-faithfulness"]["firing"]
        assert states["support-downvotes"]["firing"]
        # The burst on the other assistant burns the short span only: no alert, no page.
        noisy = states["search-downvotes"]
        assert not noisy["firing"]
        assert noisy["spans"][0]["short"]["burn_rate"] >= 5 > noisy["spans"][0]["long"]["burn_rate"]

        listed = json.loads(
            run_cli(capsys, "alerts", "list", "--db", db, "--format", "json").stdout
        )
        by_rule = {a["rule"]: a for a in listed}
        assert set(by_rule) == {
            "answer-faithfulness",
            "support-downvotes",
            "faithfulness-with-downvotes",
        }
        p1 = by_rule["faithfulness-with-downvotes"]
        assert p1["class"] == "P1"
        assert p1["state"] == "open"
        assert [a["class"] for a in listed].count("P1") == 1

        # The rollback: champion goes back to the newest earlier version whose audit passed.
        assert mlflow.client.get_model_version_by_alias(name, "champion").version == str(
            int(current) - 1
        )
        # Alertmanager holds the page; the signed webhook was told of the two P3 alerts.
        paged = [
            a
            for a in pager.alerts()
            if a["labels"].get("alertname") == "faithfulness-with-downvotes"
        ]
        assert len(paged) == 1
        assert paged[0]["labels"]["severity"] == "P1"
        assert len(hook.received) == 2
        for headers, body in hook.received:
            assert headers[SIGNATURE_HEADER.lower()] == signature(SECRET, body)
        assert {p["class"] for p in hook.payloads()} == {"P3"}

        shown = json.loads(
            run_cli(capsys, "alerts", "show", str(p1["id"]), "--db", db, "--format", "json").stdout
        )
        assert {a["action"]: a["status"] for a in shown["actions"]} == {
            "rollback": "done",
            "review": "done",
            "page": "done",
        }
        signals = shown["evidence"]["signals"]
        assert signals["answer-faithfulness"]["spans"][0]["long"]["bad"] > 0
        assert len(signals["support-downvotes"]["events"]["digest"]) == 64

        kinds = _kinds(db)
        assert kinds["alert.opened"] == 3
        assert kinds["alert.review"] == 1
        assert kinds["alert.action"] == 5  # rollback, review, page; notify twice
        assert kinds["mlflow.alias"] == 1

        # Evaluated again (the same state): nothing opens twice, no action runs twice.
        again = run_cli(
            capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db, "--format", "json"
        )
        assert again.exit_code == 0, again.stderr
        assert json.loads(again.stdout)["opened"] == []
        assert _kinds(db) == kinds
        assert len(hook.received) == 2

    # A process that died after the rollback, before recording it: another takes the action
    # over when its lease runs out, and does not move the alias a second version back.
    store = open_store(DatabaseChoice(db, "test"))
    try:
        with store.database.writing() as conn:
            conn.execute(
                update(alert_actions)
                .where(alert_actions.c.action == "rollback")
                .values(status="running", lease_until=0.0)
            )
    finally:
        store.close()
    config["actions"] = [a for a in config["actions"] if a["name"] != "page"]
    config["routes"]["P1"].remove("page")
    slos.write_text(yaml.safe_dump(config))
    taken_over = run_cli(
        capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db, "--format", "json"
    )
    assert [a["outcome"] for a in json.loads(taken_over.stdout)["actions"]] == ["done"]
    assert mlflow.client.get_model_version_by_alias(name, "champion").version == str(
        int(current) - 1
    )

    # The rollback is an ML life-cycle event too, and the ledger still verifies.
    rolled = run_cli(
        capsys, "events", "list", "--db", db, "--type", "model_deployed", "--format", "json"
    )
    assert json.loads(rolled.stdout)[0]["rollback"] is True
    assert run_cli(capsys, "ledger", "verify", "--db", db).exit_code == 0
    acked = run_cli(
        capsys,
        "alerts",
        "ack",
        str(p1["id"]),
        "--by",
        "on-call",
        "--note",
        "rolled back",
        "--db",
        db,
    )
    assert acked.exit_code == 0, acked.stderr
    assert _kinds(db)["alert.acknowledged"] == 1


def _hook_only(hook_url: str, attempts: int) -> dict[str, Any]:
    return {
        "slos": [
            {
                "name": "votes",
                "indicator": "product.downvotes",
                "objective": 0.9,
                "class": "P2",
                "burn_rates": [{"long": "30m", "short": "5m", "factor": 2}],
                "min_events": 5,
            }
        ],
        "actions": [{"name": "hook", "type": "webhook", "url": hook_url}],
        "routes": {"P2": ["hook"]},
        "retry": {"attempts": attempts, "backoff": "1s", "max_backoff": "1s"},
    }


def _all_down(path: Path) -> Path:
    now = time.time()
    votes = [
        {
            "type": "feedback",
            "id": f"v{i}",
            "time": datetime.fromtimestamp(now - 60 * i, UTC).isoformat(),
            "vote": "down",
        }
        for i in range(1, 20)
    ]
    return _write_events(path, votes)


def test_a_failed_action_is_retried_with_backoff_then_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'assay.db'}"
    assert (
        run_cli(
            capsys, "events", "import", str(_all_down(tmp_path / "v.jsonl")), "--db", db
        ).exit_code
        == 0
    )
    with webhook_receiver(fail_first=2) as hook:
        slos = tmp_path / "slos.yaml"
        slos.write_text(yaml.safe_dump(_hook_only(hook.url, attempts=5)))
        outcomes = []
        for _ in range(3):
            ran = run_cli(
                capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db, "--format", "json"
            )
            outcomes += [a["outcome"] for a in json.loads(ran.stdout)["actions"]]
            time.sleep(1.1)  # the back-off
        assert outcomes == ["retry", "retry", "done"]
        assert len(hook.received) == 1

    # A receiver that never answers: after the attempts allowed, the action is failed and said.
    db2 = f"sqlite:///{tmp_path / 'two.db'}"
    assert (
        run_cli(
            capsys, "events", "import", str(_all_down(tmp_path / "w.jsonl")), "--db", db2
        ).exit_code
        == 0
    )
    with refused_port() as port:
        slos.write_text(yaml.safe_dump(_hook_only(f"http://127.0.0.1:{port}/nothing", attempts=2)))
        for _ in range(2):
            run_cli(capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db2)
            time.sleep(1.1)
    listed = run_cli(capsys, "alerts", "list", "--db", db2)
    assert "1 action(s) failed for good" in listed.stdout
    shown = json.loads(
        run_cli(capsys, "alerts", "show", "1", "--db", db2, "--format", "json").stdout
    )
    assert shown["actions"][0]["status"] == "failed"
    assert shown["actions"][0]["attempts"] == 2
    assert "cannot be reached" in shown["actions"][0]["result"]["error"]


def test_several_processes_run_an_action_once(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run_cli(
            capsys, "events", "import", str(_all_down(tmp_path / "v.jsonl")), "--db", database_url
        ).exit_code
        == 0
    )
    with webhook_receiver() as hook:
        slos = tmp_path / "slos.yaml"
        slos.write_text(yaml.safe_dump(_hook_only(hook.url, attempts=3)))
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            runs = list(
                pool.map(
                    lambda _: run_process(
                        "alerts", "evaluate", "--slos", str(slos), "--db", database_url
                    ),
                    range(3),
                )
            )
        assert all(run.exit_code == 0 for run in runs), [run.stderr for run in runs]
        assert len(hook.received) == 1
    listed = json.loads(
        run_cli(capsys, "alerts", "list", "--db", database_url, "--format", "json").stdout
    )
    assert len(listed) == 1


def test_bad_slo_files_are_refused_with_their_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'assay.db'}"
    slos = tmp_path / "slos.yaml"
    slos.write_text(
        "slos:\n"
        "  - name: a\n"
        "    indicator: llm.faithfulness\n"
        "    objective: 1.5\n"
        "    class: P1\n"
        "  - name: b\n"
        "    indicator: llm.vibes\n"
        "    objective: 0.9\n"
        "    class: P9\n"
        "routes:\n"
        "  P1: [nowhere]\n"
    )
    result = run_cli(capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db)
    assert result.exit_code == 2
    assert "line 4: slos[0].objective" in result.stderr
    assert "slos[1]" in result.stderr
    assert "Traceback" not in result.stderr
    slos.write_text(
        "slos:\n  - {name: a, indicator: llm.faithfulness, objective: 0.9, class: P1,\n"
        "     burn_rates: [{long: 5m, short: 1h, factor: 2}]}\n"
    )
    result = run_cli(capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db)
    assert result.exit_code == 2
    assert "must be shorter than long" in result.stderr
    assert run_cli(capsys, "alerts", "show", "42", "--db", db).exit_code == 2


def test_an_slo_on_an_audit_measurement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'assay.db'}"
    measurement = {
        "id": "accuracy",
        "name": "Accuracy",
        "comparison": "greater_or_equal",
        "target": 0.8,
        "assessment_interface": {"kind": "file", "path": "accuracy.txt"},
    }
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(spec_document([measurement], spec_id="quality")))
    for value in ("0.9", "0.7", "0.6", "0.65"):  # one pass, three failures
        (tmp_path / "accuracy.txt").write_text(value)
        run_cli(capsys, "audit", "run", str(spec), "--target", "model@1", "--db", db)
    slos = tmp_path / "slos.yaml"
    slos.write_text(
        yaml.safe_dump(
            {
                "slos": [
                    {
                        "name": "accuracy-holds",
                        "indicator": "audit.measurement",
                        "spec": "quality",
                        "measurement": "accuracy",
                        "selector": {"model": "model"},
                        "objective": 0.9,
                        "class": "P2",
                        "burn_rates": [{"long": "1h", "short": "5m", "factor": 5}],
                        "min_events": 3,
                    }
                ]
            }
        )
    )
    ran = run_cli(capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db, "--format", "json")
    assert ran.exit_code == 0, ran.stderr
    state = json.loads(ran.stdout)["states"]["accuracy-holds"]
    long = state["spans"][0]["long"]
    assert (long["events"], long["bad"]) == (4, 3)
    assert long["burn_rate"] == pytest.approx(0.75 / 0.1)
    assert state["firing"]


def test_an_alert_resolves_when_its_slo_stops_burning_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'assay.db'}"
    assert (
        run_cli(
            capsys, "events", "import", str(_all_down(tmp_path / "v.jsonl")), "--db", db
        ).exit_code
        == 0
    )
    with webhook_receiver() as hook:
        slos = tmp_path / "slos.yaml"
        slos.write_text(yaml.safe_dump(_hook_only(hook.url, attempts=3)))
        opened = run_cli(
            capsys, "alerts", "evaluate", "--slos", str(slos), "--db", db, "--format", "json"
        )
        assert json.loads(opened.stdout)["opened"] == [1]
        later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()  # nothing in its spans then
        closed = run_cli(
            capsys,
            "alerts",
            "evaluate",
            "--slos",
            str(slos),
            "--db",
            db,
            "--at",
            later,
            "--format",
            "json",
        )
        assert json.loads(closed.stdout)["resolved"] == [1]
        assert [p["phase"] for p in hook.payloads()] == ["open", "resolve"]
    [alert] = json.loads(run_cli(capsys, "alerts", "list", "--db", db, "--format", "json").stdout)
    assert alert["state"] == "resolved"
    assert _kinds(db)["alert.resolved"] == 1
