"""The conformity specification (001 §5.4.2.2, Tables 21-25) as validated values.

Conformity specification → dimensions → requirements → metrics → measurements. Every element
has ``id``, ``name``, ``comment``, ``confidential``, ``assessor``, ``assessment_interface`` and
``tags``; requirements add ``frequency``, ``severity`` and ``risks``; measurements add
``data_type``, ``comparison`` and ``target``. The pydantic models check the shape (and give the
JSON Schema of ``assay audit schema``); :func:`spec_problems` checks what a schema cannot: unique
ids, risk references, data type and comparison pairs, targets, assessment interfaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from assay.audit.comparisons import COMPARISONS, TargetError, prepare_target
from assay.audit.datatypes import DATA_TYPES

__all__ = [
    "SPEC_FORMAT",
    "Dimension",
    "Element",
    "Frequency",
    "Measurement",
    "Metric",
    "Path",
    "Requirement",
    "Risk",
    "Specification",
    "json_schema",
    "spec_problems",
    "walk",
    "walk_data",
]

SPEC_FORMAT = 1
Path = tuple[str | int, ...]
Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=100),
    Field(description="a unique id: lowercase letters, digits, '-', '_' or '.'"),
]
Interface = Annotated[
    str | dict[str, Any] | None,
    Field(
        description="where the value (or, with an assessor, the verdict) comes from: a short "
        "form such as 'file:metrics.json#holdout.accuracy' or {kind: ..., ...}",
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Element(_Strict):
    """The attributes every element of the hierarchy has (Tables 21-25)."""

    id: Slug
    name: str = Field(min_length=1)
    comment: str | None = None
    confidential: bool = Field(
        default=False,
        description="auditor and public reports show the outcome but not the value or comment",
    )
    assessor: str | None = Field(
        default=None,
        description="who assesses the element; none (the default) means automated. With an "
        "assessor, the element's verdict comes from its assessment_interface.",
    )
    assessment_interface: Interface = None
    tags: list[str] = Field(default_factory=list)

    @field_validator("assessment_interface", mode="before")
    @classmethod
    def _interface_shape(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str | dict):
            raise ValueError(
                "an assessment interface is a short form such as file:metrics.json#accuracy, "
                "or a mapping with a kind"
            )
        return value

    @field_validator("assessor", mode="before")
    @classmethod
    def _no_assessor(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
            return None
        return value

    @property
    def external(self) -> bool:
        """An assessor other than none gives this element's verdict."""
        return self.assessor is not None


class Measurement(Element):
    """A value compared with a target (Table 25)."""

    data_type: str = Field(default="numeric", description="numeric, ordinal, boolean, string")
    comparison: str = Field(description="less_than, in_range, … (or LessThan, InRange, …)")
    target: Any = Field(
        description="the value to compare with; [low, high] for in_range; a list for one_of; "
        "{baseline: TARGET, max_drop: X} to compare with a baseline target's last conformant "
        "value",
    )
    scale: list[Any] | None = Field(
        default=None, description="the ordered steps of an ordinal value, lowest first"
    )
    tolerance: float | None = Field(
        default=None, description="numeric slack for in_range, equal_to and not_equal_to"
    )
    select: str | None = Field(
        default=None,
        description="a JMESPath expression applied to the value the interface returns",
    )

    @field_validator("select")
    @classmethod
    def _jmespath(cls, expression: str | None) -> str | None:
        if expression is None:
            return None
        try:
            jmespath.compile(expression)
        except JMESPathError as error:
            detail = " ".join(str(error).split())[:200]
            raise ValueError(
                f"{expression[:80]!r} is not a JMESPath expression ({detail})"
            ) from None
        return expression


class Metric(Element):
    """A way to quantify a requirement (Table 24); its interface is its measurements' default."""

    measurements: list[Measurement] = Field(default_factory=list)


class Frequency(_Strict):
    """When a requirement is evaluated: every so often and/or on named events."""

    every: timedelta | None = Field(default=None, description="an ISO 8601 duration: PT1H, P1D")
    on: list[str] = Field(default_factory=list, description="events such as model_registered")


