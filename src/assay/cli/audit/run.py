"""``assay audit run``: collect, evaluate, store and report; gate CI and MLflow aliases."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Connection

from assay.audit.evaluation import Outcome
from assay.audit.run_model import RunModel
from assay.cli.audit.app import SpecArgument
from assay.cli.common import DbOption, OutputOption, PendingOutputs, announce, store_from_option
from assay.cli.progress import progress
from assay.collectors.runner import Fetched
from assay.errors import EvidenceIncompleteError, GateFailedError
from assay.files.spec import LoadedSpec, load_spec
from assay.names import check_target
from assay.reports.audit_json import Audience, for_audience
from assay.reports.audit_junit import junit_xml
from assay.reports.audit_terminal import run_view
from assay.reports.gate import gate_failures, gate_undecided
from assay.reports.oscal import plan_file_name
from assay.services.audit_runs import RunRecord, report_records, run_audit, target_of
from assay.services.listings import evidence_digests, spec_risks
from assay.services.model_registry import ModelVersion, registered_version, write_back
from assay.services.run_exports import detailed_audience, oscal_results, sarif_log
from assay.store import Store

__all__ = ["RunFormat", "run"]


class RunFormat(StrEnum):
    """How ``assay audit run`` renders its result."""

    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"
    oscal = "oscal"
    sarif = "sarif"


EXPORTS = (RunFormat.oscal, RunFormat.sarif)


def run(
    spec: SpecArgument,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="The system or model evaluated, e.g. credit-model@3 (default: the spec's).",
            show_default=False,
        ),
    ] = None,
    gate: Annotated[
        bool,
        typer.Option(
            "--gate",
            help="Exit 1 when the verdict is fail and 3 when it is error (for CI); without it the "
            "exit code is 0 whenever the run completed.",
        ),
    ] = False,
    fmt: Annotated[
        RunFormat,
        typer.Option(
            "--format",
            "-f",
            help="table, json, markdown, html, oscal (OSCAL assessment results; with -o, the "
            "assessment plan they import is written beside them) or sarif (SARIF 2.1.0 for code "
            "scanning).",
        ),
    ] = RunFormat.table,
    audience: Annotated[
        Audience,
        typer.Option(
            help="Who the report is for: confidential values are hidden from auditor and public "
            "reports; executives and the public see the verdict and dimensions.",
        ),
    ] = Audience.engineer,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="Also write the outcomes as JUnit XML.", dir_okay=False),
    ] = None,
    output: OutputOption = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="How many values to collect at once.")
    ] = 8,
    promote: Annotated[
        str | None,
        typer.Option(
            "--promote",
            help="Move this MLflow alias (e.g. champion) to the audited version NAME@VERSION "
            "only when it passes; a refusal exits 1 as --gate does.",
            show_default=False,
        ),
    ] = None,
    rollback: Annotated[
        str | None,
        typer.Option(
            "--rollback",
            help="When the audited version fails, move this MLflow alias back to the newest "
            "earlier version that passed this spec.",
            show_default=False,
        ),
    ] = None,
    tag_version: Annotated[
        bool,
        typer.Option(
            "--tag-version",
            help="Set assay.verdict, assay.run_id, assay.spec_hash and assay.report on the "
            "audited MLflow model version (implied by --promote and --rollback).",
        ),
    ] = False,
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            "--tracking-uri",
            help="The MLflow tracking server (default: $MLFLOW_TRACKING_URI).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Collect every measurement of a specification, evaluate it, store the run in the evidence
    ledger and report the verdict; with --promote/--rollback, gate an MLflow alias on it."""
    loaded = load_spec(spec)
    audited = check_target(target_of(loaded, target), source="--target")
    registry = None
    if promote or rollback or tag_version:
        registry = registered_version(audited, tracking_uri)
        gate = gate or promote is not None
    terminal = output is None and sys.stdout.isatty()
    risks = spec_risks(loaded)
    shown: list[str] = []
    with PendingOutputs() as outputs:
        # Outputs are opened first and put in place last: a bad path stores nothing, and a run
        # whose reports cannot be written is not stored.
        if fmt in EXPORTS:
            detailed_audience(audience)  # refused before anything runs
        report_stream = outputs.open(output) if output is not None else None
        junit_stream = outputs.open(junit) if junit is not None else None
        plan_path = (
            output.parent / plan_file_name(loaded.spec.id)
            if output is not None and fmt is RunFormat.oscal
            else None
        )
        plan_stream = outputs.open(plan_path) if plan_path is not None else None

        def write_reports(conn: Connection, record: RunRecord) -> None:
            model = for_audience(record.model, audience) if fmt not in EXPORTS else {}
            evidence = (
                evidence_digests(store, record.model, conn)
                if fmt is RunFormat.oscal
                or (audience is Audience.auditor and fmt in (RunFormat.html, RunFormat.markdown))
                else []
            )
            reports: list[tuple[str, str, Path | None]] = []
            if fmt is RunFormat.oscal:
                results, plan = oscal_results(record.model, audience, evidence, loaded.data)
                text = results.text
                if plan is not None and plan_stream is not None:
                    plan_stream.write(plan.text)
                    reports.append(("oscal-plan", plan.text, plan_path))
            elif fmt is RunFormat.sarif:
                text = sarif_log(record.model, audience, spec_uri(spec), loaded_text(loaded))
            else:
                text = _render(
                    model, fmt, audience, terminal=terminal, evidence=evidence, risks=risks
                )
            reports.insert(0, (fmt.value, text, output))
            if report_stream is not None:
                report_stream.write(text)
            else:
                shown.append(text)
            if junit_stream is not None:
                xml = junit_xml(model)
                junit_stream.write(xml)
                reports.append(("junit", xml, junit))
            store.ledger.append_in(conn, report_records(record.model, audience.value, reports))

        with store_from_option(db) as store, _progress() as progress:
            record = run_audit(
                store,
                loaded,
                audited,
                workers=workers,
                on_fetched=progress,
                in_transaction=write_reports,
            )
        outputs.commit()
    for text in shown:
        sys.stdout.write(text)
    for path in (output, junit, plan_path):
        announce(path)
    if registry is not None:
        with store_from_option(db) as store:
            _apply_registry(store, registry, record.model, output, promote, rollback)
    suspended = ", ".join(record.suspended)
    typer.echo(
        f"verdict {record.verdict.value}: run {record.model.run_id}, "
        f"status {record.status.value}"
        + (f"; suspended certificate {suspended}" if suspended else ""),
        err=True,
    )
    if gate:
        _gate(record, str(spec))


