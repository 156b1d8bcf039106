"""MLflow against a real tracking server started on 127.0.0.1: the mlflow collector, tags
written back on the audited version, and the promotion and rollback gates."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from assay.collectors import CollectContext, CollectionError, parse_interface
from assay.integrations.plugins import load_plugins
from assay.store import open_store
from assay.store.audit_log import AuditLog
from assay.store.config import DatabaseChoice
from tests.helpers.mlflow_server import Mlflow, evaluation, mlflow_server
from tests.helpers.running import run_cli
from tests.helpers.server import make_tokens, serve_process


@pytest.fixture(autouse=True)
def collectors() -> None:
    load_plugins()


# MLflow delivers webhooks only over https to public addresses unless told otherwise; the
# webhook test's assay server is on 127.0.0.1 over plain http. One server for the module: a
# start costs more than all but one of its tests. The server caches each event's webhooks
# (60 s by default), which would hide a webhook made after earlier tests' registrations.
WEBHOOKS_TO_LOOPBACK = {
    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    "MLFLOW_WEBHOOK_CACHE_TTL": "0",
}


@pytest.fixture(scope="module")
def mlflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mlflow]:
    with mlflow_server(tmp_path_factory.mktemp("mlflow"), env=WEBHOOKS_TO_LOOPBACK) as running:
        yield running


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def collect(interface: dict[str, Any], mlflow: Mlflow, target: str | None = None) -> Any:
    collector, parameters = parse_interface(
        {"kind": "mlflow", "tracking_uri": mlflow.uri, **interface}
    )
    return collector.collect(parameters, CollectContext(Path("."), {}, target=target))


def test_the_collector_reads_runs_versions_and_artifacts(mlflow: Mlflow) -> None:
    name = unique("credit")
    version = mlflow.register(
        name,
        metrics={"auc": 0.91},
        params={"max_depth": "6"},
        tags={"team": "risk"},
        files={
            "MODEL_CARD.md": "# Card\n\nIntended use: scoring",
            "eval/evaluation.json": evaluation(0.9, 0.95),
        },
    )
    mlflow.client.set_model_version_tag(name, version, "validated_by", "qa")
    mlflow.client.set_registered_model_alias(name, "candidate", version)

    assert collect({"model": name, "version": version, "metric": "auc"}, mlflow) == 0.91
    assert collect({"model": name, "alias": "candidate", "param": "max_depth"}, mlflow) == "6"
    assert collect({"model": name, "metric": "auc"}, mlflow, target=f"{name}@{version}") == 0.91
    assert collect({"model": name, "version": version, "tag": "team"}, mlflow) == "risk"
    assert (
        collect({"model": name, "version": version, "version_tag": "validated_by"}, mlflow) == "qa"
    )
    assert collect({"model": name, "version": version, "aliases": True}, mlflow) == ["candidate"]
    card = {"model": name, "version": version, "artifact": "MODEL_CARD.md"}
    assert collect(card, mlflow) is True
    assert "Intended use" in collect({**card, "artifact_format": "text"}, mlflow)
    assert collect({**card, "artifact": "missing.md"}, mlflow) is False
    parity = {
        "model": name,
        "version": version,
        "artifact": "eval/evaluation.json",
        "artifact_format": "json",
        "select": "fairness.parity_ratio",
    }
    assert collect(parity, mlflow) == 0.95
    run_id = mlflow.client.get_model_version(name, version).run_id
    assert collect({"run_id": run_id, "metric": "auc"}, mlflow) == 0.91


@pytest.mark.parametrize(
    ("interface", "words"),
    [
        ({"version": "V", "metric": "nope"}, "no metric 'nope' (there are: auc)"),
        ({"version": "99", "metric": "auc"}, "MLflow: "),
        ({"metric": "auc"}, "give version or alias, or audit the target"),
        ({"version": "V", "artifact": "x.json", "artifact_format": "json"}, "no artifact 'x.json'"),
    ],
)
def test_what_the_collector_cannot_read_is_an_error_with_a_reason(
    mlflow: Mlflow, interface: dict[str, Any], words: str
) -> None:
    name = unique("err")
    version = mlflow.register(name, metrics={"auc": 0.5})
    chosen = {key: version if value == "V" else value for key, value in interface.items()}
    with pytest.raises(CollectionError) as raised:
        collect({"model": name, **chosen}, mlflow, target="other@1")
    assert words in str(raised.value)


def test_bad_interfaces_are_refused_when_the_spec_is_loaded() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"model": "m", "run_id": "r", "metric": "a"}, "exactly one of run_id or model"),
        ({"model": "m", "metric": "a", "param": "b"}, "exactly one of metric"),
        ({"run_id": "r", "aliases": True}, "aliases needs a model"),
        ({"model": "m", "version": 1, "alias": "x", "metric": "a"}, "version or alias"),
    ]
    for bad, words in cases:
        with pytest.raises(ValueError, match=words):
            parse_interface({"kind": "mlflow", **bad})


def test_no_tracking_server_is_an_error(tmp_path: Path) -> None:
    collector, parameters = parse_interface(
        {"kind": "mlflow", "model": "m", "version": 1, "metric": "a"}
    )
    with pytest.raises(CollectionError, match="MLFLOW_TRACKING_URI"):
        collector.collect(parameters, CollectContext(tmp_path, {}))


def gate_spec(tmp_path: Path, name: str) -> Path:
    """A spec gating on the version's AUC and its model card, read from MLflow."""
    document = {
        "spec": 1,
        "id": "promotion",
        "name": "Promotion gate",
        "dimensions": [
            {
                "id": "d",
                "name": "Quality",
                "requirements": [
                    {
                        "id": "r",
                        "name": "Good enough to serve",
                        "metrics": [
                            {
                                "id": "m",
                                "name": "Registry evidence",
                                "measurements": [
                                    {
                                        "id": "auc",
                                        "name": "AUC",
                                        "comparison": "greater_or_equal",
                                        "target": 0.8,
                                        "assessment_interface": {
                                            "kind": "mlflow",
                                            "model": name,
                                            "metric": "auc",
                                        },
                                    },
                                    {
                                        "id": "card",
                                        "name": "Model card present",
                                        "data_type": "boolean",
                                        "comparison": "equal_to",
                                        "target": True,
                                        "assessment_interface": {
                                            "kind": "mlflow",
                                            "model": name,
                                            "artifact": "MODEL_CARD.md",
                                        },
                                    },
                                ],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_promotion_refusal_and_rollback_move_aliases_and_are_recorded(
    mlflow: Mlflow,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow.uri)
    name = unique("credit")
    card = {"MODEL_CARD.md": "Intended use: scoring"}
    good = mlflow.register(name, metrics={"auc": 0.9}, files=card)
    weak = mlflow.register(name, metrics={"auc": 0.6}, files=card)
    spec = str(gate_spec(tmp_path, name))
    db = f"sqlite:///{tmp_path / 'assay.db'}"

    first = run_cli(
        capsys,
        "audit",
        "run",
        spec,
        "--target",
        f"{name}@{good}",
        "--promote",
        "champion",
        "--db",
        db,
    )
    assert first.exit_code == 0, first.stderr
    assert "champion: promoted" in first.stderr
    assert mlflow.client.get_model_version_by_alias(name, "champion").version == good
    tags = mlflow.client.get_model_version(name, good).tags
    assert tags["assay.verdict"] == "pass"
    assert len(tags["assay.spec_hash"]) == 64

    second = run_cli(
        capsys,
        "audit",
        "run",
        spec,
        "--target",
        f"{name}@{weak}",
        "--promote",
        "champion",
        "--rollback",
        "champion",
        "--db",
        db,
    )
    assert second.exit_code == 1, "a refused promotion fails the gate"
    assert "champion: refused" in second.stderr
    assert mlflow.client.get_model_version_by_alias(name, "champion").version == good
    assert mlflow.client.get_model_version(name, weak).tags["assay.verdict"] == "fail"

    # Someone moved champion to the weak version by hand; the rollback gate moves it back.
    mlflow.client.set_registered_model_alias(name, "champion", weak)
    third = run_cli(
        capsys,
        "audit",
        "run",
        spec,
        "--target",
        f"{name}@{weak}",
        "--rollback",
        "champion",
        "--db",
        db,
    )
    assert third.exit_code == 0, "without --gate or --promote a failing run exits 0"
    assert "champion: rolled_back" in third.stderr
    assert mlflow.client.get_model_version_by_alias(name, "champion").version == good

    store = open_store(DatabaseChoice(db, "test"))
    try:
        decisions = [e.payload for e in store.ledger.entries(kind="mlflow.alias")]
        runs = AuditLog(store.ledger).runs("promotion")
        assert store.ledger.verify().ok
    finally:
        store.close()
    assert [(d["action"], d["version"]) for d in decisions if d] == [
        ("promoted", good),
        ("refused", good),
        ("rolled_back", good),
        ("rolled_back", good),
    ]
    assert [run.verdict for run in runs] == ["pass", "fail", "fail"]


def test_gates_refuse_bad_targets_before_anything_is_stored(
    mlflow: Mlflow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("credit")
    mlflow.register(name, metrics={"auc": 0.9})
    spec = str(gate_spec(tmp_path, name))
    db = f"sqlite:///{tmp_path / 'assay.db'}"
    uri = ("--tracking-uri", mlflow.uri)
    for target, words in [
        (name, "NAME@VERSION"),
        (f"{name}@99", "has no version 99"),
    ]:
        result = run_cli(
            capsys,
            "audit",
            "run",
            spec,
            "--target",
            target,
            "--promote",
            "champion",
            *uri,
            "--db",
            db,
        )
        assert result.exit_code == 2, result.stderr
        assert words in result.stderr
    no_server = run_cli(
        capsys, "audit", "run", spec, "--target", f"{name}@1", "--promote", "champion", "--db", db
    )
    assert no_server.exit_code == 2
    assert "MLFLOW_TRACKING_URI" in no_server.stderr
    assert not (tmp_path / "assay.db").exists(), "refused before the store was opened"


def test_a_real_mlflow_webhook_runs_the_spec_and_gates_the_alias(
    tmp_path: Path, mlflow: Mlflow
) -> None:
    name = unique("credit")
    spec = yaml.safe_load(gate_spec(tmp_path, name).read_text())
    url = f"sqlite:///{tmp_path / 'assay.db'}"
    tokens = make_tokens(url)
    auditee = {"Authorization": f"Bearer {tokens['auditee']}"}
    environment = {"MLFLOW_TRACKING_URI": mlflow.uri, "ASSAY_MLFLOW_WEBHOOK_SECRET": "s3"}
    with serve_process(url, "--no-scheduler", home=tmp_path, env=environment) as (_, base):
        httpx.post(f"{base}/api/v1/specs", json=spec, headers=auditee).raise_for_status()
        registration = {
            "spec": "promotion",
            "target": f"{name}@0",
            "model": name,
            "mode": "certification",
            "promote": "champion",
        }
        answer = httpx.post(f"{base}/api/v1/targets", json=registration, headers=auditee)
        answer.raise_for_status()
        hook = mlflow.client.create_webhook(
            "assay",
            f"{base}/api/v1/webhooks/mlflow",
            events=["model_version.created"],
            secret="s3",
        )
        try:
            card = {"MODEL_CARD.md": "Intended use: scoring"}
            good = mlflow.register(name, metrics={"auc": 0.9}, files=card)
            wait_for_alias(mlflow, name, "champion", good)
            weak = mlflow.register(name, metrics={"auc": 0.5}, files=card)
            deadline = time.monotonic() + 60
            auditor = {"Authorization": f"Bearer {tokens['auditor']}"}
            while True:
                runs = httpx.get(f"{base}/api/v1/runs", headers=auditor).json()
                if {run["target"] for run in runs} >= {f"{name}@{good}", f"{name}@{weak}"}:
                    break
                assert time.monotonic() < deadline, runs
                time.sleep(0.3)
        finally:  # the module's server outlives this test's assay server
            mlflow.client.delete_webhook(hook.webhook_id)
    assert mlflow.client.get_model_version_by_alias(name, "champion").version == good
    assert mlflow.client.get_model_version(name, weak).tags["assay.verdict"] == "fail"
    verdicts = {run["target"]: run["verdict"] for run in runs}
    assert verdicts == {f"{name}@{good}": "pass", f"{name}@{weak}": "fail"}


def wait_for_alias(mlflow: Mlflow, name: str, alias: str, version: str) -> None:
    from mlflow.exceptions import MlflowException

    deadline = time.monotonic() + 60
    while True:
        try:
            if mlflow.client.get_model_version_by_alias(name, alias).version == version:
                return
        except MlflowException:
            pass
        assert time.monotonic() < deadline, f"{alias} never reached version {version}"
        time.sleep(0.3)


def test_the_source_names_the_version_actually_read() -> None:
    """A version taken from the target is written out in the source (models:/credit/2), as
    reports show it; without a versioned target the source says where it would come from."""
    from assay.collectors.runner import describe_in

    collector, parameters = parse_interface({"kind": "mlflow", "model": "credit", "metric": "auc"})
    read = CollectContext(Path("."), {}, target="credit@2")
    assert describe_in(collector, parameters, read) == "mlflow:models:/credit/2#metric:auc"
    other = CollectContext(Path("."), {}, target="other@1")
    assert describe_in(collector, parameters, other) == (
        "mlflow:models:/credit/<target version>#metric:auc"
    )
    _, aliased = parse_interface(
        {"kind": "mlflow", "model": "credit", "alias": "champion", "metric": "auc"}
    )
    assert describe_in(collector, aliased, read) == "mlflow:models:/credit@champion#metric:auc"
