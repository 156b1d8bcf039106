"""What the probe engines' tables over files (DuckDB, Spark) share: the column names and
types they read from the file's schema, and the refusal of a column they lack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assay.probes.table import missing_columns

__all__ = ["EngineTable"]


class EngineTable:
    """A data set an engine reads, with its columns' types by name; ``source`` names it in
    messages."""

    def __init__(self, types: Mapping[str, Any], source: str = "") -> None:
        self.types = dict(types)
        self.source = source

    @property
    def columns(self) -> list[str]:
        """Column names in order."""
        return list(self.types)

    def require(self, names: Sequence[str]) -> None:
        """:class:`ColumnError` naming every column of ``names`` the table lacks."""
        missing = [name for name in names if name not in self.types]
        if missing:
            raise missing_columns(self.source, self.columns, missing)
