"""``assay maturity``: frameworks, answer templates and scoring of self-assessments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from assay.catalog import builtin_framework_ids, load_framework
from assay.cli.common import FormatOption, OutputFormat, OutputOption, emit, open_output
from assay.errors import InvalidInputError
from assay.files.answers import load_assessment
from assay.maturity.frameworks import FrameworkKind
from assay.maturity.scoring import score_checklist, score_levels
from assay.reports.maturity_json import checklist_score_json, level_score_json
from assay.reports.maturity_template import answers_template
from assay.reports.maturity_terminal import checklist_score_view, level_score_view

app = typer.Typer(
    help="MLOps maturity self-assessment: frameworks, answer templates, scores and roadmap.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

FrameworkOption = Annotated[
    str,
    typer.Option(
        "--framework",
        help="A built-in framework id (see `assay maturity frameworks`) or the "
        "path of a framework file.",
    ),
]


@app.command()
def frameworks(fmt: FormatOption = OutputFormat.table, output: OutputOption = None) -> None:
    """List the built-in frameworks: id, name, what is answered and how many items."""
    rows: list[dict[str, str | int]] = []
    for framework_id in builtin_framework_ids():
        framework = load_framework(framework_id)
        groups = len(framework.areas) or len(framework.sections)
        rows.append(
            {
                "id": framework.id,
                "name": framework.name,
                "version": framework.version,
                "kind": framework.kind.value,
                "areas": groups,
                "items": framework.item_count,
                "source": framework.source.title,
            }
        )
    table = Table("id", "name", "kind", "areas/sections", "items")
    for row in rows:
        table.add_row(*(str(row[key]) for key in ("id", "name", "kind", "areas", "items")))
    emit(output, fmt, rows, table)


@app.command()
def template(
    framework: FrameworkOption,
    project: Annotated[str | None, typer.Option(help="Project name to put in the file.")] = None,
    output: OutputOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an answers file to fill in: every topic unanswered, its level descriptors as
    comments."""
    loaded = load_framework(framework)
    if loaded.kind is FrameworkKind.scale:
        raise InvalidInputError(
            f"{loaded.id} only names levels; it has nothing to answer",
            source="--framework",
            expected="a level framework or a checklist",
        )
    if output is not None and output.exists() and not force:
        raise InvalidInputError(
            "the file exists already",
            source=str(output),
            expected="a new file name, or --force to overwrite it",
        )
    with open_output(output) as stream:
        stream.write(answers_template(loaded, project))
    if output is not None:
        typer.echo(f"wrote {output}: fill it in, then run: assay maturity score {output}", err=True)


@app.command()
def score(
    file: Annotated[Path, typer.Argument(help="The answers file (YAML or JSON).", dir_okay=False)],
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="Score against this framework (id or file) instead of "
            "the one the answers file names.",
            show_default=False,
        ),
    ] = None,
    target: Annotated[
        int | None,
        typer.Option(
            "--target",
            min=0,
            max=4,
            help="The level the roadmap aims at (default: one above the overall level).",
            show_default=False,
        ),
    ] = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Score an answers file: per topic, per area (the lowest topic), overall, disputed topics
    and the roadmap; for a checklist, the yes counts and whether the project is mature."""
    assessment = load_assessment(file, framework)
    if assessment.framework.kind is FrameworkKind.checklist:
        checklist = score_checklist(assessment.framework, assessment.respondents)
        emit(
            output,
            fmt,
            checklist_score_json(assessment, checklist),
            checklist_score_view(assessment, checklist),
        )
        return
    levels = score_levels(assessment.framework, assessment.respondents, target=target)
    emit(output, fmt, level_score_json(assessment, levels), level_score_view(assessment, levels))
