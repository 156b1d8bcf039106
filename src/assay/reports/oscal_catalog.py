"""A maturity framework as an NIST OSCAL 1.2.1 catalog (JSON), so compliance tooling can map
its controls: each area or section a group, each topic or statement a control (a framework that
is a scale only has its levels as controls). A level topic
carries one ``assessment-objective`` part per described level (its name and what the source
says of it); a checklist statement a ``statement`` part with its text. The source and its
terms are cited in the back matter. No I/O; UUIDs are uuid5s of the framework's id and version.
"""

from __future__ import annotations

from typing import Any

from assay.maturity.frameworks import Area, Framework, Section
from assay.reports.oscal import ASSAY_NS, OSCAL_VERSION, token, uuid_of

__all__ = ["framework_catalog"]


def _level_control(
    framework: Framework, topic_id: str, name: str, descriptors: dict[int, str]
) -> dict[str, Any]:
    control_id = token(topic_id)
    parts = [
        {
            "id": f"{control_id}_level{level}",
            "name": "assessment-objective",
            "title": f"Level {level}: {framework.level_name(level)}",
            "props": [{"name": "level", "ns": ASSAY_NS, "value": str(level)}],
            "prose": text,
        }
        for level, text in sorted(descriptors.items())
    ]
    control: dict[str, Any] = {"id": control_id, "title": name}
    if parts:
        control["parts"] = parts
    return control


def _area_group(framework: Framework, area: Area) -> dict[str, Any]:
    return {
        "id": token(area.id),
        "title": area.name,
        "controls": [
            _level_control(framework, topic.id, topic.name, dict(topic.descriptors))
            for topic in area.topics
        ],
    }


def _section_group(section: Section) -> dict[str, Any]:
    controls = []
    for group in section.groups:
        for statement in group.statements:
            control: dict[str, Any] = {
                "id": token(statement.id),
                "title": statement.text if len(statement.text) <= 120 else statement.id,
                "parts": [
                    {
                        "id": f"{token(statement.id)}_smt",
                        "name": "statement",
                        "prose": statement.text,
                    }
                ],
            }
            if group.name:
                control["props"] = [{"name": "subgroup", "ns": ASSAY_NS, "value": group.name}]
            controls.append(control)
    return {
        "id": token(section.id),
        "title": section.name,
        "props": [{"name": "baseline", "ns": ASSAY_NS, "value": str(section.baseline).lower()}],
        "controls": controls,
    }


def _scale_group(framework: Framework) -> dict[str, Any]:
    return {
        "id": "levels",
        "title": f"{framework.name}: levels",
        "controls": [
            {
                "id": f"level{step.level}",
                "title": f"Level {step.level}: {step.name}",
                "parts": [
                    {"id": f"level{step.level}_smt", "name": "statement", "prose": step.summary}
                ],
            }
            for step in framework.scale
        ],
    }


def framework_catalog(framework: Framework, modified: str, tool_version: str) -> dict[str, Any]:
    """The catalog of ``framework``, last modified at ``modified`` (an RFC 3339 time)."""
    source = uuid_of("source", framework.id, framework.version)
    groups = [_area_group(framework, area) for area in framework.areas] + [
        _section_group(section) for section in framework.sections
    ]
    if not groups:  # a scale only (Microsoft's levels): the levels are what is assessed
        groups = [_scale_group(framework)]
    return {
        "catalog": {
            "uuid": uuid_of("catalog", framework.id, framework.version),
            "metadata": {
                "title": framework.name,
                "last-modified": modified,
                "version": framework.version,
                "oscal-version": OSCAL_VERSION,
                "props": [
                    {"name": "generator", "ns": ASSAY_NS, "value": f"assay {tool_version}"},
                    {"name": "framework-kind", "ns": ASSAY_NS, "value": framework.kind.value},
                ],
                "links": [{"href": f"#{source}", "rel": "reference"}],
                "remarks": "Rewritten in assay's own words from the source named in the back "
                "matter; faithful in meaning.",
            },
            "groups": groups,
            "back-matter": {
                "resources": [
                    {
                        "uuid": source,
                        "title": framework.source.title,
                        "citation": {"text": framework.source.attribution},
                    }
                ]
            },
        }
    }
