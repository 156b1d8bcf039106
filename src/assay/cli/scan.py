"""``assay scan``: read a repository (and an MLflow server) for evidence of MLOps practice.

``assay scan [PATH]`` is ``assay scan run [PATH]``; ``override``, ``overrides`` and ``probes``
are the other commands of the group.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from assay.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    announce,
    emit,
    existing_store,
    open_output,
    store_from_option,
)
from assay.errors import InvalidInputError
from assay.names import check_name
from assay.store.config import DEFAULT_DATABASE_FILENAME, choose_database

__all__ = ["app"]


class _RunByDefault(TyperGroup):
    """A group whose first argument, when it is not a command, is the ``run`` command's."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        elif not args:
            args = ["run"]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    help="Scan a repository (and an MLflow server) for evidence of MLOps practice: "
    "`assay scan [PATH]`.",
    rich_markup_mode="markdown",
)


class ScanFormat(StrEnum):
    """How ``assay scan`` renders its result."""

    table = "table"
    json = "json"
    sarif = "sarif"
    html = "html"


class FrameworkChoice(StrEnum):
    """The frameworks a scan can pre-fill."""

    iml4e = "iml4e"
    marvelous = "marvelous"
    ml_test_score = "ml-test-score"


ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="The project the scan (and its overrides) belong to; default: the directory's name.",
        show_default=False,
    ),
]


@contextmanager
def _store_if_any(db: str | None) -> Any:
    """The store to read overrides from: the one chosen, if it exists (a missing default store
    means no overrides were ever recorded)."""
    choice = choose_database(db)
    default = choice.default_home
    if default is not None and not (default / DEFAULT_DATABASE_FILENAME).is_file():
        yield None
        return
    with existing_store(db) as store:
        yield store


