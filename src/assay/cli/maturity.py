"""``assay maturity``: frameworks, answer templates and scoring of self-assessments."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from assay.catalog import builtin_framework_ids, load_framework
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
    write_binary_output,
)
from assay.cli.questionnaire import Questionnaire
from assay.errors import InvalidInputError
from assay.files.answers import load_assessment
from assay.files.documents import load_document
from assay.maturity.answers import SINGLE_RESPONDENT, Assessment
from assay.maturity.frameworks import Framework, FrameworkKind
from assay.maturity.history import History
from assay.maturity.rubric import RubricScore
from assay.maturity.scoring import (
    ChecklistScore,
    LevelScore,
    Respondent,
)
from assay.names import check_name
from assay.reports.maturity_json import (
    checklist_score_json,
    level_score_json,
    rubric_score_json,
)
from assay.reports.maturity_template import answers_document, answers_template
from assay.reports.maturity_terminal import (
    checklist_score_view,
    evidence_table,
    history_table,
    level_score_view,
    measured_table,
    rubric_score_view,
)
from assay.store.rounds import load_history, save_round

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
    loaded = _answerable(framework)
    if output is not None:
        _refuse_overwrite(output, force)
    with open_output(output) as stream:
        stream.write(answers_template(loaded, project, _reference(loaded, framework, output)))
    if output is not None:
        typer.echo(f"wrote {output}: fill it in, then run: assay maturity score {output}", err=True)


class ScoreFormat(StrEnum):
    """How ``assay maturity score`` renders its result."""

    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


ProjectOption = Annotated[
    str, typer.Option("--project", help="The project the rounds belong to.", show_default=False)
]


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
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="Show this project's saved rounds beside the score (the HTML radar chart "
            "overlays them).",
            show_default=False,
        ),
    ] = None,
    measured: Annotated[
        bool,
        typer.Option(
            "--measured",
            help="Beside each plane of the ai-first framework, the delivery and ML figures "
            "measured from the store's events that support or contradict the answered level.",
        ),
    ] = False,
    window: Annotated[
        str, typer.Option("--window", help="The window of the measured figures (with --measured).")
    ] = "90d",
    evidence_file: Annotated[
        Path | None,
        typer.Option(
            "--evidence",
            help="A scan (`assay scan --format json`): each topic shows the evidence-based "
            "suggestion beside the answer, and conflicts join the discussions to have.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    fmt: Annotated[
        ScoreFormat,
        typer.Option(
            "--format",
            "-f",
            help="table for people, json for machines, markdown for wikis and pull requests, "
            "html for a self-contained report with the radar chart.",
        ),
    ] = ScoreFormat.table,
    output: OutputOption = None,
) -> None:
    """Score an answers file: per topic, per area (the lowest topic), overall, disputed topics
    and the roadmap; for a checklist, the yes counts and whether the project is mature."""
    assessment = load_assessment(file, framework)
    result = assessment.score(target)
    scanned = _scan_evidence(evidence_file, assessment, result) if evidence_file else None
    if isinstance(result, RubricScore):
        _score_rubric(
            assessment, result, fmt, output, measured=measured, project=project, scanned=scanned
        )
        return
    past = _history(db, project, assessment.framework.id) if project else None
    evidence = _measured(db, result, window) if measured else None
    if fmt in (ScoreFormat.markdown, ScoreFormat.html):
        from assay.reports.maturity_report import maturity_report  # Jinja2: only for reports

        text = maturity_report(
            assessment,
            result,
            "markdown" if fmt is ScoreFormat.markdown else "html",
            history=past,
            measured=evidence,
            scanned=scanned,
            current_label=file.name,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
        with open_output(output) as stream:
            stream.write(text)
        announce(output)
        return
    if isinstance(result, ChecklistScore):
        data = checklist_score_json(assessment, result)
        view = checklist_score_view(assessment, result)
    else:
        data = level_score_json(assessment, result)
        view = level_score_view(assessment, result)
    if past is not None:
        data["history"] = past.to_dict()
        view = Group(view, Text(f"Saved rounds of {project}", style="bold"), history_table(past))
    if evidence is not None:
        data["measured"] = evidence
        view = Group(view, measured_table(evidence))
    if scanned is not None:
        data["evidence"] = scanned
        view = Group(view, evidence_table(scanned))
    emit(output, OutputFormat(fmt.value), data, view)


def _scan_evidence(
    path: Path, assessment: Assessment, result: LevelScore | ChecklistScore | RubricScore
) -> dict[str, Any]:
    """The comparison of the consensus answers with the scan in ``path``."""
    from assay.files.scan_evidence import load_scan
    from assay.scan.conflicts import compare_with_evidence

    scan = load_scan(path, assessment.framework.id)
    answered: dict[str, Any]
    if isinstance(result, LevelScore):
        answered = {topic.id: topic.level for topic in result.topics}
    elif isinstance(result, ChecklistScore):
        answered = dict(result.statements)
    else:
        answered = dict(result.tests)
    try:
        comparison = compare_with_evidence(assessment.framework, answered, scan)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise InvalidInputError(
            f"the scan document is malformed ({type(error).__name__}: {error})",
            source=str(path),
            expected="the JSON written by `assay scan --format json`, unchanged",
        ) from None
    comparison["capabilities"] = scan["capabilities"]
    return comparison


def _score_rubric(
    assessment: Assessment,
    result: RubricScore,
    fmt: ScoreFormat,
    output: Path | None,
    *,
    measured: bool,
    project: str | None,
    scanned: dict[str, Any] | None,
) -> None:
    """A rubric's score as a table or JSON (its reports and history are not drawn yet)."""
    for given, option in ((measured, "--measured"), (project is not None, "--project")):
        if given:
            raise InvalidInputError(
                f"{option} is not available for the rubric {assessment.framework.id}",
                source=option,
                expected="a level framework or a checklist",
            )
    if fmt in (ScoreFormat.markdown, ScoreFormat.html):
        raise InvalidInputError(
            f"--format {fmt.value} is not available for the rubric {assessment.framework.id}",
            source="--format",
            expected="table or json",
        )
    data = rubric_score_json(assessment, result)
    view = rubric_score_view(assessment, result)
    if scanned is not None:
        data["evidence"] = scanned
        view = Group(view, evidence_table(scanned))
    emit(output, OutputFormat(fmt.value), data, view)


