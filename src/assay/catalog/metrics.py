"""Loading the metric catalogs that ship with assay (DORA's tiers)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from assay.errors import InvalidInputError
from assay.files.documents import load_document
from assay.metrics.planes import PlaneCatalog
from assay.metrics.tiers import TierCatalog

__all__ = ["dora_tiers", "plane_catalog"]


def _catalog_file(name: str) -> Path:
    return Path(str(resources.files("assay.catalog").joinpath("metrics", name)))


@cache
def dora_tiers() -> TierCatalog:
    """DORA's performance clusters per report year, from ``catalog/metrics/dora-tiers.yaml``."""
    path = _catalog_file("dora-tiers.yaml")
    document = load_document(path)
    try:
        return TierCatalog.model_validate(document.data)
    except ValidationError as error:
        raise InvalidInputError(f"the tier catalog is invalid: {error}", source=str(path)) from None


@cache
def plane_catalog() -> PlaneCatalog:
    """The figures bearing on each plane of the AI-first framework (``planes.yaml``)."""
    path = _catalog_file("planes.yaml")
    try:
        return PlaneCatalog.model_validate(load_document(path).data)
    except ValidationError as error:
        raise InvalidInputError(
            f"the plane catalog is invalid: {error}", source=str(path)
        ) from None
