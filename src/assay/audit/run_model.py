"""Walking the JSON model of an audit run (the tree of dimensions down to measurements)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["CHILD_KEY", "children_of", "element_rows", "walk_model"]

CHILD_KEY = {
    "spec": "dimensions",
    "dimension": "requirements",
    "requirement": "metrics",
    "metric": "measurements",
}


def children_of(node: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    """The child elements of a model node of ``kind`` (none for a measurement)."""
    key = CHILD_KEY.get(kind)
    return list(node.get(key) or []) if key else []


def walk_model(node: Mapping[str, Any], kind: str = "spec") -> list[tuple[str, Mapping[str, Any]]]:
    """Every element of a run model (from its root) as ``(kind, node)``, parents first."""
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
    """Every element from the dimensions down as ``(kind, node, depth)``, parents first;
    dimensions have depth 0."""
    for dimension in dimensions:
        for kind, node in walk_model(dimension, "dimension"):
            yield kind, node, _DEPTH[kind]


_DEPTH = {"dimension": 0, "requirement": 1, "metric": 2, "measurement": 3}
