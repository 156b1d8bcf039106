"""Maturity frameworks as values: level scales, areas of topics, checklists of statements.

Built from data that has passed the framework JSON Schema; :func:`framework_problems` adds the
checks a schema cannot express (unique ids, numbering, a complete scale). No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "Area",
    "Framework",
    "FrameworkKind",
    "ScaleLevel",
    "Section",
    "Source",
    "Statement",
    "StatementGroup",
    "Topic",
    "framework_from_data",
    "framework_problems",
]

LEVELS = range(0, 5)


class FrameworkKind(StrEnum):
    """``levels``: topics answered 0-4; ``checklist``: statements answered yes/no;
    ``scale``: only names the five levels; ``rubric``: tests scored 0, 0.5 or 1 per section."""

    levels = "levels"
    checklist = "checklist"
    scale = "scale"
    rubric = "rubric"


@dataclass(frozen=True)
class Source:
    """Where a framework comes from and under which terms its content is used."""

    title: str
    attribution: str


@dataclass(frozen=True)
class ScaleLevel:
    """One of the five levels of a scale: number, name and a short characterization."""

    level: int
    name: str
    summary: str


@dataclass(frozen=True)
class Topic:
    """A topic answered with a level 0-4; ``descriptors`` holds the levels the source describes."""

    id: str
    name: str
    origin: str | None
    descriptors: Mapping[int, str]

    def next_step(self, level: int) -> tuple[int, str] | None:
        """The lowest described level above ``level`` and its descriptor, if any."""
        above = sorted(described for described in self.descriptors if described > level)
        return (above[0], self.descriptors[above[0]]) if above else None


@dataclass(frozen=True)
class Area:
    """A group of topics whose score is the lowest of their levels."""

    id: str
    name: str
    topics: tuple[Topic, ...]


@dataclass(frozen=True)
class Statement:
    """A checklist statement answered yes or no."""

    id: str
    text: str


@dataclass(frozen=True)
class StatementGroup:
    """Statements under a sub-heading; ``id`` and ``name`` are None for an ungrouped section."""

    id: str | None
    name: str | None
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Section:
    """A checklist section; ``baseline`` sections must be all yes for a mature project."""

    id: str
    name: str
    baseline: bool
    groups: tuple[StatementGroup, ...]

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Every statement of the section, in order."""
        return tuple(statement for group in self.groups for statement in group.statements)


@dataclass(frozen=True)
class Framework:
    """A maturity framework; level frameworks have ``areas``, checklists ``sections``."""

    id: str
    name: str
    version: str
    kind: FrameworkKind
    source: Source
    scale: tuple[ScaleLevel, ...]
    areas: tuple[Area, ...] = ()
    sections: tuple[Section, ...] = ()
    credits: tuple[tuple[float, str], ...] = ()
    bands: tuple[tuple[float | None, str], ...] = ()

    @property
    def topics(self) -> tuple[Topic, ...]:
        """Every topic, in area order."""
        return tuple(topic for area in self.areas for topic in area.topics)

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Every checklist statement, in section order."""
        return tuple(statement for section in self.sections for statement in section.statements)

    @property
    def item_count(self) -> int:
        """How many things are answered: topics or statements."""
        return len(self.topics) + len(self.statements)

    def level_name(self, level: int) -> str:
        """The scale's name for ``level`` (0-4)."""
        return next(step.name for step in self.scale if step.level == level)


