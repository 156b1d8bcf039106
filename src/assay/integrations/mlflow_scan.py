"""Reading an MLflow tracking server for the scan over its REST API (no MLflow client needed):
experiments, runs with their tags and dataset inputs, logged models and their signatures,
registered models with aliases and versions. Bounded: at most :data:`MAX_RUNS` runs and
:data:`MAX_SIGNATURES` model files are read; the view says when it was cut short."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from assay.errors import InvalidInputError
from assay.files.documents import parse_document
from assay.scan.mlflow_view import MlflowModel, MlflowModelVersion, MlflowRun, MlflowView

__all__ = ["MAX_RUNS", "read_mlflow", "without_credentials"]

MAX_RUNS = 5_000
MAX_SIGNATURES = 50
PAGE = 1_000


def _client(uri: str, timeout: float) -> httpx.Client:
    headers = {}
    auth = None
    if token := os.environ.get("MLFLOW_TRACKING_TOKEN"):
        headers["Authorization"] = f"Bearer {token}"
    elif (user := os.environ.get("MLFLOW_TRACKING_USERNAME")) and (
        password := os.environ.get("MLFLOW_TRACKING_PASSWORD")
    ):
        auth = httpx.BasicAuth(user, password)
    return httpx.Client(base_url=uri.rstrip("/"), headers=headers, auth=auth, timeout=timeout)


def read_mlflow(uri: str, commits: frozenset[str], *, timeout: float = 30.0) -> MlflowView:
    """What the server at ``uri`` holds. An unreachable server or an error answer gives a view
    with ``error`` set (the server probes then answer unknown), not an exception; a URI that is
    not http(s) is refused as invalid input."""
    if not uri.startswith(("http://", "https://")):
        raise InvalidInputError(
            f"{uri!r} is not an http(s) URI",
            source="--mlflow",
            expected="the URL of an MLflow tracking server, such as http://127.0.0.1:5000",
        )
    read_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    shown = without_credentials(uri)
    try:
        with _client(uri, timeout) as client:
            experiments = _experiments(client)
            runs, truncated = _runs(client, experiments)
            signatures = _signatures(client, experiments)
            runs = [
                MlflowRun(
                    r.run_id,
                    r.experiment_id,
                    r.tags,
                    r.datasets,
                    signatures.get(r.run_id, r.model_signature),
                )
                for r in runs
            ]
            models = _models(client)
    except httpx.HTTPError as error:
        return MlflowView(shown, read_at, error=_describe(error), repository_commits=commits)
    except (ValueError, KeyError, TypeError) as error:
        return MlflowView(
            shown, read_at, error=f"unexpected answer ({error})", repository_commits=commits
        )
    return MlflowView(shown, read_at, tuple(runs), tuple(models), None, truncated, commits)


def without_credentials(uri: str) -> str:
    """``uri`` without a user name or password, as it may be shown in reports and evidence."""
    parts = urlsplit(uri)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code} from {error.request.url.path}"
    # Only the kind of a transport error and the text after any "user:password@".
    return f"{type(error).__name__}: {str(error).split('@')[-1]}"


def _json(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    return data


def _experiments(client: httpx.Client) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        body: dict[str, Any] = {"max_results": PAGE}
        if token:
            body["page_token"] = token
        data = _json(client.post("/api/2.0/mlflow/experiments/search", json=body))
        ids += [str(e["experiment_id"]) for e in data.get("experiments", [])]
        token = data.get("next_page_token")
        if not token or len(ids) >= 10_000:
            return ids


def _runs(client: httpx.Client, experiments: list[str]) -> tuple[list[MlflowRun], bool]:
    runs: list[MlflowRun] = []
    for start in range(0, len(experiments), 100):
        token = None
        while True:
            body: dict[str, Any] = {
                "experiment_ids": experiments[start : start + 100],
                "max_results": PAGE,
            }
            if token:
                body["page_token"] = token
            data = _json(client.post("/api/2.0/mlflow/runs/search", json=body))
            for run in data.get("runs", []):
                tags = {t["key"]: t.get("value", "") for t in run.get("data", {}).get("tags", [])}
                datasets = [
                    d["dataset"].get("name", "")
                    for d in run.get("inputs", {}).get("dataset_inputs", [])
                ]
                runs.append(
                    MlflowRun(
                        run["info"]["run_id"],
                        str(run["info"]["experiment_id"]),
                        tags,
                        tuple(datasets),
                        _history_signature(tags.get("mlflow.log-model.history")),
                    )
                )
                if len(runs) >= MAX_RUNS:
                    return runs, True
            token = data.get("next_page_token")
            if not token:
                break
    return runs, False


def _history_signature(history: str | None) -> bool | None:
    """MLflow 2 records logged models in a run tag; True when each has a signature."""
    if not history:
        return None
    try:
        models = json.loads(history)
    except ValueError:
        return None
    if not isinstance(models, list) or not models:
        return None
    return all(isinstance(m, dict) and bool(m.get("signature")) for m in models)


def _signatures(client: httpx.Client, experiments: list[str]) -> dict[str, bool]:
    """Per run, whether its logged models (MLflow 3) carry a signature, read from MLmodel."""
    found: dict[str, bool] = {}
    try:
        data = _json(
            client.post(
                "/api/2.0/mlflow/logged-models/search",
                json={"experiment_ids": experiments[:100], "max_results": MAX_SIGNATURES},
            )
        )
    except httpx.HTTPStatusError:
        return found  # a server before MLflow 3 has no logged-models endpoint
    for model in data.get("models", [])[:MAX_SIGNATURES]:
        info = model.get("info", {})
        run_id, model_id = info.get("source_run_id"), info.get("model_id")
        if not run_id or not model_id:
            continue
        response = client.get(
            f"/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files",
            params={"artifact_file_path": "MLmodel"},
        )
        if response.status_code != 200:
            continue
        try:
            document = parse_document(response.text, f"{model_id}/MLmodel").data
        except InvalidInputError:
            continue
        signature = document.get("signature") if isinstance(document, dict) else None
        signed = isinstance(signature, dict) and bool(signature.get("inputs"))
        found[run_id] = found.get(run_id, True) and signed
    return found


def _models(client: httpx.Client) -> list[MlflowModel]:
    models: list[MlflowModel] = []
    token = None
    while True:
        params: dict[str, Any] = {"max_results": 100}
        if token:
            params["page_token"] = token
        data = _json(client.get("/api/2.0/mlflow/registered-models/search", params=params))
        for model in data.get("registered_models", []):
            name = model["name"]
            versions = _versions(client, name)
            aliases = {a["alias"]: str(a["version"]) for a in model.get("aliases", [])}
            models.append(MlflowModel(name, aliases, tuple(versions)))
        token = data.get("next_page_token")
        if not token or len(models) >= 1_000:
            return models


def _versions(client: httpx.Client, name: str) -> list[MlflowModelVersion]:
    escaped = name.replace("'", "\\'")
    data = _json(
        client.get(
            "/api/2.0/mlflow/model-versions/search",
            params={"filter": f"name='{escaped}'", "max_results": 1_000},
        )
    )
    return [
        MlflowModelVersion(str(v["version"]), v.get("run_id") or None, v.get("source"))
        for v in data.get("model_versions", [])
    ]
