"""The interactive questionnaire of ``assay maturity assess``.

It walks a framework's topics (or checklist statements) one at a time, shows what each level
means, takes an answer and an optional evidence note, and writes the answers file after every
answer, so an interrupted session loses nothing and the same command resumes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assay.maturity.answers import parse_level, parse_yes_no
from assay.maturity.frameworks import Framework, FrameworkKind
from assay.maturity.scoring import Answer, Respondent, score_levels

__all__ = ["Item", "Questionnaire", "questionnaire_items"]

HELP = (
    "Type the answer and press Enter. Enter alone keeps the current answer (or skips). "
    "s skips, b goes back one question, q saves and stops, ? shows this help; they work at "
    "every prompt, the evidence prompt included. Ctrl-C stops too: every answer given so far "
    "is already saved, a level as soon as it is typed."
)


@dataclass(frozen=True)
class Item:
    """One question: a topic with its descriptors, or a checklist statement."""

    id: str
    group: str
    title: str
    descriptors: dict[int, str] = field(default_factory=dict)


def questionnaire_items(framework: Framework) -> list[Item]:
    """Every question of ``framework`` in the source's order."""
    if framework.kind is FrameworkKind.checklist:
        return [
            Item(statement.id, f"{section.id}. {section.name}", statement.text)
            for section in framework.sections
            for statement in section.statements
        ]
    return [
        Item(topic.id, area.name, topic.name, dict(topic.descriptors))
        for area in framework.areas
        for topic in area.topics
    ]


class _Stop(Exception):
    """The respondent asked to save and stop."""


class Questionnaire:
    """One respondent's pass through a framework; ``save`` is called after every change with
    the respondent's answers so far."""

    def __init__(
        self,
        console: Console,
        framework: Framework,
        respondent: Respondent,
        save: Callable[[Respondent], None],
    ) -> None:
        self.console = console
        self.framework = framework
        self.checklist = framework.kind is FrameworkKind.checklist
        self.items = questionnaire_items(framework)
        self.answers: dict[str, Answer] = dict(respondent.answers)
        self.name = respondent.name
        self.save = save

    def run(self, *, review_all: bool = False) -> None:
        """Ask every unanswered question (every question with ``review_all``), then offer the
        skipped ones again until all are answered or the respondent stops. Returns when done
        or stopped with q or end of input; KeyboardInterrupt passes through."""
        queue = [item for item in self.items if review_all or item.id not in self.answers]
        if not queue:
            self.console.print(
                "Every question is answered already; use --all to go through them again."
            )
            return
        self.console.print(Text(HELP, style="dim"))
        try:
            while queue:
                self._walk(queue)
                queue = [item for item in self.items if item.id not in self.answers]
                if queue and not self._again(len(queue)):
                    break
        except (_Stop, EOFError):
            self.console.print()

    def _again(self, count: int) -> bool:
        while True:
            reply = self._ask(
                f"{count} question(s) are unanswered. Go through them again? [y/n, q, ?]"
            ).strip()
            if reply == "?":
                self.console.print(HELP)
                continue
            return parse_yes_no(reply) is True or reply.lower() == "y"

    def _walk(self, queue: Sequence[Item]) -> None:
        position = 0
        while position < len(queue):
            item = queue[position]
            self._show(item, position, len(queue))
            move = self._answer(item)
            position = max(position + move, 0)

    def _show(self, item: Item, position: int, total: int) -> None:
        # Numbered within the whole framework (a resumed session starts at question 5 of 32,
        # not 1 of 28); ``position`` and ``total`` are the place in this pass's queue.
        answered = sum(1 for i in self.items if i.id in self.answers)
        number = self.items.index(item) + 1
        title = Text(f"{item.group} — question {number} of {len(self.items)} ({answered} answered)")
        body = Table.grid(padding=(0, 2))
        heading = item.title if self.checklist else f"{item.id}. {item.title}"
        body.add_row(Text(heading, style="bold"))
        if not self.checklist:
            levels = Table("level", "what it looks like", box=None, pad_edge=False)
            for step in self.framework.scale:
                described = item.descriptors.get(step.level)
                levels.add_row(
                    f"{step.level} {step.name}",
                    described or Text("(not described at this level)", style="dim"),
                )
            body.add_row(levels)
        current = self.answers.get(item.id)
        if current is not None:
            body.add_row(Text(f"current answer: {self._value_text(current)}", style="cyan"))
        self.console.print(Panel(body, title=title, title_align="left"))

    def _value_text(self, answer: Answer) -> str:
        value = ("yes" if answer.value else "no") if self.checklist else str(answer.value)
        return value + (f" (evidence: {answer.evidence})" if answer.evidence else "")

    def _answer(self, item: Item) -> int:
        """Ask for ``item``'s answer; returns how far to move in the queue (1 or -1)."""
        choices = "y/n" if self.checklist else "0-4"
        current = self.answers.get(item.id)
        while True:
            reply, move = self._prompt(f"Answer [{choices}, s, b, q, ?]")
            if move is not None:
                return move
            value = self._parse(reply.lower())
            if value is not None:
                break
            expected = "y or n" if self.checklist else "a level from 0 to 4"
            self.console.print(
                Text(f"{reply!r} is not an answer here: type {expected}.", style="red")
            )
        # The level counts the moment it is given: an interruption at the evidence prompt
        # keeps it.
        evidence_before = current.evidence if current else None
        note = current.note if current else None
        self.answers[item.id] = Answer(value, evidence_before, note)
        self.save(Respondent(self.name, dict(self.answers)))
        keep = "keep the current one" if evidence_before else "leave it out"
        reply, move = self._prompt(f"Evidence (optional; Enter to {keep}; s, b, q, ?)")
        if move is not None:
            return move
        self.answers[item.id] = Answer(value, reply, note)
        self.save(Respondent(self.name, dict(self.answers)))
        return 1

    def _prompt(self, prompt: str) -> tuple[str, int | None]:
        """Ask until the reply is not ``?`` (which shows the help): the reply, and the move the
        commands that work at every prompt ask for (s or Enter: 1, b: -1; q stops), or None
        for any other reply."""
        while True:
            reply = self._ask(prompt).strip()
            command = reply.lower()
            if command == "?":
                self.console.print(HELP)
                continue
            if command == "q":
                raise _Stop
            if command == "b":
                return reply, -1
            if command in ("", "s"):
                return reply, 1
            return reply, None

    def _parse(self, command: str) -> int | bool | None:
        if self.checklist:
            return {"y": True, "n": False}.get(command, parse_yes_no(command))
        return parse_level(int(command)) if command.isdigit() else None

    def _ask(self, prompt: str) -> str:
        return self.console.input(Text(f"{prompt}: ", style="bold"))

    def summary(self, path: Path) -> None:
        """Say how many questions are answered, and the overall level when all are."""
        answered = sum(1 for item in self.items if item.id in self.answers)
        self.console.print(Text(f"{answered} of {len(self.items)} answered, saved in {path}."))
        if not self.checklist and answered == len(self.items):
            score = score_levels(self.framework, [Respondent(self.name, self.answers)])
            self.console.print(Text(f"Overall level {score.overall}: {score.overall_name}."))
        elif answered < len(self.items):
            self.console.print("Run the same command again to answer the rest.")
        self.console.print(Text(f"Full report: assay maturity score {path} -f html -o report.html"))
