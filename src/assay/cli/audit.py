"""``assay audit``: conformity specifications, audit runs, status and certificates."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy import Connection

from assay.audit.evaluation import Outcome
from assay.audit.spec import Specification, walk
from assay.audit.status import Status
from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    PendingOutputs,
    emit,
    existing_store,
    open_output,
    store_from_option,
)
from assay.collectors.runner import Fetched
from assay.errors import ExitCode, InvalidInputError
from assay.files.spec import load_spec
from assay.names import check_target
from assay.reports.audit_json import Audience, children_of, for_audience, walk_model
from assay.reports.audit_junit import junit_xml
from assay.reports.audit_terminal import OUTCOME_STYLES, run_view
from assay.services import audit_actions
from assay.services.audit_runs import RunRecord, report_records, run_audit, target_of
from assay.services.model_registry import ModelVersion, model_version, registry_client, write_back
from assay.store import Store
from assay.store.audit_log import AuditLog

app = typer.Typer(
    help="Continuous audit-based certification: specifications, runs, gates, reports, status "
    "and certificates.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

SpecArgument = Annotated[
    Path, typer.Argument(help="The specification file (YAML or JSON).", dir_okay=False)
]


@app.command()
def validate(spec: SpecArgument) -> None:
    """Check a specification and list every problem at once (exit 2 when there is one)."""
    loaded = load_spec(spec)
    counts: dict[str, int] = {}
    for _, element in walk(loaded.spec):
        kind = type(element).__name__.lower()
        counts[kind] = counts.get(kind, 0) + 1
    typer.echo(
        f"{spec}: valid — {counts.get('dimension', 0)} dimensions, "
        f"{counts.get('requirement', 0)} requirements, {counts.get('metric', 0)} metrics, "
        f"{counts.get('measurement', 0)} measurements (sha256 {loaded.hash[:12]})"
    )


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file instead of standard output.", dir_okay=False
        ),
    ] = None,
) -> None:
    """Write the JSON Schema of the specification format."""
    document = Specification.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "assay conformity specification"
    with open_output(output) as stream:
        stream.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


STATUS_STYLES = {
    Status.conformant: "green",
    Status.non_conformant: "bold red",
    Status.unknown: "yellow",
    Status.expired: "yellow",
}


class RunFormat(StrEnum):
    """How ``assay audit run`` renders its result."""

    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


@app.command()
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
        RunFormat, typer.Option("--format", "-f", help="table, json, markdown or html.")
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
        registry = _registry_for(audited, tracking_uri)
        gate = gate or promote is not None
    terminal = output is None and sys.stdout.isatty()
    shown: list[str] = []
    with PendingOutputs() as outputs:
        # Outputs are opened first and put in place last: a bad path stores nothing, and a run
        # whose reports cannot be written is not stored.
        report_stream = outputs.open(output) if output is not None else None
        junit_stream = outputs.open(junit) if junit is not None else None

        def write_reports(conn: Connection, record: RunRecord) -> None:
            model = for_audience(record.model, audience)
            text = _render(model, fmt, audience, terminal=terminal)
            reports: list[tuple[str, str, Path | None]] = [(fmt.value, text, output)]
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
    for path in (output, junit):
        if path is not None:
            typer.echo(f"wrote {path}", err=True)
    if registry is not None:
        with store_from_option(db) as store:
            _apply_registry(store, registry, record.model, output, promote, rollback)
    suspended = ", ".join(record.suspended)
    typer.echo(
        f"verdict {record.verdict.value}: run {record.model['run_id']}, "
        f"status {record.status.value}"
        + (f"; suspended certificate {suspended}" if suspended else ""),
        err=True,
    )
    if gate and record.verdict is Outcome.failed:
        raise typer.Exit(ExitCode.GATE_FAILED)
    if gate and record.verdict is Outcome.error:
        raise typer.Exit(ExitCode.EVIDENCE_INCOMPLETE)


def _registry_for(target: str, tracking_uri: str | None) -> tuple[Any, ModelVersion]:
    """The MLflow client and the model version the target names, checked before the run so
    that a bad target or an unknown version stores nothing."""
    version = model_version(target)
    client = registry_client(tracking_uri)
    from mlflow.exceptions import MlflowException

    try:
        client.get_model_version(version.name, version.version)
    except MlflowException as error:
        raise InvalidInputError(
            f"MLflow has no version {version.version} of {version.name}: "
            f"{error.message.strip().splitlines()[0]}",
            source="--target",
            expected="a registered model version NAME@VERSION",
        ) from None
    return client, version


def _apply_registry(
    store: Store,
    registry: tuple[Any, ModelVersion],
    model: dict[str, Any],
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


def _render(model: dict[str, Any], fmt: RunFormat, audience: Audience, *, terminal: bool) -> str:
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

    return audit_report(model, fmt.value, audience)


@contextmanager
def _progress() -> Iterator[Callable[[Fetched, int], None]]:
    """A progress bar on a terminal (standard error); a no-op callback elsewhere."""
    if not sys.stderr.isatty():
        yield lambda fetched, total: None
        return
    columns = (TextColumn("collecting"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("collect", total=None)

        def advance(fetched: Fetched, total: int) -> None:
            bar.update(task, total=total, advance=1)

        yield advance


TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="The target it concerns (default: every target for attestations and waivers, "
        "the spec's target otherwise).",
        show_default=False,
    ),
]
ByOption = Annotated[str, typer.Option("--by", help="Who records it (a name).", show_default=False)]


def _now() -> datetime:
    return datetime.now(UTC)


@app.command()
def attest(
    spec: SpecArgument,
    element: Annotated[str, typer.Argument(help="The id of the element attested.")],
    by: ByOption,
    value: Annotated[
        str,
        typer.Option(
            "--value",
            help="The value (for a measurement) or the verdict pass/fail (for any other element).",
            show_default=False,
        ),
    ],
    expires: Annotated[
        str,
        typer.Option(
            "--expires",
            help="When it stops counting: a duration (P90D) or a date.",
            show_default=False,
        ),
    ],
    evidence: Annotated[
        list[str] | None,
        typer.Option("--evidence", help="A link to the evidence (repeat for several)."),
    ] = None,
    target: TargetOption = None,
    db: DbOption = None,
) -> None:
    """Record what no collector can measure: a person's value or verdict for an element, with
    evidence and an expiry. After the expiry the element is stale."""
    loaded = load_spec(spec)
    with store_from_option(db) as store:
        payload = audit_actions.attest(
            store,
            loaded,
            element,
            by=by,
            value=value,
            evidence=evidence or [],
            expires=expires,
            target=target,
            now=_now(),
        )
    typer.echo(f"attested {element} = {payload['value']!r} by {by}, until {payload['expires']}")


@app.command()
def waive(
    spec: SpecArgument,
    element: Annotated[
        str, typer.Argument(help="The id of the element whose failure is accepted.")
    ],
    by: ByOption,
    justification: Annotated[
        str,
        typer.Option("--justification", help="Why the failure is accepted.", show_default=False),
    ],
    expires: Annotated[
        str,
        typer.Option(
            "--expires", help="Until when: a date or a duration (P30D).", show_default=False
        ),
    ],
    target: TargetOption = None,
    db: DbOption = None,
) -> None:
    """Accept a known failure until a date: it is reported as waived (never as pass) in every
    report, and stops applying by itself when it expires."""
    loaded = load_spec(spec)
    with store_from_option(db) as store:
        payload = audit_actions.waive(
            store,
            loaded,
            element,
            by=by,
            justification=justification,
            expires=expires,
            target=target,
            now=_now(),
        )
    typer.echo(f"waived failures of {element} by {by}, until {payload['expires']}")


@app.command()
def status(
    spec: Annotated[str | None, typer.Option("--spec", help="Only this spec id.")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The conformity status of every (spec, target) that has runs, with its certificates."""
    with existing_store(db) as store:
        rows = [
            row
            for row in audit_actions.current_statuses(store, _now(), record=False)
            if (spec is None or row.spec == spec) and (target is None or row.target == target)
        ]
    table = Table("spec", "target", "status", "why", "certificates")
    for row in rows:
        table.add_row(
            row.spec,
            row.target,
            Text(row.status.value, style=STATUS_STYLES[row.status]),
            row.reason,
            ", ".join(f"{c} ({s})" for c, s in row.certificates.items()),
        )
    if not rows:
        typer.echo("no audit runs recorded yet", err=True)
    emit(output, fmt, [row.to_dict() for row in rows], table)