@app.command()
def run(
    path: Annotated[
        Path, typer.Argument(help="The repository to scan (default: the current directory).")
    ] = Path("."),
    mlflow: Annotated[
        str | None,
        typer.Option(
            "--mlflow",
            help="Also read this MLflow tracking server (http(s) URL). Without it the scan "
            "makes no network request.",
            show_default=False,
        ),
    ] = None,
    framework: Annotated[
        FrameworkChoice | None,
        typer.Option(
            "--framework",
            help="Pre-fill only this framework (default: iml4e, marvelous and ml-test-score).",
            show_default=False,
        ),
    ] = None,
    project: ProjectOption = None,
    round_label: Annotated[
        str | None,
        typer.Option(
            "--round",
            help="Save the scan as this maturity round of --project (iml4e, or the --framework "
            "given), so `assay maturity history` shows it beside answered rounds.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    fmt: Annotated[
        ScanFormat,
        typer.Option(
            "--format",
            "-f",
            help="table for people, json for machines, sarif for code scanning, html for a "
            "self-contained report with the capability map.",
        ),
    ] = ScanFormat.table,
    output: OutputOption = None,
) -> None:
    """Scan a repository: every probe answers yes, no, unknown or not_applicable, with
    content-addressed evidence; the frameworks are pre-filled and the capabilities mapped."""
    from assay.services.scan import (
        FRAMEWORK_IDS,
        default_project,
        overrides_of,
        save_round_of_scan,
        scan_path,
    )

    name = project or default_project(path)
    if project is not None:
        check_name(project, source="--project", what="project name")
    frameworks = (framework.value,) if framework else FRAMEWORK_IDS
    with _store_if_any(db) as store:
        overrides = overrides_of(store, name)
    document = scan_path(
        path, mlflow_uri=mlflow, project=name, overrides=overrides, frameworks=frameworks
    )
    if round_label is not None:
        with store_from_option(db) as store:
            entry = save_round_of_scan(
                store,
                document,
                framework.value if framework else "iml4e",
                project=name,
                label=round_label,
            )
        typer.echo(
            f"saved the scan as round {round_label!r} of {name!r} (ledger entry {entry.seq})",
            err=True,
        )
    _render(document, fmt, output)


def _render(document: dict[str, Any], fmt: ScanFormat, output: Path | None) -> None:
    if fmt is ScanFormat.sarif:
        from assay import __version__
        from assay.catalog.scan import probe_definitions
        from assay.reports.scan_sarif import scan_sarif

        with open_output(output) as stream:
            sarif = scan_sarif(document, probe_definitions(), __version__)
            stream.write(json.dumps(sarif, indent=2, ensure_ascii=False) + "\n")
        announce(output)
    elif fmt is ScanFormat.html:
        from assay.reports.scan_html import scan_html

        with open_output(output) as stream:
            stream.write(scan_html(document))
        announce(output)
    else:
        from assay.reports.scan_terminal import scan_view

        emit(output, OutputFormat(fmt.value), document, scan_view(document))


class ReasonChoice(StrEnum):
    """Why an automatic answer is overridden."""

    test_data = "test-data"
    remediated = "remediated"
    not_applicable = "not-applicable"
    not_detected = "not-detected"


@app.command()
def override(
    probe: Annotated[str, typer.Argument(help="The probe id (see `assay scan probes`).")],
    reason: Annotated[
        ReasonChoice,
        typer.Option(
            "--reason",
            help="test-data: what was found is only test data (answer no); remediated: fixed "
            "since (yes); not-applicable: the question does not arise; not-detected: the "
            "practice exists where the scan cannot see it (yes).",
            show_default=False,
        ),
    ],
    by: Annotated[str, typer.Option("--by", help="Who decides this.", show_default=False)],
    justification: Annotated[
        str, typer.Option("--justification", help="Why, for the auditor.", show_default=False)
    ],
    expires: Annotated[
        str,
        typer.Option(
            "--expires", help="The date the override lapses (YYYY-MM-DD).", show_default=False
        ),
    ],
    project: Annotated[
        str,
        typer.Option(
            "--project",
            help="The project the override belongs to (a scan uses its --project, by default "
            "the scanned directory's name).",
            show_default=False,
        ),
    ],
    db: DbOption = None,
) -> None:
    """Record an override of a probe's automatic answer as a ledger entry; scans of the project
    show it beside the automatic answer until it expires."""
    from assay.scan.overrides import Override, OverrideReason
    from assay.services.scan import add_override

    try:
        until = date.fromisoformat(expires)
    except ValueError:
        raise InvalidInputError(
            f"{expires!r} is not a date", source="--expires", expected="a date YYYY-MM-DD"
        ) from None
    for value, option in ((by, "--by"), (justification, "--justification")):
        if not value.strip():
            raise InvalidInputError("is empty", source=option, expected="a non-empty text")
    check_name(project, source="--project", what="project name")
    record = Override(
        project, probe, OverrideReason(reason.value), by.strip(), justification.strip(), until
    )
    with store_from_option(db) as store:
        entry = add_override(store, record)
    typer.echo(f"recorded override of {probe!r} for {project!r} as ledger entry {entry.seq}")


@app.command("overrides")
def list_overrides(
    project: Annotated[str, typer.Option("--project", help="The project.", show_default=False)],
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """List the overrides recorded for a project, oldest first."""
    from assay.services.scan import overrides_of

    with _store_if_any(db) as store:
        found = overrides_of(store, project)
    today = date.today()
    rows = [{**o.to_dict(), "expired": o.expires < today} for o in found]
    table = Table("seq", "probe", "reason", "by", "expires", "justification")
    for o in found:
        table.add_row(
            str(o.seq),
            o.probe,
            o.reason.value,
            o.by,
            o.expires.isoformat() + (" (expired)" if o.expires < today else ""),
            o.justification,
        )
    emit(output, fmt, rows, table)


@app.command()
def probes(fmt: FormatOption = OutputFormat.table, output: OutputOption = None) -> None:
    """List the probes: what each asks, its severity and where its answer counts."""
    from assay.catalog.scan import probe_definitions

    definitions = probe_definitions()
    rows = [d.to_dict() for d in definitions]
    table = Table("probe", "question", "severity", "capabilities")
    for d in definitions:
        table.add_row(d.id, d.question, d.severity, ", ".join(d.capabilities))
    emit(output, fmt, rows, table)
