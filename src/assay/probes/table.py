"""Columns of a data set as the probes need them: numbers as float arrays (missing as NaN),
categories as counts. A thin layer over an in-memory Arrow table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from assay.names import printable
from assay.probes.drift import sorted_present

__all__ = ["ColumnError", "Table", "blob_text", "missing_columns"]

_NAMES_SHOWN = 30  # a file's columns named in a message, at most
# What separates values in a CSV file written by a spreadsheet set for another locale, or as
# TSV: read with commas, its header is one column whose name holds them all.
_OTHER_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


class ColumnError(ValueError):
    """A column is missing or does not hold what a probe needs."""


def missing_columns(source: str, columns: Sequence[str], missing: Sequence[str]) -> ColumnError:
    """The refusal of ``missing`` columns of the data set ``source`` whose columns are
    ``columns``: it names what the data set has (the first few of many) and, when its one
    column's name holds another separator than the comma, says that a CSV file seems to use
    it."""
    shown = ", ".join(printable(name) for name in columns[:_NAMES_SHOWN])
    if len(columns) > _NAMES_SHOWN:
        shown += f", … and {len(columns) - _NAMES_SHOWN:,} more"
    message = (
        f"{source or 'the data'} has no column {', '.join(map(repr, missing))} (it has {shown})"
    )
    if len(columns) == 1:
        found = [name for mark, name in _OTHER_SEPARATORS.items() if mark in columns[0]]
        if found:
            message += (
                f"; if it is a CSV file, its header seems to separate the names by {found[0]}, "
                "and assay reads commas between values (save it comma-separated, or as Parquet)"
            )
    return ColumnError(message)


@dataclass(frozen=True)
class Table:
    """A data set: its Arrow table, where it came from and the SHA-256 of that content."""

    data: pa.Table
    source: str = ""
    sha256: str = ""
    # Sorted numeric columns and category counts, kept once made: drift, outliers and constant
    # columns all start from them, and making them is most of what those cost.
    _sorted: dict[str, npt.NDArray[np.float64]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _counts: dict[str, dict[str, int]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def rows(self) -> int:
        """Number of rows."""
        return int(self.data.num_rows)

    @property
    def columns(self) -> list[str]:
        """Column names in order."""
        return list(self.data.column_names)

    def require(self, names: Sequence[str]) -> None:
        """:class:`ColumnError` naming every column of ``names`` the table lacks."""
        missing = [name for name in names if name not in self.data.column_names]
        if missing:
            raise missing_columns(self.source, self.columns, missing)

    def is_numeric(self, name: str) -> bool:
        """The column holds integers, decimals or floating-point numbers (booleans are
        categories), as the DuckDB and Spark engines judge; a column with no value at all counts
        as numeric, with every value missing."""
        self.require([name])
        kind = self.data.schema.field(name).type
        return bool(
            pa.types.is_integer(kind)
            or pa.types.is_floating(kind)
            or pa.types.is_decimal(kind)
            or pa.types.is_null(kind)
        )

    def is_nested(self, name: str) -> bool:
        """The column holds lists, structs or maps."""
        self.require([name])
        return bool(pa.types.is_nested(self.data.schema.field(name).type))

    def numeric(self, name: str) -> npt.NDArray[np.float64]:
        """The column as float64, missing values as NaN; :class:`ColumnError` when it is not
        numeric. An integer beyond 2**53 or a decimal becomes the nearest float64, as DuckDB's
        and Spark's casts to a double make it."""
        if not self.is_numeric(name):
            kind = self.data.schema.field(name).type
            raise ColumnError(
                f"column {name!r} of {self.source or 'the data'} is {kind}, not numeric"
            )
        # Unchecked: pyarrow's checked cast refuses an integer that a float64 cannot hold exactly.
        column = self.data.column(name).cast(pa.float64(), safe=False)
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)

    def sorted_numeric(self, name: str) -> npt.NDArray[np.float64]:
        """The column's present values (no missing value, no NaN) in ascending order, sorted
        once per table (a read-only array); :class:`ColumnError` when it is not
        numeric."""
        found = self._sorted.get(name)
        if found is None:
            found = sorted_present(self.numeric(name))
            found.flags.writeable = False  # shared by every probe that reads it
            self._sorted[name] = found
        return found

    def labels(self, name: str) -> npt.NDArray[Any]:
        """The column's values for class labels and groups: numbers as float64, anything else
        as text. :class:`ColumnError` when values are missing."""
        missing = self.missing(name)
        if missing:
            raise ColumnError(
                f"column {name!r} of {self.source or 'the data'} misses {missing} values"
            )
        if self.is_numeric(name):
            return self.numeric(name)
        return np.asarray([str(v) for v in self.data.column(name).to_pylist()], dtype=object)

    def counts(self, name: str) -> dict[str, int]:
        """How often each value (as text) occurs, missing values not counted (a new dict each
        call; the counting is done once per table)."""
        found = self._counts.get(name)
        if found is None:
            found = self._counts[name] = self._count(name)
        return dict(found)

    def _count(self, name: str) -> dict[str, int]:
        self.require([name])
        column = self.data.column(name)
        kind = column.type
        as_bytes = _is_bytes(kind)  # counted as bytes, each value then written as DuckDB does
        if not (as_bytes or pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            column = pc.cast(column, pa.string())
            if pa.types.is_time(kind) or (pa.types.is_timestamp(kind) and kind.tz is None):
                column = _without_trailing_zeros(column)
        counted = pc.value_counts(column)
        values = counted.field("values").to_pylist()
        numbers = counted.field("counts").to_pylist()
        return {
            blob_text(value) if as_bytes else value: count
            for value, count in zip(values, numbers, strict=True)
            if value is not None
        }

    def missing(self, name: str) -> int:
        """Missing values of a column (null, or NaN in a float column)."""
        ordered = self._sorted.get(name)
        if ordered is not None:  # the sorted column holds exactly the present values
            return self.rows - ordered.size
        self.require([name])
        column = self.data.column(name)
        nulls = int(column.null_count)
        if pa.types.is_floating(column.type):
            nulls += int(pc.sum(pc.is_nan(column)).as_py() or 0)
        return nulls


def _without_trailing_zeros(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Times as DuckDB and Spark write them: ``2024-01-03 02:00:00.5``, not pyarrow's
    ``2024-01-03 02:00:00.500000``, and no fraction of a second when it is zero."""
    trimmed = pc.replace_substring_regex(text, pattern=r"(\.\d*?)0+$", replacement=r"\1")
    return pc.replace_substring_regex(trimmed, pattern=r"\.$", replacement="")


def _is_bytes(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    )


def blob_text(value: bytes) -> str:
    """Bytes as text, the way DuckDB casts a BLOB: printable ASCII as it is, every other byte
    (and the backslash) as ``\\xHH``. Two different values never read alike, and bytes that
    are not UTF-8 can be written at all."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E and b != 0x5C else f"\\x{b:02X}" for b in value)