class Requirement(Element):
    """A criterion derived from a dimension and its risks (Table 23)."""

    frequency: Frequency | None = Field(
        default=None, description="an ISO 8601 duration (P1D) or {every: P1D, on: [events]}"
    )
    severity: Literal["blocking", "advisory"] = Field(
        default="blocking", description="advisory failures are reported but pass the verdict"
    )
    risks: list[str] = Field(default_factory=list, description="ids of the spec's risks")
    metrics: list[Metric] = Field(default_factory=list)

    @field_validator("frequency", mode="before", json_schema_input_type=str | Frequency | None)
    @classmethod
    def _duration_alone(cls, value: Any) -> Any:
        return {"every": value} if isinstance(value, str) else value

    @property
    def every(self) -> timedelta | None:
        """How old this requirement's evidence may be."""
        return self.frequency.every if self.frequency else None

    @property
    def events(self) -> list[str]:
        """The events that trigger this requirement."""
        return self.frequency.on if self.frequency else []


class Dimension(Element):
    """A quality dimension such as fairness or reliability (Table 22)."""

    requirements: list[Requirement] = Field(default_factory=list)


class Risk(_Strict):
    """A risk that requirements mitigate, for traceability."""

    id: Slug
    description: str = Field(min_length=1)
    severity: Literal["low", "medium", "high", "critical"] = "medium"


