"""The audit part of ``assay demo``: two versions of a credit-scoring model trained on seeded
synthetic data, logged and registered in a local MLflow store, each audited against the
example specification ``credit-scoring``; the promotion gate moves ``champion`` to the fair
version and refuses the biased one, and the rollback gate takes ``production`` back from it."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from assay.audit.spec import json_schema
from assay.demo.data import CreditData, TrainedModel, make_credit_data, train_models
from assay.files.spec import LoadedSpec, load_spec
from assay.reports.audit_json import Audience, for_audience
from assay.reports.audit_report import audit_report
from assay.services import audit_actions
from assay.services.audit_runs import RunRecord, record_reports, run_audit
from assay.services.model_registry import GateDecision, ModelVersion, registry_client, write_back
from assay.store import Store

__all__ = ["AUDIT_EXAMPLE", "MODEL", "AuditDemo", "audit_step"]

AUDIT_EXAMPLE = MODEL = "credit-scoring"
SCHEMA_MODELINE = "# yaml-language-server: $schema="
PREDICTIONS = Path("evaluation") / "predictions.csv"


@dataclass
class AuditDemo:
    """What the audit steps produced: the two runs, the alias decisions, the certificate, the
    report files and the local MLflow store."""

    good: RunRecord
    biased: RunRecord
    decisions: list[GateDecision]
    certificate: str
    tracking_uri: str
    reports: list[Path] = field(default_factory=list)

    @property
    def as_expected(self) -> bool:
        """The fair version passed and became champion; the biased one failed on fairness
        alone, was refused as champion, and production went back to the fair version."""
        failing = {d.id for d in self.biased.model.dimensions if d.outcome == "fail"}
        actions = [(d.action, d.alias, d.version) for d in self.decisions]
        good_version = self.good.model.target.rpartition("@")[2]
        return (
            self.good.verdict.value == "pass"
            and self.biased.verdict.value == "fail"
            and failing == {"fairness"}
            and actions
            == [
                ("promoted", "champion", good_version),
                ("refused", "champion", good_version),
                ("rolled_back", "production", good_version),
            ]
        )


def _copy_example(directory: Path) -> Path:
    project = directory / AUDIT_EXAMPLE
    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    for item in files("assay").joinpath("examples", "audit", AUDIT_EXAMPLE).iterdir():
        if item.is_file():
            (project / item.name).write_bytes(item.read_bytes())
    # The copy names a schema beside it, so an editor opened on the demo's spec completes it.
    spec = project / "spec.yaml"
    first, rest = spec.read_text(encoding="utf-8").split("\n", 1)
    if first.startswith(SCHEMA_MODELINE):
        spec.write_text(f"{SCHEMA_MODELINE}spec.schema.json\n{rest}", encoding="utf-8")
        (project / "spec.schema.json").write_text(json.dumps(json_schema(), indent=2) + "\n")
    return project


def _write_csv(columns: dict[str, np.ndarray], path: Path) -> None:
    import pyarrow as pa
    from pyarrow import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({name: pa.array(values, from_pandas=True) for name, values in columns.items()})
    csv.write_csv(table, path)


def _write_data(data: CreditData, project: Path) -> None:
    _write_csv(data.training, project / "data" / "training.csv")
    _write_csv(data.production, project / "data" / "production.csv")


def _local_mlflow(directory: Path) -> tuple[Any, str]:
    """A fresh MLflow store in ``directory/mlflow`` (SQLite, artifacts on disk): no server."""
    import mlflow  # noqa: F401 - configures its loggers on import; quieted below

    # MLflow and its migrations log each step at INFO; the demo says what happens itself.
    for name in ("alembic", "mlflow"):
        logging.getLogger(name).setLevel(logging.WARNING)
    root = directory / "mlflow"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = registry_client(uri)
    client.create_experiment(MODEL, artifact_location=(root / "artifacts").as_uri())
    return client, uri


def _log_and_register(client: Any, trained: TrainedModel, project: Path) -> str:
    """Log the version's run (parameters, holdout metrics, model card, predictions, model)
    and register it; returns the version number."""
    import joblib

    experiment = client.get_experiment_by_name(MODEL).experiment_id
    run = client.create_run(experiment, run_name=f"{MODEL}-{trained.name}")
    run_id = run.info.run_id
    client.log_param(run_id, "features", ",".join(trained.features))
    client.log_param(run_id, "algorithm", "logistic regression")
    for key, value in trained.metrics.items():
        client.log_metric(run_id, key, value)
    with tempfile.TemporaryDirectory(prefix="assay-demo-") as scratch:
        folder = Path(scratch)
        client.log_artifact(run_id, str(project / "MODEL_CARD.md"))
        _write_csv(trained.predictions, folder / PREDICTIONS)
        client.log_artifact(run_id, str(folder / PREDICTIONS), str(PREDICTIONS.parent))
        joblib.dump(trained.model, folder / "model.joblib")
        client.log_artifact(run_id, str(folder / "model.joblib"), "model")
    client.set_terminated(run_id)
    if not client.search_registered_models(f"name = '{MODEL}'"):
        client.create_registered_model(MODEL)
    version = client.create_model_version(MODEL, f"{run.info.artifact_uri}/model", run_id=run_id)
    return str(version.version)


def _fetch_predictions(client: Any, version: str, project: Path) -> None:
    """What a release pipeline does before the audit: fetch the version's holdout predictions
    from its MLflow run, for assay's fairness probes."""
    run_id = client.get_model_version(MODEL, version).run_id
    with tempfile.TemporaryDirectory(prefix="assay-demo-") as scratch:
        local = client.download_artifacts(run_id, str(PREDICTIONS), scratch)
        (project / PREDICTIONS).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, project / PREDICTIONS)


