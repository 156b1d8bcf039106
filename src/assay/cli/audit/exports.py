"""``assay audit export`` (a stored run as OSCAL, SARIF, JSON or a report) and ``assay audit
export-spec`` (a specification as an OSCAL component definition or assessment plan)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from assay.cli.audit.app import SpecArgument
from assay.cli.common import DbOption, OutputOption, PendingOutputs, announce, existing_store
from assay.errors import InvalidInputError
from assay.reports.audit_json import Audience, for_audience

__all__ = ["export", "export_spec"]


class ExportFormat(StrEnum):
    """What ``assay audit export`` writes."""

    oscal = "oscal"
    sarif = "sarif"
    json = "json"
    markdown = "markdown"
    html = "html"


class SpecExportFormat(StrEnum):
    """What ``assay audit export-spec`` writes."""

    oscal_component = "oscal-component"
    oscal_plan = "oscal-plan"


AudienceOption = Annotated[
    Audience,
    typer.Option(
        help="Who it is for: confidential values read [confidential] for auditors; OSCAL and "
        "SARIF need the engineer or auditor view.",
    ),
]


def export(
    run_id: Annotated[str, typer.Argument(help="The run (its id, or a unique prefix).")],
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="oscal (assessment results; with -o the assessment plan is written beside "
            "them), sarif, json, markdown or html.",
        ),
    ] = ExportFormat.oscal,
    audience: AudienceOption = Audience.auditor,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="With sarif: the spec file whose lines the results point at (default: the "
            "stored spec, located at line 1).",
            dir_okay=False,
            exists=True,
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    output: OutputOption = None,
) -> None:
    """Write a stored run in a format other tools read: the same document as `assay audit run
    -f FORMAT` wrote when it ran, byte for byte for OSCAL."""
    from assay.services.listings import evidence_digests
    from assay.services.registrations import stored_spec
    from assay.services.run_exports import oscal_results, sarif_log
    from assay.store.audit_log import AuditLog

    with existing_store(db) as store:
        run = AuditLog(store.ledger).run(run_id)
        if run is None:
            raise InvalidInputError(
                f"no run {run_id!r} is stored (or the prefix is ambiguous)",
                source="RUN",
                expected="a run id from assay audit history",
            )
        evidence = evidence_digests(store, run)
        try:
            document = stored_spec(store, run.spec.id, run.spec.hash, Path(".")).data
        except InvalidInputError:
            document = None
        texts: list[tuple[Path | None, str]] = []
        if fmt is ExportFormat.oscal:
            results, plan = oscal_results(run, audience, evidence, document)
            texts.append((output, results.text))
            if plan is not None and output is not None:
                texts.append((output.parent / plan.name, plan.text))
        elif fmt is ExportFormat.sarif:
            from assay.cli.audit.run import spec_uri

            text = spec.read_text(encoding="utf-8") if spec is not None else ""
            uri = spec_uri(spec) if spec is not None else f"{run.spec.id}.yaml"
            texts.append((output, sarif_log(run, audience, uri, text)))
        elif fmt is ExportFormat.json:
            texts.append((output, json.dumps(for_audience(run, audience), indent=2) + "\n"))
        else:
            from assay.reports.audit_report import audit_report
            from assay.services.listings import spec_risks

            risks = {}
            if document is not None:
                risks = spec_risks(stored_spec(store, run.spec.id, run.spec.hash, Path(".")))
            shown = evidence if audience is Audience.auditor else []
            model = for_audience(run, audience)
            texts.append(
                (output, audit_report(model, fmt.value, audience, evidence=shown, risks=risks))
            )
    _write(texts)


def _write(texts: list[tuple[Path | None, str]]) -> None:
    with PendingOutputs() as outputs:
        for path, text in texts:
            if path is None:
                typer.echo(text, nl=False)
            else:
                outputs.open(path).write(text)
        outputs.commit()
    for path, _ in texts:
        announce(path)


def export_spec(
    spec: SpecArgument,
    fmt: Annotated[
        SpecExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="oscal-component (an OSCAL component definition) or oscal-plan (an OSCAL "
            "assessment plan).",
        ),
    ] = SpecExportFormat.oscal_component,
    audience: AudienceOption = Audience.auditor,
    output: OutputOption = None,
) -> None:
    """Write a specification as an OSCAL component definition (each requirement an implemented
    requirement, its measurements as properties) or assessment plan."""
    from assay.files.spec import load_spec
    from assay.services.run_exports import detailed_audience, spec_component, spec_plan

    detailed_audience(audience)
    loaded = load_spec(spec)
    make = spec_component if fmt is SpecExportFormat.oscal_component else spec_plan
    _write([(output, make(loaded.data, loaded.hash, audience))])