class Specification(Element):
    """A conformity specification (Table 21)."""

    spec: Literal[1] = Field(description="the format version of this file")
    version: str = Field(default="1", description="the specification's own version")
    target: str | None = Field(
        default=None, description="the system or model evaluated; --target overrides it"
    )
    risks: list[Risk] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the specification format, as published in
    docs/schemas/spec.schema.json."""
    document = Specification.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "assay conformity specification"
    return document


def walk(spec: Specification) -> Iterator[tuple[Path, Element]]:
    """Every element with its key path, parents before children, in file order."""
    yield (), spec
    for d, dimension in enumerate(spec.dimensions):
        d_path: Path = ("dimensions", d)
        yield d_path, dimension
        for r, requirement in enumerate(dimension.requirements):
            r_path = (*d_path, "requirements", r)
            yield r_path, requirement
            for m, metric in enumerate(requirement.metrics):
                m_path = (*r_path, "metrics", m)
                yield m_path, metric
                for n, measurement in enumerate(metric.measurements):
                    yield (*m_path, "measurements", n), measurement


_CHILDREN = {
    "spec": ("dimensions", "dimension"),
    "dimension": ("requirements", "requirement"),
    "requirement": ("metrics", "metric"),
    "metric": ("measurements", "measurement"),
}


def walk_data(data: Mapping[str, Any]) -> Iterator[tuple[Path, str, Mapping[str, Any]]]:
    """Every element of unvalidated spec data as ``(key path, kind, mapping)``, skipping what
    is not a mapping (the shape check reports those)."""

    def visit(path: Path, kind: str, element: Mapping[str, Any]) -> Iterator[Any]:
        yield path, kind, element
        if kind in _CHILDREN:
            key, child_kind = _CHILDREN[kind]
            children = element.get(key)
            for index, child in enumerate(children if isinstance(children, list) else []):
                if isinstance(child, Mapping):
                    yield from visit((*path, key, index), child_kind, child)

    yield from visit((), "spec", data)


def spec_problems(
    data: Mapping[str, Any], interface_problem: Callable[[str | dict[str, Any]], str | None]
) -> list[tuple[Path, str]]:
    """What is wrong beyond the shape, as ``(key path, problem)``, found in the unvalidated
    ``data`` so that they are listed together with the shape's problems: ids used twice,
    unknown risk references, unknown data types or comparisons, a comparison the data type
    cannot support, a target that does not fit, an interface that ``interface_problem`` refuses
    or one on an element that cannot use it."""
    problems: list[tuple[Path, str]] = []
    seen: set[str] = set()
    risks = data.get("risks")
    risk_ids = (
        {r.get("id") for r in risks if isinstance(r, Mapping)} if isinstance(risks, list) else set()
    )
    for path, kind, element in walk_data(data):
        identifier = element.get("id")
        if isinstance(identifier, str):
            if identifier in seen:
                problems.append(((*path, "id"), f"the id {identifier!r} is used twice"))
            seen.add(identifier)
        interface = element.get("assessment_interface")
        if isinstance(interface, str | dict):
            problem = interface_problem(interface)
            external = Element._no_assessor(element.get("assessor")) is not None
            if problem:
                problems.append(((*path, "assessment_interface"), problem))
            elif not external and kind not in ("metric", "measurement"):
                problems.append(
                    (
                        (*path, "assessment_interface"),
                        "only a metric, a measurement or an element with an assessor takes "
                        "an assessment_interface",
                    )
                )
        referenced = element.get("risks") if kind == "requirement" else None
        for i, risk in enumerate(referenced if isinstance(referenced, list) else []):
            if risk not in risk_ids:
                problems.append(((*path, "risks", i), f"no risk {risk!r} is declared under risks"))
        if kind == "measurement":
            try:
                measurement = Measurement.model_validate(element)
            except ValidationError:
                continue  # the shape check reports it
            problems += _measurement_problems(path, measurement)
    return problems


def _measurement_problems(path: Path, measurement: Measurement) -> list[tuple[Path, str]]:
    data_type = DATA_TYPES.get(measurement.data_type)
    comparison = COMPARISONS.get(measurement.comparison)
    problems: list[tuple[Path, str]] = []
    if data_type is None:
        known = ", ".join(DATA_TYPES.names())
        problem = f"unknown data type {measurement.data_type!r} (known: {known})"
        problems.append(((*path, "data_type"), problem))
    if comparison is None:
        known = ", ".join(COMPARISONS.names())
        problem = f"unknown comparison {measurement.comparison!r} (known: {known})"
        problems.append(((*path, "comparison"), problem))
    if data_type is None or comparison is None:
        return problems
    if data_type.needs_scale and not measurement.scale:
        return [((*path, "scale"), f"a {data_type.name} measurement needs its scale: [...]")]
    if measurement.scale and not data_type.needs_scale:
        return [((*path, "scale"), f"a {data_type.name} measurement has no scale")]
    if isinstance(measurement.target, dict):
        return [((*path, "target"), problem) for problem in _baseline_problems(measurement)]
    try:
        prepare_target(
            comparison,
            data_type,
            measurement.target,
            measurement.scale or [],
            measurement.tolerance,
        )
    except TargetError as error:
        where = "comparison" if "cannot compare" in str(error) else "target"
        problems.append(((*path, where), str(error)))
    return problems


BASELINE_CHANGES = ("max_drop", "max_rise", "max_relative_drop", "max_relative_rise")


def _baseline_problems(measurement: Measurement) -> list[str]:
    target = measurement.target
    unknown = sorted(set(target) - {"baseline", *BASELINE_CHANGES})
    if unknown or "baseline" not in target:
        return [
            "a relative target is {baseline: TARGET, max_drop|max_rise|max_relative_drop|"
            f"max_relative_rise: NUMBER}}{f'; unexpected {unknown}' if unknown else ''}"
        ]
    changes = [key for key in BASELINE_CHANGES if key in target]
    if len(changes) != 1:
        return [f"give exactly one of {', '.join(BASELINE_CHANGES)}"]
    allowed = target[changes[0]]
    if isinstance(allowed, bool) or not isinstance(allowed, int | float) or allowed < 0:
        return [f"{changes[0]} must be a number of at least 0"]
    if measurement.data_type != "numeric":
        return ["a relative target needs a numeric measurement"]
    wanted = "greater_or_equal" if "drop" in changes[0] else "less_or_equal"
    comparison = COMPARISONS.get(measurement.comparison)
    if comparison is None or comparison.name != wanted:
        return [f"{changes[0]} goes with comparison {wanted}"]
    return []
