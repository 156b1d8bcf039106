"""Scan overrides (``scan.override`` entries) and scanned maturity rounds in the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assay.names import check_name
from assay.scan.overrides import OVERRIDE_KIND, Override
from assay.store.chain import LedgerEntry
from assay.store.ledger import Ledger
from assay.store.rounds import append_round

__all__ = ["load_overrides", "record_override", "save_scan_round"]


def record_override(ledger: Ledger, override: Override) -> LedgerEntry:
    """Append ``override`` to the ledger and return its entry."""
    check_name(override.project, source="--project", what="project name")
    (entry,) = ledger.append_many([(OVERRIDE_KIND, override.to_payload())])
    return entry


def load_overrides(ledger: Ledger, project: str) -> list[Override]:
    """Every override recorded for ``project``, oldest first."""
    return [
        Override.from_payload(entry.content, entry.seq, entry.ts)
        for entry in ledger.entries(kind=OVERRIDE_KIND)
        if entry.content is not None and entry.content.get("project") == project
    ]


def save_scan_round(ledger: Ledger, payload: Mapping[str, Any]) -> LedgerEntry:
    """Append a scanned round (a ``maturity.round`` payload with ``source: scan``); refuses a
    label the project already used."""
    return append_round(ledger, dict(payload))
