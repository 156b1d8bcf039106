"""The MLflow server probes against a real tracking server: runs tagged with the repository's
commit, datasets, models logged with and without signatures, registered versions with and
without runs and aliases; an unreachable server is unknown, never a pass or a fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.reports.scan_html import scan_html
from assay.services.scan import scan_path
from tests.helpers.mlflow_server import Mlflow, mlflow_server
from tests.helpers.repos import git, make_repo, scan_findings
from tests.helpers.server import free_port

SERVER_PROBES = (
    "mlflow-runs-linked-to-commits",
    "mlflow-registered-models",
    "mlflow-model-aliases",
    "mlflow-versions-linked-to-runs",
    "mlflow-datasets-logged",
    "mlflow-model-signatures",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mlflow]:
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as running:
        yield running


def _outcomes(repo: Path, uri: str) -> dict[str, dict[str, Any]]:
    findings = scan_findings(repo, mlflow_uri=uri)
    return {probe: findings[probe] for probe in SERVER_PROBES}


def _train(commit: str, *, signature: bool, register: str | None) -> str:
    """A run on the server that MLFLOW_TRACKING_URI names (set through monkeypatch, so it does
    not outlive the test: mlflow.set_tracking_uri would leak into every later test)."""
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    target = [0, 1, 0, 1]
    model = LogisticRegression().fit(frame, target)
    with mlflow.start_run(tags={"mlflow.source.git.commit": commit}) as run:
        dataset = mlflow.data.from_pandas(frame, name="train")  # type: ignore[attr-defined]
        mlflow.log_input(dataset, context="training")
        mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(frame, model.predict(frame)) if signature else None,
            registered_model_name=register,
        )
    return str(run.info.run_id)


def test_an_empty_server_then_a_run_without_datasets(server: Mlflow, tmp_path: Path) -> None:
    make_repo(tmp_path / "repo", {"train.py": "print(1)\n"})
    found = _outcomes(tmp_path / "repo", server.uri)
    assert {p: f["outcome"] for p, f in found.items()} == {
        "mlflow-runs-linked-to-commits": "no",
        "mlflow-registered-models": "no",
        "mlflow-model-aliases": "not_applicable",
        "mlflow-versions-linked-to-runs": "not_applicable",
        "mlflow-datasets-logged": "not_applicable",
        "mlflow-model-signatures": "not_applicable",
    }
    experiment = server.client.create_experiment("bare")
    run = server.client.create_run(experiment, tags={"mlflow.source.git.commit": "f" * 40})
    server.client.set_terminated(run.info.run_id)
    found = _outcomes(tmp_path / "repo", server.uri)
    assert found["mlflow-datasets-logged"]["outcome"] == "no"
    linked = found["mlflow-runs-linked-to-commits"]
    assert linked["outcome"] == "no"
    assert "1 name commits of other repositories" in linked["automatic"]["reason"]


def test_a_traceable_registry_then_one_that_is_not(
    server: Mlflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.uri)
    repo = tmp_path / "repo"
    make_repo(repo, {"train.py": "print(1)\n"})
    first = git(repo, "rev-parse", "HEAD")
    (repo / "train.py").write_text("print(2)\n")
    git(repo, "commit", "-qam", "second")
    run_id = _train(first, signature=True, register="churn")
    server.client.set_registered_model_alias("churn", "champion", "1")
    found = _outcomes(repo, server.uri)
    assert {p: f["outcome"] for p, f in found.items() if p != "mlflow-datasets-logged"} == {
        "mlflow-runs-linked-to-commits": "yes",
        "mlflow-registered-models": "yes",
        "mlflow-model-aliases": "yes",
        "mlflow-versions-linked-to-runs": "yes",
        "mlflow-model-signatures": "yes",
    }
    assert found["mlflow-datasets-logged"]["outcome"] == "yes"
    evidence = found["mlflow-runs-linked-to-commits"]["evidence"][0]
    assert evidence["uri"] == f"{server.uri}/api/2.0/mlflow/runs/get?run_id={run_id}"
    assert first in evidence["snippet"]
    assert evidence["read_at"].endswith("Z")
    aliases = found["mlflow-model-aliases"]["evidence"][0]["snippet"]
    assert aliases == "churn: @champion → v1"
    page = scan_html(scan_path(repo, project="fixture", mlflow_uri=server.uri))
    assert f"{server.uri}/api/2.0/mlflow/runs/get?run_id={run_id}" in page

    _train(first, signature=False, register=None)
    server.client.create_registered_model("orphan")
    server.client.create_model_version("orphan", "s3://models/orphan/1")
    found = _outcomes(repo, server.uri)
    assert found["mlflow-model-aliases"]["outcome"] == "no"
    assert "orphan" in found["mlflow-model-aliases"]["automatic"]["reason"]
    assert found["mlflow-versions-linked-to-runs"]["outcome"] == "no"
    assert "orphan v1" in found["mlflow-versions-linked-to-runs"]["automatic"]["reason"]
    assert found["mlflow-model-signatures"]["outcome"] == "no"


def test_an_unreachable_server_is_unknown(tmp_path: Path) -> None:
    make_repo(tmp_path / "repo", {"train.py": "print(1)\n"})
    found = _outcomes(tmp_path / "repo", f"http://127.0.0.1:{free_port()}")
    for finding in found.values():
        assert finding["outcome"] == "unknown"
        assert "could not be read" in finding["automatic"]["reason"]
