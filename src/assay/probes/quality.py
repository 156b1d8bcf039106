"""Data quality of one data set: completeness, duplicates, schema, outliers, constant and
highly correlated columns, class balance and label completeness (001 §5.3, data tests)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from assay.probes.drift import check_flat, sorted_quantiles
from assay.probes.table import ColumnError, Table

__all__ = [
    "CORRELATION_THRESHOLD",
    "ColumnSchema",
    "class_balance",
    "constant_columns",
    "correlated_pairs",
    "duplicate_ratio",
    "label_completeness",
    "missing_ratios",
    "outlier_ratio",
    "schema_violation_ratio",
]

CORRELATION_THRESHOLD = 0.95
IQR_FACTOR = 1.5
QUARTILES = np.array([0.25, 0.75])
Z_LIMIT = 3.0


def missing_ratios(table: Table, columns: Sequence[str] | None = None) -> dict[str, float]:
    """Share of missing values (null, or NaN) in each column; 0 for a table without rows."""
    names = list(columns or table.columns)
    table.require(names)
    return {name: table.missing(name) / table.rows if table.rows else 0.0 for name in names}


_MIX = np.uint64(0x9E3779B97F4A7C15)  # the 64-bit golden-ratio constant of Fibonacci hashing
_SHIFT = np.uint64(29)
# Rows are hashed and correlations summed a block of rows at a time: the block's working
# arrays stay in the CPU's cache, and no array the size of the table is made for them.
BLOCK_ROWS = 1 << 16


def _code_source(table: Table, name: str) -> npt.NDArray[Any]:
    """What a column's row codes are read from: its numbers (float64), or its text's
    dictionary codes (int64, -1 for missing)."""
    if table.is_numeric(name):
        return table.numeric(name)
    encoded = pc.dictionary_encode(table.data.column(name)).combine_chunks()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return np.asarray(codes, dtype=np.int64)


def _block_codes(
    source: npt.NDArray[Any], out: npt.NDArray[np.uint64], missing: npt.NDArray[np.bool_]
) -> npt.NDArray[np.uint64]:
    """Rows of a column (a slice of :func:`_code_source`) as 64-bit codes, equal exactly when
    the values are: numbers by their bits, with one pattern for every missing value and -0.0
    as 0.0; dictionary codes as they are. Written into ``out``."""
    if source.dtype != np.float64:
        return source.view(np.uint64)
    values = out.view(np.float64)
    np.add(source, 0.0, out=values)  # -0.0 + 0.0 is 0.0
    np.isnan(values, out=missing)
    if missing.any():
        values[missing] = np.nan  # NaN has many bit patterns
    return out


def duplicate_ratio(table: Table, columns: Sequence[str] | None = None) -> float:
    """Share of rows that repeat an earlier row (over ``columns``, all by default); 0 for a
    table without rows.

    Rows are compared by a 64-bit hash of their values (numbers by their bits, missing values
    alike, text by its dictionary code), so two different rows count as duplicates only on a
    hash collision: for a million rows the chance of any is about 3 in 100 million."""
    names = list(columns or table.columns)
    table.require(names)
    check_flat(table, names)
    if not table.rows:
        return 0.0
    # Dictionary-encoding text columns is Arrow's work, done outside the GIL: side by side.
    with ThreadPoolExecutor(min(len(names), os.cpu_count() or 1) or 1) as pool:
        sources = list(pool.map(lambda name: _code_source(table, name), names))
    row_hash = np.zeros(table.rows, dtype=np.uint64)
    size = min(BLOCK_ROWS, table.rows)
    codes, shifted = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.uint64)
    missing = np.empty(size, dtype=bool)
    with np.errstate(over="ignore"):
        for start in range(0, table.rows, BLOCK_ROWS):
            block = row_hash[start : start + BLOCK_ROWS]
            width = block.size
            for source in sources:
                column = _block_codes(source[start : start + width], codes[:width], missing[:width])
                np.bitwise_xor(block, column, out=block)
                np.multiply(block, _MIX, out=block)
                np.right_shift(block, _SHIFT, out=shifted[:width])
                np.bitwise_xor(block, shifted[:width], out=block)
    row_hash.sort()
    distinct = 1 + int(np.count_nonzero(row_hash[1:] != row_hash[:-1]))
    return (table.rows - distinct) / table.rows


@dataclass(frozen=True)
class ColumnSchema:
    """What a column may hold: numbers (``type: numeric``, optional ``min``/``max``) or text
    (``type: string``, optional ``allowed`` values). Missing values never violate it."""

    type: str
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ColumnSchema:
        """From ``{type, min, max, allowed}``."""
        allowed = data.get("allowed")
        return cls(
            str(data.get("type", "numeric")),
            data.get("min"),
            data.get("max"),
            tuple(str(v) for v in allowed) if allowed is not None else None,
        )


def schema_violation_ratio(table: Table, schema: Mapping[str, ColumnSchema]) -> dict[str, float]:
    """Per column of ``schema``, the share of its non-missing values that break it: a non-numeric
    column declared numeric counts every value; values outside ``[min, max]``; categories not in
    ``allowed``."""
    table.require(list(schema))
    ratios: dict[str, float] = {}
    for name, rule in schema.items():
        present = table.rows - table.missing(name)
        if present == 0:
            ratios[name] = 0.0
            continue
        if rule.type == "numeric":
            if not table.is_numeric(name):
                ratios[name] = 1.0
                continue
            values = table.numeric(name)
            values = values[~np.isnan(values)]
            outside = np.zeros(values.size, dtype=bool)
            if rule.min is not None:
                outside |= values < rule.min
            if rule.max is not None:
                outside |= values > rule.max
            ratios[name] = float(outside.sum()) / present
        else:
            counts = table.counts(name)
            allowed = rule.allowed
            bad = sum(
                n for value, n in counts.items() if allowed is not None and value not in allowed
            )
            ratios[name] = bad / present
    return ratios


def _no_values(name: str) -> ColumnError:
    return ColumnError(f"column {name!r} has no values")


def iqr_fences(q1: float, q3: float) -> tuple[float, float]:
    """The IQR rule's fences, Q1 - 1.5 IQR and Q3 + 1.5 IQR, for every engine. With infinite
    values a fence can come out NaN (inf - inf): numpy and pandas find no value outside it,
    but DuckDB and Spark order NaN above every number and would find every value below it.
    A NaN fence is therefore the infinity on its side, which no value lies outside."""
    with np.errstate(invalid="ignore"):
        spread = q3 - q1
        low, high = q1 - IQR_FACTOR * spread, q3 + IQR_FACTOR * spread
    return (-math.inf if math.isnan(low) else float(low)), (
        math.inf if math.isnan(high) else float(high)
    )


def outlier_ratio(table: Table, name: str, method: str = "iqr") -> float:
    """Share of a numeric column's values that are outliers: outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR]
    (``iqr``, quartiles by linear interpolation) or more than 3 standard deviations (population)
    from the mean (``zscore``)."""
    if method == "iqr":
        ordered = table.sorted_numeric(name)
        if ordered.size == 0:
            raise _no_values(name)
        low, high = iqr_fences(*sorted_quantiles(ordered, QUARTILES))
        below = np.searchsorted(ordered, low, side="left")
        above = ordered.size - np.searchsorted(ordered, high, side="right")
        return float(below + above) / ordered.size
    if method == "zscore":
        values = table.numeric(name)
        values = values[~np.isnan(values)]
        if values.size == 0:
            raise _no_values(name)
        deviation = float(np.std(values))
        if deviation == 0:
            return 0.0
        outside = np.abs(values - values.mean()) / deviation > Z_LIMIT
        return float(outside.mean())
    raise ValueError(f"unknown outlier method {method!r}; expected iqr or zscore")


def constant_columns(table: Table) -> list[str]:
    """Columns with at most one distinct non-missing value."""
    check_flat(table, table.columns)
    constant = []
    for name in table.columns:
        if table.is_numeric(name):
            values = table.sorted_numeric(name)
            if values.size == 0 or values[0] == values[-1]:
                constant.append(name)
        elif len(table.counts(name)) <= 1:
            constant.append(name)
    return constant


def class_balance(table: Table, label: str) -> dict[str, Any]:
    """The share of each class of ``label``, the minority class's share and the ratio of the
    majority to the minority class. :class:`ColumnError` with fewer than two classes."""
    counts = table.counts(label)
    if len(counts) < 2:
        raise ColumnError(f"column {label!r} has {len(counts)} class; at least two are needed")
    total = sum(counts.values())
    smallest, largest = min(counts.values()), max(counts.values())
    return {
        "shares": {value: n / total for value, n in sorted(counts.items())},
        "minority_share": smallest / total,
        "imbalance_ratio": largest / smallest,
    }


def _correlation_matrix(columns: Sequence[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
    """Pearson correlations of columns of equal length without missing values: the sums of
    products of deviations from the means, summed a block of rows at a time, over the
    square roots of each column's sum of squares (NaN for a column without spread)."""
    means = [float(column.mean()) for column in columns]
    rows = columns[0].size
    products = np.zeros((len(columns), len(columns)))
    block = np.empty((len(columns), min(BLOCK_ROWS, rows)))
    for start in range(0, rows, BLOCK_ROWS):
        width = min(BLOCK_ROWS, rows - start)
        deviations = block[:, :width]
        for row, (column, mean) in enumerate(zip(columns, means, strict=True)):
            np.subtract(column[start : start + width], mean, out=deviations[row])
        products += deviations @ deviations.T
    scale = np.sqrt(np.diag(products))
    with np.errstate(divide="ignore", invalid="ignore"):
        correlations: npt.NDArray[np.float64] = products / np.outer(scale, scale)
    return correlations


