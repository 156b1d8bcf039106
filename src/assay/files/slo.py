"""Reading an SLO file (YAML or JSON; its schema is docs/schemas/slo.schema.json)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from assay.catalog.validation import raise_problems
from assay.files.documents import load_document
from assay.files.spec import shape_problems
from assay.metrics.slo import SloFile

__all__ = ["EXPECTED", "load_slo_file"]

EXPECTED = "an SLO file as docs/alerts.md describes (schema: docs/schemas/slo.schema.json)"


def load_slo_file(path: Path) -> SloFile:
    """The SLOs, correlation rules, actions and routes in ``path``; every problem is named
    with its line and key path."""
    document = load_document(path)
    try:
        return SloFile.model_validate(document.data)
    except ValidationError as error:
        raise_problems(document, shape_problems(document, error), expected=EXPECTED)
        raise  # unreachable: there is at least one problem
