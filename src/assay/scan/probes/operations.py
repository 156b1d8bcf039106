"""Probes of operations and governance: monitoring, alert rules, dashboards, orchestration,
audit trails, user feedback, code owners and review rules."""

from __future__ import annotations

import re

from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Evidence, Finding, Outcome, found
from assay.scan.probes import MAX_EVIDENCE, probe
from assay.scan.probes.code import calls
from assay.scan.probes.resources import assay_specs, kubernetes_objects
from assay.scan.tree import matching


def _prometheus_rules(ctx: ScanContext) -> list[Evidence]:
    evidence = []
    for path in ctx.with_suffix(".yml", ".yaml"):
        text = ctx.text(path) or ""
        if "groups:" in text and "rules:" in text:
            match = re.search(r"(?m)^\s*-?\s*alert:\s*\S", text)
            if match:
                evidence.append(ctx.evidence(path, text.count("\n", 0, match.start()) + 1))
    return evidence


def _grafana_dashboards(ctx: ScanContext) -> list[Evidence]:
    evidence = []
    for path in ctx.with_suffix(".json"):
        text = ctx.text(path) or ""
        if '"panels"' in text and ('"schemaVersion"' in text or '"dashboard"' in text):
            evidence.append(ctx.evidence(path, None))
    return evidence


def _specs_with_frequency(ctx: ScanContext) -> list[Evidence]:
    evidence = []
    for path, text in assay_specs(ctx):
        match = re.search(r"(?m)^\s*frequency:\s*\S", text)
        if match:
            evidence.append(ctx.evidence(path, text.count("\n", 0, match.start()) + 1))
    return evidence


