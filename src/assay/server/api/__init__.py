"""The Audit API under ``/api/v1``: specs, targets, runs, evidence, reports, verdicts, ledger,
certificates and tokens, each guarded by the roles of 001 §5.4.1.2 (plus admin), one module per
resource."""

from assay.server.api import (
    certificates,
    evidence,
    ledger,
    metrics,
    runs,
    specs,
    targets,
    tokens,
    verdicts,
)
from assay.server.api.common import loaded_for, loaded_for_version, run_summary

ROUTERS = (
    specs.router,
    targets.router,
    runs.router,
    evidence.router,
    verdicts.router,
    ledger.router,
    certificates.router,
    tokens.router,
    metrics.router,
)

__all__ = ["ROUTERS", "loaded_for", "loaded_for_version", "run_summary"]