def correlated_pairs(
    table: Table, threshold: float = CORRELATION_THRESHOLD, columns: Sequence[str] | None = None
) -> list[tuple[str, str, float]]:
    """Pairs of numeric columns whose Pearson correlation (over rows where both have values)
    reaches ``threshold`` in absolute value, strongest first."""
    names = [n for n in (columns or table.columns) if table.is_numeric(n)]
    pairs: list[tuple[str, str, float]] = []
    data = {name: table.numeric(name) for name in names}
    # Columns without gaps: one correlation matrix; the others pair by pair over shared rows.
    whole = [
        n
        for n in names
        if data[n].size and not np.isnan(data[n]).any() and data[n].min() < data[n].max()
    ]
    if len(whole) >= 2:
        matrix = _correlation_matrix([data[n] for n in whole])
        for i, first in enumerate(whole):
            for j in range(i + 1, len(whole)):
                if abs(matrix[i, j]) >= threshold:
                    pairs.append((first, whole[j], float(matrix[i, j])))
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            if first in whole and second in whole:
                continue
            x, y = data[first], data[second]
            both = ~(np.isnan(x) | np.isnan(y))
            if both.sum() < 2 or np.std(x[both]) == 0 or np.std(y[both]) == 0:
                continue
            r = float(np.corrcoef(x[both], y[both])[0, 1])
            if abs(r) >= threshold:
                pairs.append((first, second, r))
    return sorted(pairs, key=lambda pair: -abs(pair[2]))


def label_completeness(table: Table, label: str) -> float:
    """Share of rows whose label is present."""
    return 1 - table.missing(label) / table.rows
