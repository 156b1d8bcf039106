"""Probes of an MLflow tracking server (with ``--mlflow``): runs linked to this repository's
commits, registered models, aliases, versions linked to runs, logged datasets, signatures.

Without a server every one of them is ``unknown``: the scan did not look, so it does not say.
"""

from __future__ import annotations

from collections.abc import Callable

from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Evidence, Finding, Outcome, server_evidence
from assay.scan.mlflow_view import MlflowView
from assay.scan.probes import MAX_EVIDENCE, probe


def _server(ctx: ScanContext, probe_id: str, answer: Callable[[MlflowView], Finding]) -> Finding:
    view = ctx.mlflow
    if view is None:
        return Finding(
            probe_id, Outcome.unknown, Confidence.high, "no MLflow server was given (--mlflow URI)"
        )
    if view.error is not None:
        return Finding(
            probe_id,
            Outcome.unknown,
            Confidence.high,
            f"the MLflow server could not be read: {view.error}",
        )
    return answer(view)


def _evidence(view: MlflowView, endpoint: str, snippet: str) -> Evidence:
    return server_evidence(f"{view.uri.rstrip('/')}/{endpoint}", view.read_at, snippet)


@probe("mlflow-runs-linked-to-commits")
def mlflow_runs_linked_to_commits(ctx: ScanContext) -> Finding:
    """yes when runs on the server carry a ``mlflow.source.git.commit`` tag naming a commit of
    this repository; no when runs exist but none does."""

    def answer(view: MlflowView) -> Finding:
        probe_id = "mlflow-runs-linked-to-commits"
        if not view.runs:
            return Finding(
                probe_id,
                Outcome.no,
                Confidence.high,
                "the server has no runs",
                (_evidence(view, "api/2.0/mlflow/runs/search", "0 runs"),),
                ("mlflow",),
            )
        commits = view.repository_commits
        linked = [run for run in view.runs if run.tags.get("mlflow.source.git.commit") in commits]
        tagged = [run for run in view.runs if "mlflow.source.git.commit" in run.tags]
        if linked:
            evidence = tuple(
                _evidence(
                    view,
                    f"api/2.0/mlflow/runs/get?run_id={run.run_id}",
                    f"run {run.run_id}: mlflow.source.git.commit="
                    + run.tags["mlflow.source.git.commit"],
                )
                for run in linked[:MAX_EVIDENCE]
            )
            return Finding(
                probe_id,
                Outcome.yes,
                Confidence.high,
                f"{len(linked)} of {len(view.runs)} run(s) name a commit of this repository",
                evidence,
                ("mlflow",),
            )
        reason = f"none of {len(view.runs)} run(s) names a commit of this repository"
        if tagged:
            reason += f" ({len(tagged)} name commits of other repositories)"
        return Finding(probe_id, Outcome.no, Confidence.high, reason, (), ("mlflow",))

    return _server(ctx, "mlflow-runs-linked-to-commits", answer)


@probe("mlflow-registered-models")
def mlflow_registered_models(ctx: ScanContext) -> Finding:
    """yes when the server's registry holds at least one model with a version."""

    def answer(view: MlflowView) -> Finding:
        with_versions = [model for model in view.models if model.versions]
        if not with_versions:
            return Finding(
                "mlflow-registered-models",
                Outcome.no,
                Confidence.high,
                "the registry holds no model version",
                (),
                ("mlflow",),
            )
        evidence = tuple(
            _evidence(
                view,
                f"api/2.0/mlflow/registered-models/get?name={model.name}",
                f"{model.name}: {len(model.versions)} version(s)",
            )
            for model in with_versions[:MAX_EVIDENCE]
        )
        return Finding(
            "mlflow-registered-models",
            Outcome.yes,
            Confidence.high,
            f"{len(with_versions)} registered model(s) with versions",
            evidence,
            ("mlflow",),
        )

    return _server(ctx, "mlflow-registered-models", answer)


def _every(
    probe_id: str,
    lacking: list[str],
    total: int,
    evidence: tuple[Evidence, ...],
    *,
    have_not: str,
    have: str,
    name_them: bool = True,
) -> Finding:
    """no, naming up to five that lack it, when any of ``total`` lacks the property; else yes."""
    if lacking:
        named = f": {', '.join(lacking[:5])}" if name_them else ""
        reason = f"{len(lacking)} of {total} {have_not}{named}"
        return Finding(probe_id, Outcome.no, Confidence.high, reason, evidence, ("mlflow",))
    reason = f"all {total} {have}"
    return Finding(probe_id, Outcome.yes, Confidence.high, reason, evidence, ("mlflow",))