def spec_uri(spec: Path) -> str:
    """The spec file as a SARIF artifact URI: relative to the working directory (the
    repository root in CI) where it lies below it, with forward slashes."""
    try:
        return spec.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return spec.resolve().as_uri()


def loaded_text(loaded: LoadedSpec) -> str:
    """The spec file's text, for the lines SARIF points at ('' when it cannot be read)."""
    try:
        return loaded.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _gate(record: RunRecord, spec: str) -> None:
    """The gate's decision as the error hierarchy says it: a failed verdict is
    :class:`GateFailedError` (exit 1), an undecided one :class:`EvidenceIncompleteError` (exit
    3); each names the elements that decided it and why."""
    run_id = record.model.run_id
    if record.verdict is Outcome.failed:
        failed = gate_failures(record.model)
        raise GateFailedError(f"the gate failed: {_listed(failed)} (run {run_id})", source=spec)
    if record.verdict is Outcome.error:
        undecided = gate_undecided(record.model)
        raise EvidenceIncompleteError(
            f"the gate cannot decide: {_listed(undecided)} (run {run_id})", source=spec
        )


def _listed(reasons: list[str], shown: int = 5) -> str:
    more = len(reasons) - shown
    return "; ".join(reasons[:shown]) + (f"; and {more} more" if more > 0 else "")


def _apply_registry(
    store: Store,
    registry: tuple[Any, ModelVersion],
    model: RunModel,
    report: Path | None,
    promote: str | None,
    rollback: str | None,
) -> None:
    client, version = registry
    tags, decisions = write_back(
        store,
        client,
        version,
        model,
        report=str(report) if report else None,
        promote_alias=promote,
        rollback_alias=rollback,
    )
    typer.echo(
        f"tagged {version.target} in MLflow: assay.verdict={tags['assay.verdict']}", err=True
    )
    for decision in decisions:
        where = f"version {decision.version}" if decision.version else "no version"
        typer.echo(
            f"{decision.alias}: {decision.action} ({decision.reason}); now on {where}", err=True
        )


def _render(
    model: dict[str, Any],
    fmt: RunFormat,
    audience: Audience,
    *,
    terminal: bool,
    evidence: list[dict[str, Any]],
    risks: dict[str, dict[str, str]],
) -> str:
    if fmt is RunFormat.json:
        return json.dumps(model, indent=2, ensure_ascii=False) + "\n"
    if fmt is RunFormat.table:
        buffer = io.StringIO()
        console = Console(
            file=buffer, width=None if terminal else 160, force_terminal=terminal, markup=False
        )
        console.print(run_view(model))
        return buffer.getvalue()
    from assay.reports.audit_report import audit_report  # Jinja2: only for reports

    return audit_report(model, fmt.value, audience, evidence=evidence, risks=risks)


@contextmanager
def _progress() -> Iterator[Callable[[Fetched, int], None]]:
    """Collection progress on a terminal: each distinct interface fetched, of how many."""
    with progress() as step:
        fetched_so_far = 0

        def advance(fetched: Fetched, total: int) -> None:
            nonlocal fetched_so_far
            fetched_so_far += 1
            step("collecting", fetched_so_far, total)

        yield advance
