"""Probes of CI: is there any, and does it run tests, linters, type checks, security scans
and assay gates (following the task runners it calls)."""

from __future__ import annotations

from assay.scan.classify import CheckKind
from assay.scan.context import ScanContext
from assay.scan.findings import Confidence, Finding, Outcome
from assay.scan.probes import MAX_EVIDENCE, probe


@probe("ci-configured")
def ci_configured(ctx: ScanContext) -> Finding:
    """yes when an enabled CI job exists; no when none (disabled jobs named in the reason)."""
    enabled = [job for job in ctx.jobs if job.enabled]
    if enabled:
        systems = sorted({job.system for job in enabled})
        evidence = [ctx.evidence(job.path, job.line) for job in enabled[:MAX_EVIDENCE]]
        return Finding(
            "ci-configured",
            Outcome.yes,
            Confidence.high,
            f"{len(enabled)} enabled CI job(s) on {', '.join(systems)}",
            tuple(evidence),
            tuple(systems),
        )
    disabled = [job for job in ctx.jobs if not job.enabled]
    reason = (
        "no CI configuration found (GitHub Actions, GitLab CI, Jenkins, Azure Pipelines, CircleCI)"
    )
    if disabled:
        first = disabled[0]
        reason = f"every CI job is disabled: {first.path} {first.name}: {first.disabled_reason}"
    return Finding(
        "ci-configured",
        Outcome.no,
        Confidence.high,
        reason,
        tuple(ctx.evidence(job.path, job.line) for job in disabled[:MAX_EVIDENCE]),
    )


def _ci_runs(ctx: ScanContext, probe_id: str, kind: CheckKind, what: str) -> Finding:
    if not any(job.enabled for job in ctx.jobs):
        return Finding(probe_id, Outcome.not_applicable, Confidence.high, "no enabled CI job")
    checks = ctx.checks_of(kind)
    if not checks:
        return Finding(
            probe_id,
            Outcome.no,
            Confidence.medium,
            f"no enabled CI job runs {what}, directly or through make, invoke, nox, tox or "
            "project scripts",
        )
    evidence = []
    for check in checks[:MAX_EVIDENCE]:
        evidence += ctx.chain_evidence(check)
    tools = sorted({check.tool for check in checks})
    jobs = sorted({f"{check.job.path}:{check.job.name}" for check in checks})
    return Finding(
        probe_id,
        Outcome.yes,
        Confidence.high,
        f"{what} run by {len(jobs)} CI job(s) ({', '.join(tools)})",
        tuple(dict.fromkeys(evidence)),
        tuple(tools),
    )


@probe("ci-runs-tests")
def ci_runs_tests(ctx: ScanContext) -> Finding:
    """yes when an enabled CI job runs a test runner (directly or via a task runner)."""
    return _ci_runs(ctx, "ci-runs-tests", CheckKind.test, "tests")


@probe("ci-runs-lint")
def ci_runs_lint(ctx: ScanContext) -> Finding:
    """yes when an enabled CI job runs a linter or a formatter in check mode."""
    return _ci_runs(ctx, "ci-runs-lint", CheckKind.lint, "linters")


@probe("ci-runs-type-check")
def ci_runs_type_check(ctx: ScanContext) -> Finding:
    """yes when an enabled CI job runs a type checker."""
    return _ci_runs(ctx, "ci-runs-type-check", CheckKind.type_check, "type checks")


@probe("ci-runs-security-scan")
def ci_runs_security_scan(ctx: ScanContext) -> Finding:
    """yes when an enabled CI job runs a vulnerability, code or secret scanner."""
    return _ci_runs(ctx, "ci-runs-security-scan", CheckKind.security_scan, "security scans")


@probe("assay-gate-in-ci")
def assay_gate_in_ci(ctx: ScanContext) -> Finding:
    """yes when an enabled CI job runs ``assay audit run … --gate``."""
    return _ci_runs(ctx, "assay-gate-in-ci", CheckKind.assay_gate, "assay audit gates")