def _registry_probe(
    ctx: ScanContext, probe_id: str, check: Callable[[MlflowView], Finding]
) -> Finding:
    def answer(view: MlflowView) -> Finding:
        if not any(model.versions for model in view.models):
            return Finding(
                probe_id,
                Outcome.not_applicable,
                Confidence.high,
                "the registry holds no model version",
            )
        return check(view)

    return _server(ctx, probe_id, answer)


@probe("mlflow-model-aliases")
def mlflow_model_aliases(ctx: ScanContext) -> Finding:
    """yes when every registered model with versions has at least one alias (such as
    ``champion``), so deployments name what they serve."""

    def check(view: MlflowView) -> Finding:
        models = [m for m in view.models if m.versions]
        without = [m.name for m in models if not m.aliases]
        evidence = tuple(
            _evidence(
                view,
                f"api/2.0/mlflow/registered-models/get?name={m.name}",
                f"{m.name}: " + ", ".join(f"@{a} → v{v}" for a, v in sorted(m.aliases.items())),
            )
            for m in models
            if m.aliases
        )[:MAX_EVIDENCE]
        return _every(
            "mlflow-model-aliases",
            without,
            len(models),
            evidence,
            have_not="model(s) have no alias",
            have="model(s) have aliases",
        )

    return _registry_probe(ctx, "mlflow-model-aliases", check)


@probe("mlflow-versions-linked-to-runs")
def mlflow_versions_linked_to_runs(ctx: ScanContext) -> Finding:
    """yes when every registered model version names the run that produced it."""

    def check(view: MlflowView) -> Finding:
        versions = [(m.name, v) for m in view.models for v in m.versions]
        unlinked = [f"{name} v{v.version}" for name, v in versions if not v.run_id]
        evidence = tuple(
            _evidence(
                view,
                f"api/2.0/mlflow/model-versions/get?name={name}&version={v.version}",
                f"{name} v{v.version}: run {v.run_id}",
            )
            for name, v in versions
            if v.run_id
        )[:MAX_EVIDENCE]
        return _every(
            "mlflow-versions-linked-to-runs",
            unlinked,
            len(versions),
            evidence,
            have_not="version(s) name no run",
            have="version(s) name their run",
        )

    return _registry_probe(ctx, "mlflow-versions-linked-to-runs", check)


@probe("mlflow-datasets-logged")
def mlflow_datasets_logged(ctx: ScanContext) -> Finding:
    """yes when runs log the datasets they used as inputs (``mlflow.log_input``)."""

    def answer(view: MlflowView) -> Finding:
        if not view.runs:
            return Finding(
                "mlflow-datasets-logged",
                Outcome.not_applicable,
                Confidence.high,
                "the server has no runs",
            )
        with_data = [run for run in view.runs if run.datasets]
        if not with_data:
            return Finding(
                "mlflow-datasets-logged",
                Outcome.no,
                Confidence.high,
                f"none of {len(view.runs)} run(s) logs an input dataset",
                (),
                ("mlflow",),
            )
        evidence = tuple(
            _evidence(
                view,
                f"api/2.0/mlflow/runs/get?run_id={run.run_id}",
                f"run {run.run_id}: datasets {', '.join(run.datasets[:3])}",
            )
            for run in with_data[:MAX_EVIDENCE]
        )
        return Finding(
            "mlflow-datasets-logged",
            Outcome.yes,
            Confidence.high,
            f"{len(with_data)} of {len(view.runs)} run(s) log input datasets",
            evidence,
            ("mlflow",),
        )

    return _server(ctx, "mlflow-datasets-logged", answer)


@probe("mlflow-model-signatures")
def mlflow_model_signatures(ctx: ScanContext) -> Finding:
    """yes when every model logged from a run carries an input signature; not applicable when
    no run logged a model."""

    def answer(view: MlflowView) -> Finding:
        logged = [run for run in view.runs if run.model_signature is not None]
        if not logged:
            return Finding(
                "mlflow-model-signatures",
                Outcome.not_applicable,
                Confidence.medium,
                "no run logged a model",
            )
        unsigned = [run.run_id for run in logged if not run.model_signature]
        evidence = tuple(
            _evidence(
                view,
                f"api/2.0/mlflow/runs/get?run_id={run.run_id}",
                f"run {run.run_id}: model signature "
                + ("present" if run.model_signature else "missing"),
            )
            for run in logged[:MAX_EVIDENCE]
        )
        return _every(
            "mlflow-model-signatures",
            unsigned,
            len(logged),
            evidence,
            have_not="logged model(s) have no signature",
            have="logged model(s) have signatures",
            name_them=False,
        )

    return _server(ctx, "mlflow-model-signatures", answer)