def framework_problems(data: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks beyond the schema, as ``(key path, problem)``: duplicate ids, statement numbers
    that do not start with their section's or group's number, a scale that does not list each
    level 0-4 once."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for key in ("scale", "levels"):
        if key in data:
            numbers = sorted(step["level"] for step in data[key])
            if numbers != list(LEVELS):
                problems.append(((key,), f"lists levels {numbers}; expected each of 0-4 once"))
    seen: set[tuple[str, str]] = set()

    def unique(identifier: str, path: tuple[str | int, ...], what: str) -> None:
        if (what, identifier) in seen:
            problems.append((path, f"{what} id {identifier!r} is used twice"))
        seen.add((what, identifier))

    for a, area in enumerate(data.get("areas", [])):
        unique(area["id"], ("areas", a, "id"), "area")
        for t, topic in enumerate(area["topics"]):
            unique(topic["id"], ("areas", a, "topics", t, "id"), "topic")
    for s, section in enumerate(data.get("sections", [])):
        unique(section["id"], ("sections", s, "id"), "section")
        for g, group in enumerate(section.get("groups", [])):
            unique(group["id"], ("sections", s, "groups", g, "id"), "group")
            if not group["id"].startswith(section["id"] + "."):
                problems.append(
                    (
                        ("sections", s, "groups", g, "id"),
                        f"group {group['id']!r} should start with {section['id']}.",
                    )
                )
        for t, test in enumerate(section.get("tests", [])):
            unique(test["id"], ("sections", s, "tests", t, "id"), "test")
            if not test["id"].startswith(section["id"] + "-"):
                problems.append(
                    (
                        ("sections", s, "tests", t, "id"),
                        f"test {test['id']!r} should start with {section['id']}-",
                    )
                )
        for path, prefix, statement in _statements_with_prefix(section, s):
            unique(statement["id"], (*path, "id"), "statement")
            if not statement["id"].startswith(prefix + "."):
                problems.append(
                    ((*path, "id"), f"statement {statement['id']!r} should start with {prefix}.")
                )
    return problems


def _statements_with_prefix(
    section: Mapping[str, Any], s: int
) -> Iterator[tuple[tuple[str | int, ...], str, Mapping[str, Any]]]:
    if "groups" in section:
        for g, group in enumerate(section["groups"]):
            for n, statement in enumerate(group["statements"]):
                yield ("sections", s, "groups", g, "statements", n), group["id"], statement
    elif "statements" in section:
        for n, statement in enumerate(section["statements"]):
            yield ("sections", s, "statements", n), section["id"], statement


def framework_from_data(data: Mapping[str, Any], scale: tuple[ScaleLevel, ...]) -> Framework:
    """Build a :class:`Framework` from schema-valid, problem-free data; ``scale`` names the
    levels when the data refers to another framework's scale instead of holding its own."""
    own_scale = data.get("scale") or data.get("levels")
    if own_scale:
        scale = tuple(
            ScaleLevel(step["level"], step["name"], " ".join(step["summary"].split()))
            for step in sorted(own_scale, key=lambda step: step["level"])
        )
    return Framework(
        id=data["id"],
        name=data["name"],
        version=data["version"],
        kind=FrameworkKind(data["kind"]),
        source=Source(data["source"]["title"], " ".join(data["source"]["attribution"].split())),
        scale=scale,
        areas=tuple(
            Area(
                area["id"],
                area["name"],
                tuple(
                    Topic(
                        topic["id"],
                        topic["name"],
                        topic.get("origin"),
                        {int(level): text for level, text in topic["levels"].items()},
                    )
                    for topic in area["topics"]
                ),
            )
            for area in data.get("areas", [])
        ),
        sections=tuple(_section(section) for section in data.get("sections", [])),
        credits=tuple((float(c["credit"]), c["name"]) for c in data.get("credits", [])),
        bands=tuple((b["above"], b["name"]) for b in data.get("bands", [])),
    )


def _section(section: Mapping[str, Any]) -> Section:
    if "groups" in section:
        groups = tuple(
            StatementGroup(group["id"], group["name"], _statements(group["statements"]))
            for group in section["groups"]
        )
    else:
        items = section.get("statements") or section.get("tests", [])
        groups = (StatementGroup(None, None, _statements(items)),)
    return Section(section["id"], section["name"], section.get("baseline", False), groups)


def _statements(items: list[Mapping[str, Any]]) -> tuple[Statement, ...]:
    return tuple(Statement(item["id"], item["text"]) for item in items)
