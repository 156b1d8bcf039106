"""A run as JUnit XML: a test suite per requirement, a test case per measurement (or per
element an assessor or a person judges), so CI systems show the audit as tests."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any

from assay.reports.audit_json import children_of, walk_model
from assay.reports.wording import shortfall, show, target_text

__all__ = ["junit_xml"]


def _leaves(node: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    """The judged elements at or below ``node``: those without children (measurements, and
    elements that an assessor or a person judges)."""
    return [
        child for child_kind, child in walk_model(node, kind) if not children_of(child, child_kind)
    ]


def junit_xml(model: Mapping[str, Any]) -> str:
    """The JUnit XML document of a run model (see :mod:`assay.reports.audit_json`)."""
    suites = ElementTree.Element("testsuites", name=f"assay audit {model['spec']['id']}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for dimension in model["dimensions"]:
        for requirement in dimension.get("requirements", []):
            suite = ElementTree.SubElement(
                suites, "testsuite", name=f"{dimension['id']}.{requirement['id']}"
            )
            counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            cases = _leaves(requirement, "requirement")
            advisory = requirement.get("severity") == "advisory"
            for case in cases:
                counts["tests"] += 1
                name = case["id"] + (" (advisory)" if advisory else "")
                element = ElementTree.SubElement(
                    suite,
                    "testcase",
                    name=name,
                    classname=f"{model['spec']['id']}.{requirement['id']}",
                )
                detail = _detail(case)
                outcome = case["outcome"]
                if outcome == "fail":
                    counts["failures"] += 1
                    ElementTree.SubElement(element, "failure", message=detail).text = detail
                elif outcome in ("error", "stale"):
                    counts["errors"] += 1
                    message = f"{outcome}: {case.get('error') or ''}".strip()
                    ElementTree.SubElement(element, "error", message=message).text = message
                elif outcome == "waived":
                    counts["skipped"] += 1
                    waiver = case.get("waiver") or {}
                    message = (
                        f"waived by {waiver.get('by')} until {waiver.get('expires')}: "
                        f"{waiver.get('justification')}"
                    )
                    ElementTree.SubElement(element, "skipped", message=message)
                ElementTree.SubElement(element, "system-out").text = detail
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _detail(case: Mapping[str, Any]) -> str:
    if "comparison" in case:
        if case["outcome"] == "fail":
            return f"{shortfall(case)} (source: {case.get('source') or 'none'})"
        return (
            f"value {show(case.get('value'))} against the target {target_text(case)}"
            f" (source: {case.get('source') or 'none'})"
        )
    return f"verdict {case.get('value')!r} (source: {case.get('source') or 'none'})"
