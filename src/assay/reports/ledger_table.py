"""Ledger entries as a terminal table."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from assay.names import printable
from assay.store.chain import LedgerEntry

__all__ = ["entry_table"]


def entry_table(entries: Sequence[LedgerEntry]) -> Table:
    """A table of ledger entries (seq, time, kind, short hash, payload as the reader may see
    it) whose identifying columns never shrink; the payload takes the remaining width and ends
    in an ellipsis when cut. Control characters in payloads are shown escaped."""
    rows = [
        (
            str(entry.seq),
            entry.ts[:19].replace("T", " "),
            entry.kind,
            entry.hash[:12],
            "(withheld)"
            if entry.withheld
            else printable(json.dumps(entry.content, ensure_ascii=False)),
        )
        for entry in entries
    ]
    table = Table()
    for index, column in enumerate(("seq", "time (UTC)", "kind", "hash")):
        widest = max((len(row[index]) for row in rows), default=0)
        table.add_column(column, no_wrap=True, min_width=max(widest, len(column)))
    # The column stays shrinkable (so Rich narrows it first), while each cell is cut, not wrapped.
    table.add_column("payload", max_width=90)
    for *identity, payload in rows:
        table.add_row(*identity, Text(payload, no_wrap=True, overflow="ellipsis"))
    return table
