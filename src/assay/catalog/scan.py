"""Loading the scan's catalog: one probe definition per file in ``catalog/scan/probes``, the
capability map and the AI-ethics metric typology."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from assay.catalog.validation import raise_problems, validate_document
from assay.files.documents import load_document
from assay.scan.definitions import (
    CapabilityCatalog,
    ProbeDefinition,
    capability_catalog_from_data,
    definition_from_data,
)

__all__ = ["capability_catalog", "ethics_categories", "ethics_mapping", "probe_definitions"]

_EXPECTED = "a probe definition as described in docs/scan.md"


def _scan_dir() -> Path:
    return Path(str(resources.files("assay.catalog").joinpath("scan")))


@cache
def probe_definitions() -> tuple[ProbeDefinition, ...]:
    """Every probe definition, sorted by id; each file is checked against its schema and must be
    named after its id."""
    definitions = []
    for path in sorted((_scan_dir() / "probes").glob("*.yaml")):
        document = load_document(path)
        validate_document(document, "scan-probe", expected=_EXPECTED)
        if document.data["id"] != path.stem:
            raise_problems(
                document,
                [(("id",), f"is {document.data['id']!r}; expected the file's name {path.stem!r}")],
                expected=_EXPECTED,
            )
        definitions.append(definition_from_data(document.data))
    return tuple(definitions)


@cache
def capability_catalog() -> CapabilityCatalog:
    """The eighteen IML4E capabilities and the tool mapping."""
    return capability_catalog_from_data(load_document(_scan_dir() / "capabilities.yaml").data)


@cache
def ethics_categories() -> tuple[dict[str, Any], ...]:
    """The seven categories of the AI-ethics metric typology (id, name, description)."""
    return tuple(load_document(_scan_dir() / "ethics.yaml").data["categories"])


@cache
def ethics_mapping() -> dict[str, Any]:
    """How measurements fall into the typology's categories by their interface."""
    data = load_document(_scan_dir() / "ethics.yaml").data
    return {key: data[key] for key in ("probe_families", "collectors", "metric_prefixes")}
