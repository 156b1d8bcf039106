"""The probe functions, one per probe definition in ``catalog/scan/probes``; each reads a
:class:`~assay.scan.context.ScanContext` and returns a :class:`~assay.scan.findings.Finding`."""

from __future__ import annotations

from collections.abc import Callable

from assay.scan.context import ScanContext
from assay.scan.findings import Finding

__all__ = ["MAX_EVIDENCE", "PROBES", "ProbeFunction", "probe"]

ProbeFunction = Callable[[ScanContext], Finding]
PROBES: dict[str, ProbeFunction] = {}
MAX_EVIDENCE = 5  # places shown per finding; the reason says how many there were


def probe(probe_id: str) -> Callable[[ProbeFunction], ProbeFunction]:
    """Register the function that answers probe ``probe_id``."""

    def register(function: ProbeFunction) -> ProbeFunction:
        if probe_id in PROBES:
            raise ValueError(f"probe {probe_id!r} is registered twice")
        PROBES[probe_id] = function
        return function

    return register


def load_all() -> dict[str, ProbeFunction]:
    """Every registered probe function (importing the modules that define them)."""
    from assay.scan.probes import (  # noqa: F401  (registering is the import's effect)
        code,
        containers,
        data,
        documentation,
        mlflow_server,
        operations,
        pipelines,
        supply_chain,
    )

    return PROBES