@probe("monitoring-configured")
def monitoring_configured(ctx: ScanContext) -> Finding:
    """yes when models or data are monitored in production: Evidently reports or monitors,
    Prometheus metrics exported by the service, alert rules, Grafana dashboards, or assay specs
    evaluated on a frequency."""
    evidence, tools = calls(
        ctx,
        {
            "evidently": r"from evidently|import evidently",
            "prometheus": r"from prometheus_client|import prometheus_client",
            "whylogs": r"import whylogs|from whylogs",
            "nannyml": r"import nannyml|from nannyml",
        },
        ("evidently", "prometheus_client", "whylogs", "nannyml"),
    )
    rules = _prometheus_rules(ctx)
    if rules:
        tools.add("prometheus")
    dashboards = _grafana_dashboards(ctx)
    if dashboards:
        tools.add("grafana")
    specs = _specs_with_frequency(ctx)
    if specs:
        tools.add("assay")
    return found(
        "monitoring-configured",
        (evidence + rules + dashboards + specs)[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes=f"monitored with {', '.join(sorted(tools))}",
        absent="no monitoring in this repository (Evidently, Prometheus, Grafana, assay specs "
        "with a frequency); it may be configured elsewhere",
        absent_outcome=Outcome.unknown,
        confidence=Confidence.medium,
    )


@probe("alerting-rules")
def alerting_rules(ctx: ScanContext) -> Finding:
    """yes when Prometheus alert rules or assay SLO files are in the repository."""
    evidence = _prometheus_rules(ctx)
    tools = {"prometheus"} if evidence else set()
    for path in ctx.with_suffix(".yml", ".yaml"):
        text = ctx.text(path) or ""
        if (
            "objectives:" in text
            and ("burn" in text or "target:" in text)
            and "slo" in path.lower()
        ):
            evidence.append(ctx.evidence(path, None))
            tools.add("assay")
    return found(
        "alerting-rules",
        evidence[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes=f"{len(evidence)} alert rule file(s)",
        absent="no alert rules in this repository (they may live with the monitoring stack)",
        absent_outcome=Outcome.unknown,
        confidence=Confidence.medium,
    )


@probe("dashboards")
def dashboards(ctx: ScanContext) -> Finding:
    """yes when dashboards are kept as code (Grafana dashboard JSON)."""
    evidence = _grafana_dashboards(ctx)
    return found(
        "dashboards",
        evidence[:MAX_EVIDENCE],
        tools=["grafana"],
        yes=f"{len(evidence)} Grafana dashboard(s) as code",
        absent="no dashboards kept as code in this repository",
        absent_outcome=Outcome.unknown,
        confidence=Confidence.medium,
    )


_ORCHESTRATION = {
    "airflow": r"from airflow|import airflow",
    "kubeflow": r"from kfp|import kfp",
    "prefect": r"from prefect|import prefect",
    "dagster": r"from dagster|import dagster",
    "metaflow": r"from metaflow|import metaflow",
    "zenml": r"from zenml|import zenml",
}


@probe("orchestration")
def orchestration(ctx: ScanContext) -> Finding:
    """yes when pipelines are orchestrated: Airflow DAGs, Kubeflow pipelines, Argo Workflows,
    Prefect, Dagster, Metaflow or ZenML."""
    evidence, tools = calls(
        ctx, _ORCHESTRATION, ("airflow", "kfp", "prefect", "dagster", "metaflow", "zenml")
    )
    for path, line, api, kind in kubernetes_objects(ctx):
        if "argoproj.io" in api and kind in ("Workflow", "CronWorkflow", "WorkflowTemplate"):
            evidence.append(ctx.evidence(path, line))
            tools.add("argo-workflows")
    return found(
        "orchestration",
        evidence[:MAX_EVIDENCE],
        tools=sorted(tools),
        yes=f"pipelines are orchestrated with {', '.join(sorted(tools))}",
        absent="no pipeline orchestrator found",
    )


@probe("audit-trail")
def audit_trail(ctx: ScanContext) -> Finding:
    """yes when predictions or decisions leave an audit trail: assay specs (a hash-chained
    evidence ledger), OpenTelemetry tracing, or MLflow inference tables."""
    evidence: list[Evidence] = [ctx.evidence(path, 1) for path, _ in assay_specs(ctx)[:2]]
    tools = {"assay"} if evidence else set()
    more, more_tools = calls(
        ctx,
        {
            "opentelemetry": r"from opentelemetry|import opentelemetry",
            "mlflow": r"mlflow\.log_table\(|mlflow\.trace",
        },
        ("opentelemetry", "log_table", "mlflow.trace"),
    )
    return found(
        "audit-trail",
        (evidence + more)[:MAX_EVIDENCE],
        tools=sorted(tools | more_tools),
        yes=f"an audit trail is kept with {', '.join(sorted(tools | more_tools))}",
        absent="no audit trail of predictions or decisions found in this repository",
        absent_outcome=Outcome.unknown,
        confidence=Confidence.low,
    )


@probe("feedback-collected")
def feedback_collected(ctx: ScanContext) -> Finding:
    """yes when code records user feedback or business outcomes for the model (assay
    feedback events, a feedback endpoint, MLflow assessments)."""
    evidence, tools = calls(
        ctx,
        {
            "assay": r"[\"']type[\"']\s*:\s*[\"'](feedback|feature_used)[\"']",
            "mlflow": r"mlflow\.log_feedback\(",
            "http": r"@\w+\.(post|put)\(\s*[\"'][^\"']*feedback",
        },
        ("feedback", "feature_used"),
        raw=True,
    )
    return found(
        "feedback-collected",
        evidence,
        tools=sorted(tools),
        yes="user feedback is recorded",
        absent="no feedback collection in this repository (it may happen in another system)",
        absent_outcome=Outcome.unknown,
        confidence=Confidence.low,
    )


@probe("codeowners")
def codeowners(ctx: ScanContext) -> Finding:
    """yes when a CODEOWNERS file assigns owners to paths."""
    paths = [
        p
        for p in matching(
            ctx.tree, "CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"
        )
        if any(
            line.strip() and not line.lstrip().startswith("#")
            for line in (ctx.text(p) or "").split("\n")
        )
    ]
    return found(
        "codeowners",
        [ctx.evidence(p, None) for p in paths],
        yes="code owners are assigned",
        absent="no CODEOWNERS file with owners",
    )


@probe("review-rules")
def review_rules(ctx: ScanContext) -> Finding:
    """yes when required reviews are declared in the repository (probot settings or GitLab
    approval rules); otherwise unknown: branch protection lives on the forge, not in files."""
    evidence = []
    for path in matching(ctx.tree, ".github/settings.yml", ".github/settings.yaml"):
        text = ctx.text(path) or ""
        match = re.search(r"required_approving_review_count:\s*[1-9]", text)
        if match:
            evidence.append(ctx.evidence(path, text.count("\n", 0, match.start()) + 1))
    for path in matching(ctx.tree, ".gitlab/approval_rules.yml", ".gitlab-approvals.yml"):
        evidence.append(ctx.evidence(path, None))
    return found(
        "review-rules",
        evidence,
        yes="required reviews are declared in the repository",
        absent="branch protection and required reviews are settings of the forge, not files; "
        "the scan cannot see them",
        absent_outcome=Outcome.unknown,
        confidence=Confidence.medium,
    )
