"""Reading a conformity specification file (YAML or JSON) and checking all of it at once."""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from assay.audit.confidentiality import hidden_elements
from assay.audit.spec import Specification, spec_problems, walk_data
from assay.catalog.validation import DocumentInvalidError, raise_problems
from assay.collectors import interface_problem
from assay.collectors.base import confinement_problem
from assay.collectors.confinement import Confinement
from assay.files.documents import LoadedDocument, load_document, parse_document
from assay.integrations.plugins import load_plugins
from assay.store.canonical import canonical_json

__all__ = ["LoadedSpec", "check_spec", "load_spec", "shape_problems", "spec_from_text"]

EXPECTED = "a specification as described in docs/audit.md (assay audit schema writes its schema)"


@dataclass(frozen=True)
class LoadedSpec:
    """A checked specification, where it was read from and the hash of its content."""

    spec: Specification
    path: Path
    hash: str
    data: dict[str, Any]

    @cached_property
    def hidden(self) -> frozenset[str]:
        """The ids of the spec's hidden (confidential) elements, found once per loaded spec."""
        return frozenset(hidden_elements(self.data))

    @property
    def base_dir(self) -> Path:
        """The directory that relative paths in the spec start from."""
        return self.path.resolve().parent


def load_spec(path: Path) -> LoadedSpec:
    """Read, validate and check the specification at ``path``. Raises
    :class:`~assay.errors.InvalidInputError` listing every problem with its line and key path."""
    return check_spec(load_document(path), path)


def spec_from_text(
    text: str, source: str, base_dir: Path, confinement: Confinement | None = None
) -> LoadedSpec:
    """Validate and check a specification given as YAML or JSON text (an upload, or a version
    kept in the ledger); relative paths in it start at ``base_dir``. With a ``confinement``
    (an upload to the server), an interface it refuses is a problem too. Raises as
    :func:`load_spec` does, naming ``source``."""
    return check_spec(parse_document(text, source), base_dir / "spec.yaml", confinement)


def check_spec(
    document: LoadedDocument, path: Path, confinement: Confinement | None = None
) -> LoadedSpec:
    """Validate and check a parsed specification document that stands for the file ``path``
    (against ``confinement`` too, when given)."""
    load_plugins()
    if not isinstance(document.data, dict):
        raise DocumentInvalidError(
            document.source, ["line 1: the document is not a mapping"], expected=EXPECTED
        )
    problems = spec_problems(document.data, interface_problem)
    problems += _non_finite(document.data, ())
    if confinement is not None:
        problems += _confinement_problems(document.data, confinement)
    try:
        spec = Specification.model_validate(document.data)
    except ValidationError as error:
        raise_problems(document, shape_problems(document, error) + problems, expected=EXPECTED)
        raise  # unreachable: there is at least one problem
    raise_problems(document, problems, expected=EXPECTED)
    content = canonical_json(document.data)
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    return LoadedSpec(spec, path, digest, document.data)


def _non_finite(data: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every number that is NaN or infinite (``.inf``, ``.nan`` in YAML): never a target, a
    tolerance or anything else a spec may hold."""
    if isinstance(data, float) and not math.isfinite(data):
        return [(path, f"{data!r} is not a finite number")]
    if isinstance(data, dict):
        return [p for key, item in data.items() for p in _non_finite(item, (*path, str(key)))]
    if isinstance(data, list):
        return [p for index, item in enumerate(data) for p in _non_finite(item, (*path, index))]
    return []


def _confinement_problems(
    data: dict[str, Any], confinement: Confinement
) -> list[tuple[tuple[str | int, ...], str]]:
    """What the server refuses to do for this spec (see :mod:`assay.collectors.confinement`)."""
    environ = confinement.environment(os.environ)
    problems = []
    for path, _, element in walk_data(data):
        interface = element.get("assessment_interface")
        if isinstance(interface, str | dict):
            problem = confinement_problem(interface, confinement, environ)
            if problem:
                problems.append(((*path, "assessment_interface"), problem))
    return problems


def shape_problems(
    document: LoadedDocument, error: ValidationError
) -> list[tuple[tuple[str | int, ...], str]]:
    """Each problem pydantic found in ``document``, as (key path in the data, message), once."""
    problems = []
    seen = set()
    for item in error.errors():
        path = _data_path(document.data, item["loc"])
        message = _message(item)
        if (path, message) not in seen:
            seen.add((path, message))
            problems.append((path, message))
    return problems


def _data_path(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """The part of a pydantic location that exists in the data, plus a missing key at its end
    (pydantic adds type names for union members, which are not keys)."""
    path: list[str | int] = []
    current = data
    for item in loc:
        if isinstance(current, dict) and isinstance(item, str):
            path.append(item)
            if item not in current:
                break
            current = current[item]
        elif isinstance(current, list) and isinstance(item, int) and 0 <= item < len(current):
            path.append(item)
            current = current[item]
        else:
            break
    return tuple(path)


def _message(item: Any) -> str:
    kind, message = item["type"], str(item["msg"])
    if kind == "missing":
        return "this key is required"
    if kind == "extra_forbidden":
        return "unexpected key"
    if kind.startswith("time_delta"):
        return f"{item['input']!r} is not an ISO 8601 duration such as PT1H, P1D or P90D"
    if kind == "literal_error" and item["loc"] == ("spec",):
        return f"format version {item['input']!r} is not supported; expected spec: 1"
    return message.removeprefix("Value error, ")
