"""Scan overrides in the ledger (``scan.override`` entries)."""

from __future__ import annotations

from assay.names import check_name
from assay.scan.overrides import OVERRIDE_KIND, Override
from assay.store.chain import LedgerEntry
from assay.store.ledger import Ledger

__all__ = ["load_overrides", "record_override"]


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