def _measured(db: str | None, result: Any, window: str) -> dict[str, Any]:
    """What the store's events say about each plane's answered level (ai-first only)."""
    from assay.metrics.windows import parse_duration, window_of
    from assay.services.metrics import measured_planes

    if isinstance(result, ChecklistScore):
        raise InvalidInputError(
            "--measured reads levels; a checklist has none",
            source="--measured",
            expected="an answers file of the ai-first framework",
        )
    try:
        span = window_of(now=datetime.now(UTC), window=parse_duration(window))
    except ValueError as error:
        raise InvalidInputError(str(error), source="--window") from None
    levels = {area.id: area.score for area in result.areas}
    with existing_store(db) as store:
        return measured_planes(store, levels, span)


def _history(db: str | None, project: str, framework: str | None) -> History:
    """The saved rounds of ``project`` (of ``framework`` only, when given) from the ledger."""
    with existing_store(db) as store:
        return load_history(store.ledger, project, framework)


@app.command()
def save(
    file: Annotated[Path, typer.Argument(help="The answers file (YAML or JSON).", dir_okay=False)],
    project: ProjectOption,
    round_label: Annotated[
        str,
        typer.Option(
            "--round", help="A label for this round, e.g. 2026-Q4 or baseline.", show_default=False
        ),
    ],
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="Score against this framework instead of the file's.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Store a scored round of a project's assessment in the evidence ledger."""
    assessment = load_assessment(file, framework)
    with store_from_option(db) as store:
        entry = save_round(
            store.ledger, assessment, assessment.score(), project=project, label=round_label
        )
    typer.echo(
        f"saved round {round_label!r} of {project!r} as ledger entry {entry.seq} "
        f"({entry.hash[:12]})"
    )


@app.command()
def history(
    project: ProjectOption,
    framework: Annotated[
        str | None,
        typer.Option("--framework", help="Only rounds of this framework id.", show_default=False),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Show a project's saved rounds: every area's score per round and the change."""
    past = _history(db, project, framework)
    if len(past.frameworks) > 1:
        raise InvalidInputError(
            f"project {project!r} has rounds of several frameworks ({', '.join(past.frameworks)})",
            source="--framework",
            expected="one of them chosen with --framework",
        )
    if not past.rounds:
        typer.echo(f"no rounds saved for project {project!r}", err=True)
    emit(output, fmt, past.to_dict(), history_table(past))


@app.command("export-xlsx")
def export_xlsx(
    framework: FrameworkOption,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="The workbook to write (.xlsx).",
            dir_okay=False,
            show_default=False,
        ),
    ],
    project: Annotated[str | None, typer.Option(help="Project name to put in it.")] = None,
    respondent: Annotated[
        str | None, typer.Option(help="Respondent name to put in it (else they fill it in).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an Excel workbook to fill in: a sheet per area (or checklist section), the level
    descriptors in columns, and an Answer column with a drop-down."""
    from assay.reports.maturity_workbook import answers_workbook  # openpyxl: slow to import

    loaded = _answerable(framework)
    _refuse_rubric(loaded, "export-xlsx")
    for name, option in ((project, "--project"), (respondent, "--respondent")):
        if name is not None:
            check_name(name, source=option, what=option.removeprefix("--") + " name")
    _refuse_overwrite(output, force)
    content = answers_workbook(loaded, project, respondent)
    write_binary_output(output, content)
    typer.echo(
        f"wrote {output}: send it to each respondent, then run: "
        f"assay maturity import-xlsx FILLED.xlsx... -o answers.yaml",
        err=True,
    )


@app.command("export-oscal")
def export_oscal(framework: FrameworkOption, output: OutputOption = None) -> None:
    """Write the framework as an OSCAL catalog (JSON): each area or section a group, each topic
    or statement a control; a topic's described levels are its assessment objectives."""
    import json

    from assay import __version__
    from assay.reports.oscal_catalog import framework_catalog

    loaded = load_framework(framework)
    modified = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    catalog = framework_catalog(loaded, modified, __version__)
    with open_output(output) as stream:
        stream.write(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n")
    announce(output)


@app.command("import-xlsx")
def import_xlsx(
    files: Annotated[
        list[Path],
        typer.Argument(help="Filled workbooks, one per respondent.", dir_okay=False),
    ],
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="The framework file the workbooks were made from, when it is not built in.",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Read filled workbooks (one per respondent) into an answers file to score or save."""
    from assay.files.answers_workbook import read_answer_workbooks  # openpyxl: slow to import

    assessment = read_answer_workbooks(files, framework)
    if output is not None:
        _refuse_overwrite(output, force)
    with open_output(output) as stream:
        stream.write(
            answers_document(
                assessment.framework,
                assessment.project,
                assessment.respondents,
                _reference(assessment.framework, framework, output),
            )
        )
    if output is not None:
        answered = sum(len(person.answers) for person in assessment.respondents)
        typer.echo(
            f"wrote {output}: {len(assessment.respondents)} respondent(s), {answered} answers; "
            f"next: assay maturity score {output}",
            err=True,
        )


def _answerable(reference: str) -> Framework:
    loaded = load_framework(reference)
    if loaded.kind is FrameworkKind.scale:
        raise InvalidInputError(
            f"{loaded.id} only names levels; it has nothing to answer",
            source="--framework",
            expected="a level framework or a checklist",
        )
    return loaded


def _refuse_rubric(framework: Framework, command: str) -> None:
    if framework.kind is FrameworkKind.rubric:
        raise InvalidInputError(
            f"`assay maturity {command}` does not support the rubric {framework.id} yet",
            source="--framework",
            expected="a level framework or a checklist; for a rubric, write answers from "
            "`assay maturity template` and score them",
        )


def _refuse_overwrite(output: Path, force: bool) -> None:
    if output.exists() and not force:
        raise InvalidInputError(
            "the file exists already",
            source=str(output),
            expected="a new file name, or --force to overwrite it",
        )


@app.command()
def assess(
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="A built-in framework id or a framework file (default: the one the answers "
            "file names).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The answers file to write and to resume from "
            "(default: assessment-FRAMEWORK.yaml).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    project: Annotated[str | None, typer.Option(help="Project name to record.")] = None,
    respondent: Annotated[
        str | None,
        typer.Option(
            help="Whose answers these are; several people can answer into one file.",
            show_default=False,
        ),
    ] = None,
    review_all: Annotated[
        bool,
        typer.Option("--all", help="Go through every question, not only the unanswered ones."),
    ] = False,
) -> None:
    """Answer a framework's questions one by one in the terminal: what each level means, your
    level and optional evidence. Saves after every answer; run it again to resume."""
    if output is None:
        if framework is None:
            raise InvalidInputError(
                "nothing to assess",
                source="assay maturity assess",
                expected="--framework ID for a new assessment, or -o FILE to resume one",
            )
        output = Path(f"assessment-{_answerable(framework).id}.yaml")
    if output.exists():
        assessment = load_assessment(output, framework)
        _refuse_rubric(assessment.framework, "assess")
        reference = _refuse_other_framework(output, assessment.framework)
    else:
        if framework is None:
            raise InvalidInputError(
                "no such file to resume",
                source=str(output),
                expected="--framework ID to start a new assessment in it",
            )
        assessment = Assessment(_answerable(framework), None, ())
        _refuse_rubric(assessment.framework, "assess")
        reference = _reference(assessment.framework, framework, output)
    if project is not None:
        check_name(project, source="--project", what="project name")
    if respondent is not None:
        check_name(respondent, source="--respondent", what="respondent name")
    people = list(assessment.respondents)
    person = _respondent(people, respondent, output)
    if person not in people:
        people.append(person)
    slot = people.index(person)
    chosen_project = project or assessment.project

    def save(answered: Respondent) -> None:
        people[slot] = answered
        with open_output(output) as stream:
            stream.write(answers_document(assessment.framework, chosen_project, people, reference))

    console = Console(highlight=False, markup=False)
    save(person)
    console.print(
        Text(f"{assessment.framework.name}: answers are saved in {output} after each one.")
    )
    questionnaire = Questionnaire(console, assessment.framework, person, save)
    try:
        questionnaire.run(review_all=review_all)
    except KeyboardInterrupt:
        console.print()
        answered = len(questionnaire.answers)
        typer.echo(
            f"interrupted: {answered} answer(s) are saved in {output}; "
            f"run the same command to go on",
            err=True,
        )
        raise typer.Exit(INTERRUPTED) from None
    questionnaire.summary(output)


INTERRUPTED = 130  # the shell's code for a program stopped by Ctrl-C (128 + SIGINT)


def _refuse_other_framework(path: Path, chosen: Framework) -> str:
    """The framework the answers file at ``path`` names; refuses to turn an assessment of one
    framework into one of another (``--framework``)."""
    named = str(load_document(path).data.get("framework"))
    if named != chosen.id and not named.endswith((".yaml", ".yml", ".json")):
        raise InvalidInputError(
            f"the file is an assessment of {named!r}, not of {chosen.id!r}",
            source=str(path),
            expected=f"--framework {named} (or none), or another output file",
        )
    return named


def _reference(framework: Framework, option: str | None, output: Path | None) -> str:
    """How an answers file at ``output`` names ``framework``: a built-in one by its id, one
    from a framework file (``option``) by that file's path relative to the answers file."""
    if option is None or option in builtin_framework_ids() or not Path(option).is_file():
        return framework.id
    base = output.parent if output is not None else Path()
    return os.path.relpath(Path(option).resolve(), base.resolve())


def _respondent(people: list[Respondent], name: str | None, path: Path) -> Respondent:
    """The respondent to ask: the one named, a new one by that name, or the file's only one."""
    if name is not None:
        return next((p for p in people if p.name == name), Respondent(name))
    if len(people) > 1:
        raise InvalidInputError(
            f"the file holds the answers of {', '.join(p.name for p in people)}",
            source=str(path),
            expected="--respondent NAME to say whose answers to go through",
        )
    return people[0] if people else Respondent(SINGLE_RESPONDENT)