def _write_reports(store: Store, record: RunRecord, stem: Path) -> list[Path]:
    written = []
    for audience in (Audience.executive, Audience.auditor):
        path = stem.with_name(f"{stem.name}-{audience.value}.html")
        text = audit_report(for_audience(record.model, audience), "html", audience)
        path.write_text(text, encoding="utf-8")
        record_reports(store, record.model, audience.value, [("html", text, path)])
        written.append(path)
    return written


def _audit(
    store: Store,
    loaded: LoadedSpec,
    client: Any,
    uri: str,
    version: ModelVersion,
    report_stem: Path,
    *,
    promote: str,
    rollback: str | None = None,
) -> tuple[RunRecord, list[GateDecision], list[Path]]:
    _fetch_predictions(client, version.version, loaded.base_dir)
    record = run_audit(store, loaded, version.target, environ={"MLFLOW_TRACKING_URI": uri})
    reports = _write_reports(store, record, report_stem)
    _, decisions = write_back(
        store,
        client,
        version,
        record.model,
        report=str(reports[-1]),
        promote_alias=promote,
        rollback_alias=rollback,
    )
    return record, decisions, reports


def _show_run(console: Console, record: RunRecord) -> None:
    outcomes = ", ".join(f"{d.id} {d.outcome}" for d in record.model.dimensions)
    style = "bold green" if record.verdict.value == "pass" else "bold red"
    console.print(
        f"   {record.model.target}: verdict [{style}]{record.verdict.value}[/] ({outcomes}); "
        f"run {record.model.run_id}"
    )


def _show_decision(console: Console, decision: GateDecision) -> None:
    console.print(f"   {decision.alias}: {decision.action} — {decision.reason}")


def data_step(directory: Path, console: Console) -> tuple[Path, TrainedModel, TrainedModel]:
    """Step 3: the data sets and the two trained versions."""
    project = _copy_example(directory)
    data = make_credit_data()
    _write_data(data, project)
    console.print(
        f"   {len(data.training['repaid'])} training, {len(data.holdout['repaid'])} holdout and "
        f"{len(data.production['repaid'])} production applicants (seeded) in {project / 'data'}"
    )
    fair, biased = train_models(data)
    for trained in (fair, biased):
        console.print(
            f"   {trained.name} model: accuracy {trained.metrics['accuracy']:.3f}, "
            f"ROC AUC {trained.metrics['roc_auc']:.3f} on the holdout set"
        )
    return project, fair, biased


def registry_step(
    directory: Path, console: Console, project: Path, models: tuple[TrainedModel, ...]
) -> tuple[Any, str, list[ModelVersion]]:
    """Step 4: a local MLflow store, each model logged and registered as a version."""
    client, uri = _local_mlflow(directory)
    versions = []
    for trained in models:
        number = _log_and_register(client, trained, project)
        versions.append(ModelVersion(MODEL, number))
        console.print(f"   {trained.name} model → registered as {MODEL} version {number}")
    console.print(f"   tracking store: {uri}")
    return client, uri, versions


def audit_step(
    store: Store,
    directory: Path,
    console: Console,
    program: str,
    project: Path,
    registry: tuple[Any, str, list[ModelVersion]],
) -> AuditDemo:
    """Step 5: each version audited, gated and reported; the fair one certified."""
    client, uri, (good, bad) = registry
    spec_path = project / "spec.yaml"
    loaded = load_spec(spec_path)
    console.print(
        f"   specification {spec_path} ({len(loaded.spec.dimensions)} dimensions: "
        + ", ".join(d.name.lower() for d in loaded.spec.dimensions)
        + ")"
    )
    good_run, decisions, reports = _audit(
        store, loaded, client, uri, good, directory / "audit-champion", promote="champion"
    )
    _show_run(console, good_run)
    _show_decision(console, decisions[0])
    issued = audit_actions.certify(
        store,
        loaded,
        good.target,
        valid_for="P90D",
        by="Demo certification body",
        now=datetime.now(UTC),
    )
    console.print(f"   certificate {issued['certificate']} issued to {good.target}")
    client.set_registered_model_alias(MODEL, "production", bad.version)
    console.print(
        f"   the deployment pipeline has already pointed production at version {bad.version} "
        "(deploy first, audit after)"
    )
    bad_run, more, bad_reports = _audit(
        store,
        loaded,
        client,
        uri,
        bad,
        directory / "audit-candidate",
        promote="champion",
        rollback="production",
    )
    _show_run(console, bad_run)
    for decision in more:
        _show_decision(console, decision)
    tags = client.get_model_version(MODEL, bad.version).tags
    console.print(
        f"   MLflow shows on version {bad.version}: assay.verdict={tags['assay.verdict']}"
    )
    console.print(
        f"   (yours: {program} audit run SPEC --target {MODEL}@N --promote champion "
        "--rollback production --tracking-uri URI)"
    )
    return AuditDemo(
        good_run, bad_run, decisions + more, issued["certificate"], uri, reports + bad_reports
    )
