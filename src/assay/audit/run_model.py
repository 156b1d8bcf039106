"""The model of an audit run: what ``assay audit run --format json`` prints, what the
``audit.run`` ledger entry holds, and what reports, the API and the dashboard read.

:class:`RunModel` is the typed form every reader uses; :meth:`RunModel.payload` is its JSON (the
ledger's and the API's form), with exactly the keys that were given — a measurement has
``target`` and ``comparison``, a requirement ``severity`` and ``risks``, an element with an
assessor ``assessor`` — so that a payload read and written again is the same payload. The
walking helpers at the end work on that JSON form, for what operates on JSON by key path
(confidentiality, sealing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CHILD_KEY",
    "DimensionResult",
    "ElementResult",
    "LedgerRange",
    "MeasurementResult",
    "MetricResult",
    "PreviousRun",
    "RequirementResult",
    "RunModel",
    "SpecReference",
    "WaiverRecord",
    "children_of",
    "element_rows",
    "walk_model",
]


class _Part(BaseModel):
    # Keys a later assay adds are kept, so an older reader passes them through unchanged.
    model_config = ConfigDict(extra="allow")


class WaiverRecord(_Part):
    """A waiver applied to a failed element: who granted it, why, until when."""

    by: str
    justification: str
    expires: str
    granted: str


class ElementResult(_Part):
    """One element's outcome, with what it was judged on (leaves: the value, its source and
    when it was collected or attested; any element: an error, a waiver)."""

    kind: ClassVar[str] = "element"
    depth: ClassVar[int] = 0

    id: str
    name: str
    outcome: str
    confidential: bool = False
    comment: Any = None
    assessor: str | None = None
    value: Any = None
    error: Any = None
    source: Any = None
    collected_at: Any = None
    attested_by: Any = None
    waiver: WaiverRecord | None = None

    def children(self) -> Sequence[ElementResult]:
        """The elements directly below this one."""
        return ()

    def walk(self) -> Iterator[ElementResult]:
        """This element and every one below it, parents first."""
        yield self
        for child in self.children():
            yield from child.walk()

    @property
    def is_leaf(self) -> bool:
        """Judged by its own value (a measurement, or an element with nothing below it)."""
        return not self.children()


class MeasurementResult(ElementResult):
    """A measurement's outcome: its value against its target."""

    kind: ClassVar[str] = "measurement"
    depth: ClassVar[int] = 3

    # Any: an auditor's view holds "[confidential]" where a confidential number was.
    target: Any = None
    comparison: str | None = None
    data_type: str | None = None
    tolerance: Any = None
    baseline: str | None = None
    baseline_value: Any = None


class MetricResult(ElementResult):
    """A metric's outcome, from its measurements'."""

    kind: ClassVar[str] = "metric"
    depth: ClassVar[int] = 2

    measurements: list[MeasurementResult] = Field(default_factory=list)

    def children(self) -> Sequence[ElementResult]:
        """Its measurements."""
        return self.measurements


class RequirementResult(ElementResult):
    """A requirement's outcome, from its metrics'; advisory ones never fail the verdict."""

    kind: ClassVar[str] = "requirement"
    depth: ClassVar[int] = 1

    severity: str = "blocking"
    risks: list[str] = Field(default_factory=list)
    metrics: list[MetricResult] = Field(default_factory=list)

    def children(self) -> Sequence[ElementResult]:
        """Its metrics."""
        return self.metrics

    def leaves(self) -> list[ElementResult]:
        """The elements judged by their own value: its measurements, or itself when nothing
        is below it (an attested requirement)."""
        return [element for element in self.walk() if element.is_leaf]


class DimensionResult(ElementResult):
    """A quality dimension's outcome, from its requirements'."""

    kind: ClassVar[str] = "dimension"
    depth: ClassVar[int] = 0

    requirements: list[RequirementResult] = Field(default_factory=list)

    def children(self) -> Sequence[ElementResult]:
        """Its requirements."""
        return self.requirements


