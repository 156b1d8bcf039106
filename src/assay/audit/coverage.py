"""Which test items of the testing methodology a specification covers with automated
measurements — the gap list a test manager asks for. No I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assay.audit.spec import Measurement, Metric, Specification, walk

__all__ = ["ItemCoverage", "Methodology", "Phase", "TestItem", "coverage", "methodology_from_data"]


@dataclass(frozen=True)
class TestItem:
    """A work product to test: what accepts it and how it is tested."""

    id: str
    name: str
    acceptance: tuple[str, ...]
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Phase:
    """A phase of the life cycle and its test items."""

    id: str
    name: str
    items: tuple[TestItem, ...]


@dataclass(frozen=True)
class Methodology:
    """The testing methodology: its phases in order, and where it comes from."""

    id: str
    name: str
    source: str
    phases: tuple[Phase, ...]


def methodology_from_data(data: Mapping[str, Any]) -> Methodology:
    """Build the methodology from its catalog data (``catalog/testing.yaml``)."""
    return Methodology(
        data["id"],
        data["name"],
        data["source"]["title"],
        tuple(
            Phase(
                phase["id"],
                phase["name"],
                tuple(
                    TestItem(
                        item["id"], item["name"], tuple(item["acceptance"]), tuple(item["tests"])
                    )
                    for item in phase["items"]
                ),
            )
            for phase in data["phases"]
        ),
    )


@dataclass(frozen=True)
class ItemCoverage:
    """A test item and the automated measurements of the spec that cover it."""

    phase: str
    item: TestItem
    measurements: tuple[str, ...]

    @property
    def covered(self) -> bool:
        """At least one automated measurement covers the item."""
        return bool(self.measurements)


def coverage(
    spec: Specification,
    methodology: Methodology,
    items_of_interface: Callable[[str | dict[str, Any]], tuple[str, ...]],
) -> list[ItemCoverage]:
    """Per test item, the measurements that cover it: a measurement with an assessment
    interface (its own or its metric's) covers the items its interface serves (a probe
    declares them; ``items_of_interface`` says which) and the item ids among its own tags and
    its ancestors' tags."""
    covering: dict[str, list[str]] = {}
    ancestors: list[tuple[tuple[str | int, ...], list[str]]] = []
    metric_interface: str | dict[str, Any] | None = None
    for path, element in walk(spec):
        ancestors = [(p, tags) for p, tags in ancestors if path[: len(p)] == p]
        ancestors.append((path, list(element.tags)))
        if isinstance(element, Metric):
            metric_interface = element.assessment_interface
        if not isinstance(element, Measurement):
            continue
        interface = element.assessment_interface or metric_interface
        if interface is None:
            continue
        served = set(items_of_interface(interface))
        served |= {tag for _, tags in ancestors for tag in tags}
        for item in served:
            covering.setdefault(item, []).append(element.id)
    return [
        ItemCoverage(phase.id, item, tuple(covering.get(item.id, ())))
        for phase in methodology.phases
        for item in phase.items
    ]
