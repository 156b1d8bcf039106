"""Loading the metric catalogs that ship with assay (DORA's tiers)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from assay.catalog.validation import raise_problems
from assay.errors import InvalidInputError
from assay.files.documents import load_document
from assay.metrics.planes import PlaneCatalog
from assay.metrics.prices import PriceTable
from assay.metrics.tiers import TierCatalog

__all__ = ["PRICES_EXPECTED", "dora_tiers", "load_prices", "plane_catalog"]

PRICES_EXPECTED = (
    "a price table: currency, and models as a list of {model, input, output} prices per "
    "million tokens (see src/assay/catalog/metrics/llm-prices.yaml)"
)


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


def load_prices(path: Path | None = None) -> PriceTable:
    """The price table in ``path``, or the one that ships with assay (``llm-prices.yaml``);
    :class:`InvalidInputError` naming each problem with its line."""
    # Imported here: the spec loader loads the collectors, and the metrics collector loads this.
    from assay.files.spec import shape_problems

    document = load_document(path or _catalog_file("llm-prices.yaml"))
    try:
        return PriceTable.model_validate(document.data)
    except ValidationError as error:
        raise_problems(document, shape_problems(document, error), expected=PRICES_EXPECTED)
        raise  # unreachable: there is at least one problem
