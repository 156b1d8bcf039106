"""The audit part of ``assay demo``: the example credit-model specification run on a champion
model that conforms and is certified, then on a biased candidate that fails the fairness gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

from rich.console import Console

from assay import audit_actions
from assay.audit_runs import RunRecord, record_reports, run_audit
from assay.files.spec import load_spec
from assay.reports.audit_json import Audience, for_audience
from assay.reports.audit_report import audit_report
from assay.store import Store

__all__ = ["AUDIT_EXAMPLE", "AuditDemo", "audit_step"]

AUDIT_EXAMPLE = "credit-model"
CHAMPION, CANDIDATE = "credit-model@1", "credit-model@2"


@dataclass
class AuditDemo:
    """What the audit step produced: the two runs, the certificate and the report files."""

    champion: RunRecord
    candidate: RunRecord
    certificate: str
    reports: list[Path] = field(default_factory=list)

    @property
    def as_expected(self) -> bool:
        """The champion passed and was certified; the candidate failed and suspended nothing
        of the champion's."""
        return (
            self.champion.verdict.value == "pass"
            and self.candidate.verdict.value == "fail"
            and not self.candidate.suspended
        )


def _copy_example(directory: Path) -> Path:
    project = directory / AUDIT_EXAMPLE
    project.mkdir(parents=True, exist_ok=True)
    for item in files("assay").joinpath("examples", "audit", AUDIT_EXAMPLE).iterdir():
        if item.is_file():
            (project / item.name).write_bytes(item.read_bytes())
    return project


def _write_reports(store: Store, record: RunRecord, stem: Path) -> list[Path]:
    written = []
    for audience in (Audience.executive, Audience.auditor):
        path = stem.with_name(f"{stem.name}-{audience.value}.html")
        text = audit_report(for_audience(record.model, audience), "html", audience)
        path.write_text(text, encoding="utf-8")
        record_reports(store, record.model, audience.value, [("html", text, path)])
        written.append(path)
    return written


def audit_step(store: Store, directory: Path, console: Console, program: str) -> AuditDemo:
    """Step 3 of the demo (see the module docstring); prints what it does."""
    project = _copy_example(directory)
    spec_path = project / "spec.yaml"
    loaded = load_spec(spec_path)
    console.print(
        f"3. Continuous audit: the example specification {spec_path} "
        f"({len(loaded.spec.dimensions)} dimensions)"
    )
    now = datetime.now(UTC)
    audit_actions.attest(
        store,
        loaded,
        "risk-assessment",
        by="Compliance office",
        value="pass",
        evidence=["https://intranet.example/risk/credit-model"],
        expires="P180D",
        target=None,
        now=now,
    )
    console.print("   the compliance office attests the risk assessment (valid 180 days)")
    champion = run_audit(store, loaded, CHAMPION, environ={})
    console.print(
        f"   {CHAMPION}: verdict [bold]{champion.verdict.value}[/], status "
        f"{champion.status.value} (run {champion.model['run_id']})"
    )
    issued = audit_actions.certify(
        store, loaded, CHAMPION, valid_for="P90D", by="Demo certification body", now=now
    )
    console.print(f"   certificate {issued['certificate']} issued to {CHAMPION}")
    reports = _write_reports(store, champion, directory / "audit-champion")

    (project / "evaluation.json").write_bytes((project / "evaluation-candidate.json").read_bytes())
    candidate = run_audit(store, loaded, CANDIDATE, environ={})
    failing = [d["id"] for d in candidate.model["dimensions"] if d["outcome"] == "fail"]
    console.print(
        f"   {CANDIDATE}: verdict [bold red]{candidate.verdict.value}[/] "
        f"(failing: {', '.join(failing)}); with --gate CI would stop here (exit 1)"
    )
    reports += _write_reports(store, candidate, directory / "audit-candidate")
    console.print("   reports: " + ", ".join(path.name for path in reports))
    console.print(
        f"   (yours: {program} audit run {spec_path} --target NAME --gate --junit junit.xml)"
    )
    return AuditDemo(champion, candidate, issued["certificate"], reports)
