"""Which test items of the testing methodology a specification covers with automated
measurements — the gap list a test manager asks for. No I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from assay.audit.spec import Measurement, Metric, Specification, walk

__all__ = [
    "ETHICS_TAG",
    "ItemCoverage",
    "Methodology",
    "Phase",
    "TestItem",
    "automated_measurements",
    "coverage",
    "ethics_coverage",
    "methodology_from_data",
]

ETHICS_TAG = "ethics:"


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


def automated_measurements(
    spec: Specification,
) -> Iterator[tuple[Measurement, str | dict[str, Any] | None, set[str]]]:
    """Every measurement with its assessment interface (its own, else its metric's) and the
    tags of it and its ancestors."""
    ancestors: list[tuple[tuple[str | int, ...], list[str]]] = []
    metric_interface: str | dict[str, Any] | None = None
    for path, element in walk(spec):
        ancestors = [(p, tags) for p, tags in ancestors if path[: len(p)] == p]
        ancestors.append((path, list(element.tags)))
        if isinstance(element, Metric):
            metric_interface = element.assessment_interface
        if isinstance(element, Measurement):
            tags = {tag for _, found in ancestors for tag in found}
            yield element, element.assessment_interface or metric_interface, tags


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
    for measurement, interface, tags in automated_measurements(spec):
        if interface is None:
            continue
        for item in set(items_of_interface(interface)) | tags:
            covering.setdefault(item, []).append(measurement.id)
    return [
        ItemCoverage(phase.id, item, tuple(covering.get(item.id, ())))
        for phase in methodology.phases
        for item in phase.items
    ]


def ethics_coverage(
    spec: Specification,
    categories: tuple[str, ...],
    categories_of_interface: Callable[[str | dict[str, Any]], tuple[str, ...]],
) -> dict[str, tuple[str, ...]]:
    """Per category of the AI-ethics metric typology (IML4E D4.4 §5.1), the automated
    measurements that measure it: by their interface (``categories_of_interface``) and by
    ``ethics:CATEGORY`` tags on the measurement or its ancestors."""
    covering: dict[str, list[str]] = {category: [] for category in categories}
    for measurement, interface, tags in automated_measurements(spec):
        found = set(categories_of_interface(interface)) if interface is not None else set()
        found |= {tag.removeprefix(ETHICS_TAG) for tag in tags if tag.startswith(ETHICS_TAG)}
        for category in sorted(found & set(categories)):
            covering[category].append(measurement.id)
    return {category: tuple(ids) for category, ids in covering.items()}