@app.command()
def certify(
    spec: SpecArgument,
    target: Annotated[
        str, typer.Option("--target", help="The target certified.", show_default=False)
    ],
    valid_for: Annotated[
        str, typer.Option("--valid-for", help="How long it is valid: P90D, or a date.")
    ] = "P90D",
    by: Annotated[str | None, typer.Option("--by", help="Who issues it.")] = None,
    db: DbOption = None,
) -> None:
    """Issue a certificate when the target is conformant (exit 1, nothing issued, when not).
    A later failing run suspends it automatically."""
    loaded = load_spec(spec)
    with store_from_option(db) as store:
        payload = audit_actions.certify(
            store, loaded, target, valid_for=valid_for, by=by, now=_now()
        )
    typer.echo(
        f"issued {payload['certificate']}: {target} conforms to {loaded.spec.id} "
        f"(run {payload['run_id']}), valid until {payload['valid_until']}"
    )


@app.command()
def revoke(
    certificate: Annotated[str, typer.Argument(help="The certificate id (cert-…).")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is revoked.", show_default=False)],
    db: DbOption = None,
) -> None:
    """Revoke a certificate for good, with a reason."""
    with store_from_option(db) as store:
        audit_actions.revoke(store, certificate, reason=reason, now=_now())
    typer.echo(f"revoked {certificate}: {reason}")


@app.command()
def certificates(
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Every certificate with its state: active, suspended, revoked or expired."""
    now = _now()
    with existing_store(db) as store:
        states = AuditLog(store.ledger).certificates()
    rows = [
        {
            "certificate": certificate,
            "spec": state["spec"],
            "target": state["target"],
            "state": audit_actions.certificate_state(state, now),
            "issued": state["at"],
            "valid_until": state["valid_until"],
            "run_id": state["run_id"],
            "events": [
                {k: v for k, v in event.items() if k in ("event", "at", "reason", "run_id", "seq")}
                for event in state["events"]
            ],
        }
        for certificate, state in states.items()
    ]
    table = Table("certificate", "spec", "target", "state", "valid until", "last event")
    for row in rows:
        last = row["events"][-1]
        table.add_row(
            row["certificate"],
            row["spec"],
            row["target"],
            row["state"],
            row["valid_until"][:10],
            f"{last['event']} {last['at'][:19]} {last.get('reason') or ''}".strip(),
        )
    emit(output, fmt, rows, table)


@app.command()
def history(
    spec: Annotated[str, typer.Argument(help="A spec id, or a spec file.")],
    target: Annotated[str | None, typer.Option("--target", help="Only this target.")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """The verdicts of a specification's runs over time."""
    spec_id = _spec_id(spec)
    with existing_store(db) as store:
        runs = AuditLog(store.ledger).runs(spec_id, target)
    rows = []
    for run in runs:
        counts: dict[str, int] = {}
        for kind, node in walk_model({"dimensions": run["dimensions"]}):
            if kind != "spec" and not children_of(node, kind):
                counts[node["outcome"]] = counts.get(node["outcome"], 0) + 1
        rows.append(
            {
                "run_id": run["run_id"],
                "target": run["target"],
                "finished": run["finished"],
                "verdict": run["verdict"],
                "spec_hash": run["spec"]["hash"],
                "outcomes": counts,
                "seq": run["seq"],
            }
        )
    table = Table("finished", "target", "verdict", "outcomes", "run", "spec sha256")
    for row in rows:
        table.add_row(
            row["finished"][:19],
            row["target"],
            Text(row["verdict"], style=OUTCOME_STYLES.get(row["verdict"], "")),
            ", ".join(f"{n} {k}" for k, n in sorted(row["outcomes"].items())),
            row["run_id"],
            row["spec_hash"][:12],
        )
    if not rows:
        typer.echo(f"no runs of {spec_id} recorded", err=True)
    emit(output, fmt, rows, table)


def _spec_id(reference: str) -> str:
    """A spec id given as itself or as a spec file; a reference that looks like a file (a path
    or a YAML/JSON name) must be one."""
    path = Path(reference)
    if path.is_file():
        return load_spec(path).spec.id
    if path.suffix.lower() in (".yaml", ".yml", ".json") or len(path.parts) > 1:
        raise InvalidInputError(
            "no such spec file", source=reference, expected="a spec file, or a spec id"
        )
    if not SPEC_ID.match(reference):
        raise InvalidInputError(
            f"{reference!r} is not a spec id",
            source="SPEC",
            expected="a spec id (lowercase letters, digits, '-', '_', '.') or a spec file",
        )
    return reference


SPEC_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@app.command()
def coverage(
    spec: SpecArgument,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Which test items of the IML4E testing methodology (phases of 001 §5.3) the spec covers
    with automated measurements, and which it does not."""
    from assay.audit.coverage import coverage as compute_coverage
    from assay.catalog.testing import load_methodology
    from assay.collectors import parse_interface
    from assay.probes.catalog import PROBES

    def served(interface: str | dict[str, Any]) -> tuple[str, ...]:
        collector, parameters = parse_interface(interface)
        if collector.kind == "probe":
            return PROBES[parameters.probe].test_items  # type: ignore[attr-defined]
        return ()

    loaded = load_spec(spec)
    methodology = load_methodology()
    rows = compute_coverage(loaded.spec, methodology, served)
    data = {
        "spec": loaded.spec.id,
        "methodology": methodology.id,
        "covered": sum(row.covered for row in rows),
        "items": len(rows),
        "phases": [
            {
                "id": phase.id,
                "name": phase.name,
                "items": [
                    {
                        "id": r.item.id,
                        "name": r.item.name,
                        "covered": r.covered,
                        "measurements": list(r.measurements),
                    }
                    for r in rows
                    if r.phase == phase.id
                ],
            }
            for phase in methodology.phases
        ],
    }
    names = {phase.id: phase.name for phase in methodology.phases}
    table = Table(
        "phase",
        "test item",
        "covered by",
        title=f"{data['covered']} of {len(rows)} test items covered",
    )
    for row in rows:
        table.add_row(
            names[row.phase],
            f"{row.item.name} ({row.item.id})",
            Text(", ".join(row.measurements), style="green")
            if row.covered
            else Text("not covered", style="yellow"),
        )
    emit(output, fmt, data, table)