class SpecReference(_Part):
    """Which specification, in which content, a run evaluated."""

    id: str
    name: str | None = None
    version: str | None = None
    hash: str
    comment: Any = None


class PreviousRun(_Part):
    """The run of the same spec and target before this one, in brief."""

    run_id: str
    verdict: str
    finished: str
    dimensions: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of_payload(cls, payload: Mapping[str, Any]) -> PreviousRun:
        """The brief of a stored run's payload, read without validating the whole run (a
        next run needs only this). Where the brief's fields are missing or of another shape,
        the ValidationError that :meth:`RunModel.from_payload` raises."""
        try:
            dimensions = {part["id"]: part["outcome"] for part in payload["dimensions"]}
            brief = {key: payload[key] for key in ("run_id", "verdict", "finished")}
        except (KeyError, TypeError):
            return RunModel.from_payload(payload).brief()
        return cls.model_validate({**brief, "dimensions": dimensions})


class LedgerRange(_Part):
    """The ledger entries a run was stored in."""

    first: int
    last: int


class RunModel(_Part):
    """An audit run: what was evaluated on which target, when, the verdict and the outcome of
    every element, what started it, the run before it and where it is in the ledger."""

    run_id: str
    spec: SpecReference
    target: str
    verdict: str
    confidential: bool = False
    started: str
    finished: str
    evidence_lifetime_seconds: float | None = None
    dimensions: list[DimensionResult] = Field(default_factory=list)
    trigger: dict[str, Any] | None = None
    previous: PreviousRun | None = None
    ledger: LedgerRange | None = None
    seq: int | None = Field(
        default=None, description="the ledger entry holding the run, when read from the ledger"
    )

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], seq: int | None = None) -> RunModel:
        """The run a payload (a ledger entry's, a JSON output's) holds."""
        model = cls.model_validate(payload)
        if seq is not None:
            model.seq = seq
        return model

    def brief(self) -> PreviousRun:
        """The run as its successor records it (``previous``)."""
        return PreviousRun(
            run_id=self.run_id,
            verdict=self.verdict,
            finished=self.finished,
            dimensions={dimension.id: dimension.outcome for dimension in self.dimensions},
        )

    def payload(self) -> dict[str, Any]:
        """The run as JSON, with the keys it was given (``seq`` only when it was given)."""
        return self.model_dump(mode="json", exclude_unset=True)

    def elements(self) -> Iterator[ElementResult]:
        """Every element from the dimensions down, parents first."""
        for dimension in self.dimensions:
            yield from dimension.walk()

    def measurements(self) -> Iterator[MeasurementResult]:
        """Every measurement, in order."""
        for element in self.elements():
            if isinstance(element, MeasurementResult):
                yield element


# --- the JSON form, walked by key ---------------------------------------------------------------

CHILD_KEY = {
    "spec": "dimensions",
    "dimension": "requirements",
    "requirement": "metrics",
    "metric": "measurements",
}


def children_of(node: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    """The child elements of a JSON node of ``kind`` (none for a measurement)."""
    key = CHILD_KEY.get(kind)
    return list(node.get(key) or []) if key else []


def walk_model(node: Mapping[str, Any], kind: str = "spec") -> list[tuple[str, Mapping[str, Any]]]:
    """Every element of a run's JSON (from its root) as ``(kind, node)``, parents first."""
    found: list[tuple[str, Mapping[str, Any]]] = [(kind, node)]
    key = CHILD_KEY.get(kind)
    if key:
        child_kind = key.removesuffix("s")
        for child in node.get(key, []):
            found += walk_model(child, child_kind)
    return found


def element_rows(
    dimensions: Sequence[Mapping[str, Any]],
) -> Iterator[tuple[str, Mapping[str, Any], int]]:
    """Every element of a run's JSON from the dimensions down as ``(kind, node, depth)``,
    parents first; dimensions have depth 0."""
    for dimension in dimensions:
        for kind, node in walk_model(dimension, "dimension"):
            yield kind, node, _DEPTH[kind]


_DEPTH = {"dimension": 0, "requirement": 1, "metric": 2, "measurement": 3}
