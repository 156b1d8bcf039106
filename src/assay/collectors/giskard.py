"""``giskard``: issues found by a Giskard scan, from its JSON report
(``giskard.scan(model, dataset).to_json(PATH)``: ``{detector: {severity: [issue, …]}}``).

The value is the number of issues, of every detector or of ``detector``
(``PerformanceBiasDetector``, or without the suffix: ``PerformanceBias``), and of every
severity or of ``severity`` (``major``, ``medium``, ``minor``). A detector that did not run is
an error, unlike one that ran and found nothing (0).

Short form: ``giskard:PATH[#DETECTOR[/SEVERITY]]`` (``giskard:scan.json#/major`` counts the
major issues of every detector).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from assay.collectors.base import CollectContext, CollectionError, Parameters
from assay.collectors.file import ReadsSpecFile, read_json

__all__ = ["GiskardCollector", "GiskardParameters", "giskard_issues"]


class GiskardParameters(Parameters):
    """See the module docstring."""

    path: str = Field(min_length=1)
    detector: str | None = Field(default=None, min_length=1)
    severity: Literal["major", "medium", "minor"] | None = None


def giskard_issues(report: Any, detector: str | None, severity: str | None, shown: str) -> int:
    """How many issues of ``detector`` and ``severity`` (None: all) the report lists."""
    if not isinstance(report, Mapping) or not all(
        isinstance(levels, Mapping) for levels in report.values()
    ):
        raise CollectionError(
            f"{shown} is not a Giskard scan report ({{detector: {{severity: [issues]}}}}, "
            "written by ScanReport.to_json)"
        )
    chosen = dict(report)
    if detector is not None:
        wanted = {detector, f"{detector}Detector"}
        chosen = {name: levels for name, levels in report.items() if name in wanted}
        if not chosen:
            raise CollectionError(
                f"{shown}: the detector {detector} did not run (the scan ran "
                f"{', '.join(report) or 'none'})"
            )
    return sum(
        len(issues) if isinstance(issues, list) else 0
        for levels in chosen.values()
        for level, issues in levels.items()
        if severity is None or level == severity
    )


class GiskardCollector(ReadsSpecFile):
    """Counts the issues of a Giskard scan report beside the spec."""

    kind: ClassVar[str] = "giskard"
    parameters: ClassVar[type[Parameters]] = GiskardParameters

    def collect(self, parameters: GiskardParameters, context: CollectContext) -> Any:
        """The number of issues (see the module docstring)."""
        shown, report = read_json(parameters.path, context)
        return giskard_issues(report, parameters.detector, parameters.severity, shown)

    def describe(self, parameters: GiskardParameters) -> str:
        """``giskard:PATH#DETECTOR/SEVERITY``."""
        if parameters.detector is None and parameters.severity is None:
            return f"giskard:{parameters.path}"
        tail = parameters.detector or ""
        if parameters.severity:
            tail += f"/{parameters.severity}"
        return f"giskard:{parameters.path}#{tail}"
