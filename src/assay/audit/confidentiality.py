"""Which parts of a specification, a run and a measurement are confidential: the one rule that
every place where data leaves assay applies (reports, API answers, pages, metrics) and that
the evidence ledger uses to seal values.

An element is *hidden* when it, an element above it or the whole specification is marked
``confidential``. Of a hidden element, readers without internal access learn its name, its
place and its outcome, but not:

- in a run (``audit.run``, reports): its value, target, tolerance, baseline value, comment,
  error and source;
- in a specification document: its comment, target, tolerance, scale, selector and assessment
  interface;
- in a measurement record (``audit.measurement``, pushed batches): its value, error, source
  and provenance; in an attestation: the value and the evidence links.

A confidential specification also hides its own comment. Functions here return *key paths*
(tuples of keys and list indexes) and touch no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Set
from typing import Any

from assay.audit.run_model import CHILD_KEY, ElementResult, RunModel

__all__ = [
    "REDACTED",
    "KeyPath",
    "hidden_elements",
    "hidden_run_elements",
    "hidden_run_paths",
    "hidden_spec_paths",
    "measurement_paths",
    "replace_at",
]

KeyPath = tuple[str | int, ...]
REDACTED = "[confidential]"

RUN_SECRET_KEYS = ("value", "target", "tolerance", "baseline_value", "comment", "error", "source")
SPEC_SECRET_KEYS = (
    "comment",
    "target",
    "tolerance",
    "scale",
    "select",
    "assessment_interface",
)
MEASUREMENT_SECRET_KEYS = ("value", "error", "source", "metadata")
ATTESTATION_SECRET_KEYS = ("value", "evidence")


def _elements(
    node: Mapping[str, Any], kind: str, path: KeyPath, hidden: bool
) -> Iterator[tuple[KeyPath, Mapping[str, Any], bool]]:
    """Every element below ``node`` (a spec document or run model of ``kind``) with its key
    path and whether it is hidden, parents first."""
    key = CHILD_KEY.get(kind)
    if not key:
        return
    children = node.get(key)
    child_kind = key.removesuffix("s")
    for index, child in enumerate(children if isinstance(children, list) else []):
        if not isinstance(child, Mapping):
            continue
        child_hidden = hidden or bool(child.get("confidential"))
        child_path = (*path, key, index)
        yield child_path, child, child_hidden
        yield from _elements(child, child_kind, child_path, child_hidden)


def _secret_paths(
    root: Mapping[str, Any], keys: tuple[str, ...], root_hidden: bool
) -> list[KeyPath]:
    paths: list[KeyPath] = []
    if root_hidden and root.get("comment") is not None:
        paths.append(("comment",))
    for path, node, hidden in _elements(root, "spec", (), root_hidden):
        if hidden:
            paths += [(*path, key) for key in keys if node.get(key) is not None]
    return paths


def hidden_spec_paths(document: Mapping[str, Any]) -> list[KeyPath]:
    """The key paths of a specification document's confidential values (see the module)."""
    return _secret_paths(document, SPEC_SECRET_KEYS, bool(document.get("confidential")))


def hidden_run_paths(model: Mapping[str, Any]) -> list[KeyPath]:
    """The key paths of a run model's confidential values (see the module)."""
    paths = _secret_paths(
        {"dimensions": model.get("dimensions") or []},
        RUN_SECRET_KEYS,
        bool(model.get("confidential")),
    )
    spec = model.get("spec")
    if model.get("confidential") and isinstance(spec, Mapping) and spec.get("comment"):
        paths.insert(0, ("spec", "comment"))
    return paths


def hidden_elements(document: Mapping[str, Any]) -> set[str]:
    """The ids of the hidden elements of a specification document."""
    hidden_root = bool(document.get("confidential"))
    return {
        str(node.get("id"))
        for _, node, hidden in _elements(document, "spec", (), hidden_root)
        if hidden
    }


def hidden_run_elements(run: RunModel) -> set[str]:
    """The ids of the hidden elements of a run."""
    hidden: set[str] = set()
    for dimension in run.dimensions:
        _hide(dimension, run.confidential, hidden)
    return hidden


def _hide(element: ElementResult, above: bool, hidden: set[str]) -> None:
    concealed = above or element.confidential
    if concealed:
        hidden.add(element.id)
    for child in element.children():
        _hide(child, concealed, hidden)


def measurement_paths(
    record: Mapping[str, Any], hidden: Set[str], keys: tuple[str, ...] = MEASUREMENT_SECRET_KEYS
) -> list[KeyPath]:
    """The key paths to hide in a record about one element (``element``) or several
    (``values: [{element, …}]``) when the elements are among ``hidden``."""
    if isinstance(record.get("values"), list):
        return [
            ("values", index, key)
            for index, item in enumerate(record["values"])
            if isinstance(item, Mapping) and item.get("element") in hidden
            for key in keys
            if item.get(key) is not None
        ]
    if record.get("element") not in hidden:
        return []
    return [(key,) for key in keys if record.get(key) is not None]


def replace_at(data: Mapping[str, Any], paths: list[KeyPath], replacement: Any) -> dict[str, Any]:
    """A copy of ``data`` with the value at each key path replaced by ``replacement``."""
    copied: dict[str, Any] = copy.deepcopy(dict(data))
    for path in paths:
        node: Any = copied
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = replacement
    return copied
