"""The fill-in answers file that ``assay maturity template`` writes."""

from __future__ import annotations

import json
import textwrap

from assay.maturity.frameworks import Framework, FrameworkKind

__all__ = ["answers_template"]

_WIDTH = 96


def _comment(text: str, indent: str, label: str = "") -> list[str]:
    """``text`` as wrapped comment lines; ``label`` starts the first, later lines align under."""
    lines = textwrap.wrap(" ".join(text.split()), _WIDTH - len(indent) - 2 - len(label)) or [""]
    pad = " " * len(label)
    return [f"{indent}# {label if i == 0 else pad}{line}" for i, line in enumerate(lines)]


def answers_template(framework: Framework, project: str | None = None) -> str:
    """A YAML answers file with every topic or statement unanswered (``~``) and, in comments,
    what each level or statement means, so it can be filled in with any text editor."""
    checklist = framework.kind is FrameworkKind.checklist
    how = (
        "Answer each statement with yes or no, or {answer: yes, evidence: ..., note: ...}."
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
    if not checklist:
        lines.append("# Levels: " + "; ".join(f"{s.level} {s.name}" for s in framework.scale))
    lines += [
        f"framework: {framework.id}",
        f"project: {json.dumps(project) if project else '~'}",
        "answers:",
    ]
    if checklist:
        for section in framework.sections:
            kind = "baseline" if section.baseline else "advanced"
            lines.append(f"  # ── {section.id}. {section.name} ({kind}) ──")
            for group in section.groups:
                if group.name:
                    lines.append(f"  # {group.id} {group.name}")
                for statement in group.statements:
                    lines += _comment(f"{statement.id} {statement.text}", "  ")
                    lines.append(f'  "{statement.id}": ~')
    else:
        for area in framework.areas:
            lines.append(f"  # ── {area.name} ──")
            for topic in area.topics:
                lines += _comment(f"{topic.id}. {topic.name}", "  ")
                for level, text in sorted(topic.descriptors.items()):
                    lines += _comment(text, "  ", label=f"   {level}: ")
                lines.append(f'  "{topic.id}": ~')
    return "\n".join(lines) + "\n"
