"""Walking the JSON model of an audit run (the tree of dimensions down to measurements)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CHILD_KEY", "children_of", "walk_model"]

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
