"""``assay llm``: checks of generative systems that need more than the event stream."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli.common import OutputFormat, OutputOption, emit
from assay.files.citations import read_answers, read_questions
from assay.metrics.citations import citation_figures
from assay.reports.llm_report import sections_table
from assay.reports.metrics_report import figure

app = typer.Typer(
    help="Checks of LLM and retrieval-augmented systems (definitions: docs/metrics.md).",
    no_args_is_help=True,
)


@app.command()
def citations(
    questions: Annotated[
        Path,
        typer.Argument(help='Question set, JSON lines: {"question": ID, "relevant": [CHUNK, ...]}'),
    ],
    responses: Annotated[
        Path,
        typer.Argument(help='Answers, JSON lines: {"question": ID, "retrieval_ids": [CHUNK, ...]}'),
    ],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table for people, json for machines.")
    ] = OutputFormat.table,
    output: OutputOption = None,
) -> None:
    """Citation precision (cited chunks that are relevant) and recall (relevant chunks that
    were cited) of the answers against a question set with known relevant chunks, per
    question and overall (macro and micro averages)."""
    report = citation_figures(read_questions(questions), read_answers(responses))
    summary = [
        ["Precision (macro)", figure(report["precision"]["macro"])],
        ["Precision (micro)", figure(report["precision"]["micro"])],
        ["Recall (macro)", figure(report["recall"]["macro"])],
        ["Recall (micro)", figure(report["recall"]["micro"])],
        ["Questions answered", f"{report['answered']} of {report['questions']}"],
    ]
    rows = [
        [
            r["question"],
            str(r["relevant"]),
            str(r["cited"]),
            str(r["correct"]),
            figure(r["precision"]),
            figure(r["recall"]),
        ]
        for r in report["per_question"]
    ]
    sections = [
        ("Citations", ["figure", "value"], summary),
        ("Per question", ["question", "relevant", "cited", "correct", "precision", "recall"], rows),
    ]
    notes = [f"no answer to question {q}" for q in report["unanswered"][:20]]
    emit(output, fmt, report, sections_table("Citation precision and recall", sections, notes))
