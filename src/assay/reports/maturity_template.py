"""Answers files as YAML: the fill-in template of ``assay maturity template`` and the files that
``assess`` and ``import-xlsx`` write, with every item's descriptors as comments."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence

from assay.maturity.answers import SINGLE_RESPONDENT
from assay.maturity.frameworks import Framework, FrameworkKind
from assay.maturity.scoring import Answer, Respondent

__all__ = ["answer_text", "answers_document", "answers_template"]

_WIDTH = 96


def _comment(text: str, indent: str, label: str = "") -> list[str]:
    """``text`` as wrapped comment lines; ``label`` starts the first, later lines align under."""
    lines = textwrap.wrap(" ".join(text.split()), _WIDTH - len(indent) - 2 - len(label)) or [""]
    pad = " " * len(label)
    return [f"{indent}# {label if i == 0 else pad}{line}" for i, line in enumerate(lines)]


def answers_template(
    framework: Framework, project: str | None = None, reference: str | None = None
) -> str:
    """A YAML answers file with every topic or statement unanswered (``~``) and, in comments,
    what each level or statement means, so it can be filled in with any text editor."""
    return answers_document(framework, project, [Respondent(SINGLE_RESPONDENT)], reference)


def answer_text(answer: Answer | None, checklist: bool) -> str:
    """One answer as a YAML value: ``~``, a level, yes/no, or a flow mapping with evidence."""
    if answer is None:
        return "~"
    value = ("yes" if answer.value else "no") if checklist else str(int(answer.value))
    if answer.evidence is None and answer.note is None:
        return value
    key = "answer" if checklist else "level"
    parts = [f"{key}: {value}"]
    for name, text in (("evidence", answer.evidence), ("note", answer.note)):
        if text is not None:
            parts.append(f"{name}: {json.dumps(text, ensure_ascii=False)}")
    return "{" + ", ".join(parts) + "}"


def rubric_answer_text(answer: Answer | None) -> str:
    """A rubric test's answer as a YAML value: ``~``, a credit, or a flow mapping."""
    if answer is None:
        return "~"
    value = f"{float(answer.value):g}"
    if answer.evidence is None and answer.note is None:
        return value
    parts = [f"answer: {value}"]
    for name, text in (("evidence", answer.evidence), ("note", answer.note)):
        if text is not None:
            parts.append(f"{name}: {json.dumps(text, ensure_ascii=False)}")
    return "{" + ", ".join(parts) + "}"


def answers_document(
    framework: Framework,
    project: str | None,
    respondents: Sequence[Respondent],
    reference: str | None = None,
) -> str:
    """A YAML answers file holding ``respondents``' answers (``~`` where there is none), every
    item listed in framework order with its descriptors as comments (for the first respondent).
    One respondent named :data:`SINGLE_RESPONDENT` is written as ``answers:``, otherwise as
    ``respondents:`` with names. ``framework:`` is ``reference`` (for a framework file, its
    path relative to the answers file) or else the framework's id."""
    checklist = framework.kind is FrameworkKind.checklist
    rubric = framework.kind is FrameworkKind.rubric
    how = (
        "Answer each test with 0 (no), 0.5 (manual) or 1 (automated), or "
        "{answer: 0.5, evidence: ..., note: ...}."
        if rubric
        else "Answer each statement with yes or no, or {answer: yes, evidence: ..., note: ...}."
        if checklist
        else "Answer each topic with a level 0-4, or {level: 2, evidence: ..., note: ...}."
    )
    lines = [
        f"# Self-assessment: {framework.name} (version {framework.version})",
        *_comment(f"Source: {framework.source.title}. {framework.source.attribution}", ""),
        *_comment(
            f"{how} Leave ~ where you have no answer yet; several respondents: see "
            "docs/maturity.md. Score it with: assay maturity score THIS_FILE",
            "",
        ),
    ]
    if rubric:
        lines.append("# Credits: " + "; ".join(f"{c:g} {name}" for c, name in framework.credits))
    elif not checklist:
        lines.append("# Levels: " + "; ".join(f"{s.level} {s.name}" for s in framework.scale))
    lines += [
        f"framework: {json.dumps(reference or framework.id)}",
        f"project: {json.dumps(project) if project else '~'}",
    ]
    if len(respondents) == 1 and respondents[0].name == SINGLE_RESPONDENT:
        lines.append("answers:")
        lines += _answer_lines(framework, respondents[0].answers, "  ", comments=True)
    else:
        lines.append("respondents:")
        for number, person in enumerate(respondents):
            lines += [f"  - name: {json.dumps(person.name, ensure_ascii=False)}", "    answers:"]
            lines += _answer_lines(framework, person.answers, "      ", comments=number == 0)
    return "\n".join(lines) + "\n"


def _answer_lines(
    framework: Framework, answers: Mapping[str, Answer], indent: str, *, comments: bool
) -> list[str]:
    lines: list[str] = []
    if framework.kind is FrameworkKind.rubric:
        for section in framework.sections:
            lines.append(f"{indent}# ── {section.name} ──")
            for test in section.statements:
                if comments:
                    lines += _comment(f"{test.id} {test.text}", indent)
                answer = answers.get(test.id)
                lines.append(f'{indent}"{test.id}": {rubric_answer_text(answer)}')
        return lines
    if framework.kind is FrameworkKind.checklist:
        for section in framework.sections:
            kind = "baseline" if section.baseline else "advanced"
            lines.append(f"{indent}# ── {section.id}. {section.name} ({kind}) ──")
            for group in section.groups:
                if group.name and comments:
                    lines.append(f"{indent}# {group.id} {group.name}")
                for statement in group.statements:
                    if comments:
                        lines += _comment(f"{statement.id} {statement.text}", indent)
                    value = answer_text(answers.get(statement.id), checklist=True)
                    lines.append(f'{indent}"{statement.id}": {value}')
        return lines
    for area in framework.areas:
        lines.append(f"{indent}# ── {area.name} ──")
        for topic in area.topics:
            if comments:
                lines += _comment(f"{topic.id}. {topic.name}", indent)
                for level, text in sorted(topic.descriptors.items()):
                    lines += _comment(text, indent, label=f"   {level}: ")
            value = answer_text(answers.get(topic.id), checklist=False)
            name = "" if comments else f"  # {topic.name}"
            lines.append(f'{indent}"{topic.id}": {value}{name}')
    return lines
