"""A real MLflow tracking server on 127.0.0.1 (SQLite backend store, local artifact root), and
model versions registered in it the way a training pipeline would."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.server import started_on_free_port, stop

MLFLOW = Path(sys.executable).parent / "mlflow"


@dataclass
class Mlflow:
    """A running tracking server and a client for it."""

    uri: str
    client: Any

    def register(
        self,
        name: str,
        *,
        metrics: dict[str, float],
        params: dict[str, str] | None = None,
        files: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Log a run with ``metrics``, ``params``, ``tags`` and artifact ``files`` (path → text),
        register it as a new version of ``name``, and return the version number."""
        experiment = self.client.get_experiment_by_name("assay-tests")
        experiment_id = (
            experiment.experiment_id if experiment else self.client.create_experiment("assay-tests")
        )
        run = self.client.create_run(experiment_id, tags=tags or {})
        run_id = run.info.run_id
        for key, number in metrics.items():
            self.client.log_metric(run_id, key, number)
        for key, text in (params or {}).items():
            self.client.log_param(run_id, key, text)
        with tempfile.TemporaryDirectory() as scratch:
            for relative, content in (files or {}).items():
                path = Path(scratch) / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content, encoding="utf-8")
                folder = str(Path(relative).parent)
                self.client.log_artifact(run_id, str(path), None if folder == "." else folder)
        self.client.set_terminated(run_id)
        from mlflow.exceptions import MlflowException

        with contextlib.suppress(MlflowException):  # registered by an earlier version
            self.client.create_registered_model(name)
        version = self.client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        return str(version.version)


@contextmanager
def mlflow_server(directory: Path, env: dict[str, str] | None = None) -> Iterator[Mlflow]:
    """``mlflow server`` with its stores in ``directory`` (and ``env`` added to its
    environment), once it answers; stopped after. MLflow cannot be asked to pick a free port
    itself, so a port taken by another process between the choice and the bind is met by
    starting again on another."""
    process, uri = started_on_free_port(
        lambda port: _start(directory, port, env), "/health", seconds=120
    )
    try:
        from mlflow.tracking import MlflowClient

        yield Mlflow(uri, MlflowClient(tracking_uri=uri, registry_uri=uri))
    finally:
        stop(process)


def _start(directory: Path, port: int, env: dict[str, str] | None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(MLFLOW),
            "server",
            "--backend-store-uri",
            f"sqlite:///{directory / 'mlflow.db'}",
            "--default-artifact-root",
            str(directory / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def evaluation(accuracy: float, parity: float) -> str:
    """An evaluation.json artifact."""
    return json.dumps({"holdout": {"accuracy": accuracy}, "fairness": {"parity_ratio": parity}})
