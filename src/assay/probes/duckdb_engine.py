"""The drift and data-quality probes computed by DuckDB over data it scans itself (Parquet or
CSV files), so that data sets larger than memory are measured: DuckDB streams, aggregates and
sorts out of core, spilling to its temporary directory.

The statistics are the exact ones of the in-memory engine (:mod:`assay.probes.drift`,
:mod:`assay.probes.quality`), from the same definitions:

- KS and Wasserstein from the merged empirical CDFs: each sample is grouped by value (distinct
  values and their counts), the two are joined, and running sums give both CDFs at every
  distinct value; the KS statistic is the largest gap, Wasserstein the sum of gap times width;
- quantiles (the reference's deciles for PSI and Jensen-Shannon, the quartiles for IQR
  outliers) by numpy's linear method from the order statistics around each position, which
  the running counts locate exactly;
- missing values are nulls and NaN; duplicates are rows equal in every column (DuckDB's
  DISTINCT, NaN equal to NaN and nulls to nulls).

The KS p-value is exact (scipy, from the samples) up to
:data:`~assay.probes.drift.EXACT_KS_LIMIT` values and asymptotic above, as in memory. This
module takes an open DuckDB connection with the data sets as relations; opening files is the
caller's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import Any

import numpy as np

from assay.probes.drift import (
    CATEGORY_LIMIT,
    DECILES,
    EXACT_KS_LIMIT,
    ColumnDrift,
    DatasetDrift,
    NumericSummary,
    categorical_drift,
    check_flat,
    compared_columns,
    dataset_drift,
    ks_p_value,
    numeric_drift_of,
    order_statistic_ranks,
    quantile_ranks,
    quantiles_from,
    shares_from_counts,
)
from assay.probes.engine_table import EngineTable
from assay.probes.quality import QUARTILES, Z_LIMIT, iqr_fences
from assay.probes.table import ColumnError

__all__ = ["BATCH_ROWS", "QUANTILE_WINDOW", "DuckTable", "duck_drift", "quoted"]

BATCH_ROWS = 1 << 20  # values per batch of a sorted stream: a few MiB of numpy arrays
QUANTILE_WINDOW = 0.005  # order statistics are looked for within ±0.5% of the ranks

_NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    '"NULL"',
    "NULL",
)


def quoted(name: str) -> str:
    """``name`` as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


class DuckTable(EngineTable):
    """A data set DuckDB reads: ``relation`` names a table or view of ``connection``."""

    def __init__(
        self,
        connection: Any,
        relation: str,
        source: str = "",
        batch_rows: int = BATCH_ROWS,
        quantile_window: float = QUANTILE_WINDOW,
    ) -> None:
        self.connection = connection
        self.relation = quoted(relation)
        self.batch_rows = batch_rows  # values per batch of a sorted stream read into Python
        # the half-width (as a share of the ranks) of the window around an order statistic
        self.quantile_window = quantile_window
        described = connection.execute(f"DESCRIBE SELECT * FROM {self.relation}").fetchall()
        super().__init__({str(row[0]): str(row[1]) for row in described}, source)

    def _one(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        return self.connection.execute(sql, list(parameters)).fetchall()[0][0]

    def is_numeric(self, name: str) -> bool:
        """Integers, decimals and floating-point numbers (booleans are categories)."""
        self.require([name])
        kind = str(self.types[name]).upper()
        return kind.startswith(_NUMERIC_TYPES) and not self.is_nested(name)

    def is_nested(self, name: str) -> bool:
        """The column holds lists or arrays (``BIGINT[]``, ``DOUBLE[3]``), structs, maps or
        unions."""
        self.require([name])
        kind = str(self.types[name]).upper()
        return kind.endswith("]") or kind.startswith(("STRUCT", "MAP", "UNION"))

    @cached_property
    def rows(self) -> int:
        """Number of rows (counted once: a CSV file is scanned for it)."""
        return int(self._one(f"SELECT count(*) FROM {self.relation}"))

    def _present(self, name: str) -> str:
        """A numeric column as DOUBLE, without nulls and NaN: a subquery of column ``v``."""
        column = f"CAST({quoted(name)} AS DOUBLE)"
        return (
            f"SELECT {column} AS v FROM {self.relation} "
            f"WHERE {column} IS NOT NULL AND NOT isnan({column})"
        )

    def missing(self, name: str) -> int:
        """Missing values of a column (null, or NaN in a floating-point column)."""
        self.require([name])
        column = quoted(name)
        nan = ""
        if self.types[name].upper() in ("FLOAT", "DOUBLE"):
            nan = f" + count(*) FILTER (WHERE isnan({column}))"
        return int(self._one(f"SELECT count(*) - count({column}){nan} FROM {self.relation}"))

    def counts(self, name: str) -> dict[str, int]:
        """How often each value (as text) occurs, missing values not counted."""
        self.require([name])
        column = quoted(name)
        rows = self.connection.execute(
            f"SELECT CAST({column} AS VARCHAR), count(*) FROM {self.relation} "
            f"WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).fetchall()
        return {str(value): int(count) for value, count in rows}

    def numeric_sample(self, name: str, limit: int) -> np.ndarray:
        """At most ``limit`` of a numeric column's non-missing values (a repeatable reservoir
        sample; all of them when there are fewer)."""
        rows = self.connection.execute(
            f"SELECT v FROM ({self._present(name)}) "
            f"USING SAMPLE reservoir({int(limit)} ROWS) REPEATABLE (0)"
        ).fetchall()
        return np.array([row[0] for row in rows], dtype=np.float64)

    # -- quality ----------------------------------------------------------------------------

    def missing_ratios(self, columns: Sequence[str] | None = None) -> dict[str, float]:
        """Share of missing values (null, or NaN) in each column; 0 for a table without rows."""
        names = list(columns or self.columns)
        self.require(names)
        rows = self.rows
        return {name: self.missing(name) / rows if rows else 0.0 for name in names}

    def duplicate_ratio(self, columns: Sequence[str] | None = None) -> float:
        """Share of rows that repeat an earlier row (over ``columns``, all by default); 0 for a
        table without rows."""
        names = list(columns or self.columns)
        self.require(names)
        check_flat(self, names)
        listed = ", ".join(quoted(name) for name in names)
        total, distinct = self.connection.execute(
            f"SELECT (SELECT count(*) FROM {self.relation}), "
            f"(SELECT count(*) FROM (SELECT DISTINCT {listed} FROM {self.relation}))"
        ).fetchall()[0]
        return (int(total) - int(distinct)) / int(total) if total else 0.0

    def outlier_ratio(self, name: str, method: str = "iqr") -> float:
        """As :func:`assay.probes.quality.outlier_ratio`: IQR fences from the linear quartiles,
        or more than 3 population standard deviations from the mean."""
        if not self.is_numeric(name):
            raise ColumnError(f"column {name!r} of {self.source or 'the data'} is not numeric")
        present = self._present(name)
        if method == "iqr":
            size, quartiles = _order_statistics(self, name, QUARTILES)
            if size == 0:
                raise ColumnError(f"column {name!r} has no values")
            low, high = iqr_fences(*quartiles)
            outside = self._one(
                f"SELECT count(*) FILTER (WHERE v < ? OR v > ?) FROM ({present})", [low, high]
            )
            return int(outside) / size
        if method == "zscore":
            size, mean, deviation = self.connection.execute(
                f"SELECT count(*), avg(v), stddev_pop(v) FROM ({present})"
            ).fetchall()[0]
            if not size:
                raise ColumnError(f"column {name!r} has no values")
            if not deviation:
                return 0.0
            outside = self._one(
                f"SELECT count(*) FILTER (WHERE abs(v - ?) / ? > ?) FROM ({present})",
                [mean, deviation, Z_LIMIT],
            )
            return int(outside) / int(size)
        raise ValueError(f"unknown outlier method {method!r}; expected iqr or zscore")

    def constant_columns(self) -> list[str]:
        """Columns with at most one distinct non-missing value: the least equals the greatest
        (one scan for every column)."""
        check_flat(self, self.columns)
        tests = []
        for name in self.columns:
            column = quoted(name)
            if self.is_numeric(name):
                column = f"CAST({column} AS DOUBLE)"
                present = f"{column} IS NOT NULL AND NOT isnan({column})"
                tests.append(
                    f"coalesce(min({column}) FILTER (WHERE {present}) = "
                    f"max({column}) FILTER (WHERE {present}), true)"
                )
            else:
                tests.append(f"coalesce(min({column}) = max({column}), true)")
        flags = self.connection.execute(
            f"SELECT {', '.join(tests)} FROM {self.relation}"
        ).fetchall()[0]
        return [name for name, constant in zip(self.columns, flags, strict=True) if constant]


def _sorted_batches(table: DuckTable, sql: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The rows of ``sql`` (columns ``v`` DOUBLE and ``r`` BOOLEAN) in batches of the table's
    ``batch_rows``, ``v`` ascending: DuckDB sorts out of core and streams the result; each
    batch as two numpy arrays."""
    query = table.connection.sql(f"SELECT v, r FROM ({sql}) ORDER BY v")
    reader = query.to_arrow_reader(table.batch_rows)
    for batch in reader:
        if batch.num_rows:
            values = batch.column(0).to_numpy(zero_copy_only=False)
            flags = batch.column(1).to_numpy(zero_copy_only=False)
            yield values, flags


def _with_next(
    batches: Iterator[tuple[np.ndarray, np.ndarray]],
) -> Iterator[tuple[np.ndarray, np.ndarray, float | None]]:
    """Each batch with the first value of the batch after it (None after the last), so that the
    end of a run of equal values is known at a batch's end."""
    pending: tuple[np.ndarray, np.ndarray] | None = None
    for batch in batches:
        if pending is not None:
            yield pending[0], pending[1], float(batch[0][0])
        pending = batch
    if pending is not None:
        yield pending[0], pending[1], None


class _RankFinder:
    """The values at wanted 0-based ranks of a sample, read off its sorted stream."""

    def __init__(self, ranks: Sequence[int]) -> None:
        self.wanted = np.array(sorted(set(ranks)), dtype=np.int64)
        self.found: dict[int, float] = {}

    def see(self, values: np.ndarray, upto: np.ndarray, before: int) -> None:
        """A batch of sorted values with the sample's running count at each (its values up to
        and including that one; the count does not grow at another sample's values), and the
        count before the batch."""
        if not self.wanted.size or not upto.size:
            return
        inside = self.wanted[(self.wanted >= before) & (self.wanted < upto[-1])]
        for rank, index in zip(
            inside.tolist(), np.searchsorted(upto, inside + 1, side="left").tolist(), strict=True
        ):
            self.found[int(rank)] = float(values[index])


class _Merged:
    """Both samples of a numeric column, merged in one sorted stream: the statistics of the
    in-memory engine's merged CDFs (:func:`assay.probes.drift.numeric_drift`), accumulated
    batch by batch with exact integer running counts."""

    def __init__(self, reference_size: int, current_size: int, ranks: Sequence[int]) -> None:
        self.sizes = (reference_size, current_size)
        self.keep_values = max(self.sizes) <= EXACT_KS_LIMIT
        self.kept: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        self.reference_ranks = _RankFinder(ranks)
        self.seen = 0
        self.from_reference = 0
        self.ks = 0.0
        self.wasserstein = 0.0
        self.reference_sum = 0.0
        self.distinct = 0
        self.few: dict[float, tuple[int, int]] = {}  # value -> counts, while few are distinct
        self.at_last_end = (0, 0)  # both running counts at the last run's end seen

    def see(self, values: np.ndarray, is_reference: np.ndarray, following: float | None) -> None:
        """One batch of the stream, and the first value after it (None at the end)."""
        from_reference = self.from_reference + np.cumsum(is_reference, dtype=np.int64)
        position = self.seen + np.arange(1, values.size + 1, dtype=np.int64)
        from_current = position - from_reference
        gaps = np.abs(from_reference / self.sizes[0] - from_current / self.sizes[1])
        following_values = values[1:] if following is None else np.append(values[1:], following)
        paired = following_values.size  # values with a next one: all but the stream's last
        last = following_values != values[:paired]  # the end of a run of equal values
        if following is None:
            last = np.append(last, True)
        self.ks = max(self.ks, float(gaps[last].max(initial=0.0)))
        # within a run of equal values the width is 0, so only each run's end counts
        self.wasserstein += float(np.sum(gaps[:paired] * (following_values - values[:paired])))
        self.reference_ranks.see(values, from_reference, self.from_reference)
        self.reference_sum += float(values[is_reference].sum())
        self._count_distinct(values[last], from_reference[last], from_current[last])
        if self.keep_values:
            self.kept[0].append(values[is_reference])
            self.kept[1].append(values[~is_reference])
        self.seen, self.from_reference = int(position[-1]), int(from_reference[-1])

    def _count_distinct(self, ends: np.ndarray, reference: np.ndarray, current: np.ndarray) -> None:
        """Count the distinct values (the ends of runs of equal values) and, while there are
        few, each one's count in both samples (running counts at its end minus at the end
        before it, which may lie in an earlier batch)."""
        if self.distinct + ends.size <= CATEGORY_LIMIT:
            reference_counts = np.diff(np.append(self.at_last_end[0], reference)).tolist()
            current_counts = np.diff(np.append(self.at_last_end[1], current)).tolist()
            for value, r, c in zip(ends.tolist(), reference_counts, current_counts, strict=True):
                self.few[float(value)] = (int(r), int(c))
        if ends.size:
            self.at_last_end = (int(reference[-1]), int(current[-1]))
        self.distinct += int(ends.size)

    def samples(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Both samples, sorted, when they are small enough for the exact KS p-value."""
        if not self.keep_values:
            return None
        return np.concatenate(self.kept[0]), np.concatenate(self.kept[1])


def _merged_stream(reference: DuckTable, current: DuckTable, name: str) -> str:
    return (
        f"SELECT v, true AS r FROM ({reference._present(name)}) "
        f"UNION ALL SELECT v, false AS r FROM ({current._present(name)})"
    )


def _sizes(reference: DuckTable, current: DuckTable, name: str) -> tuple[int, int]:
    sizes = reference.connection.execute(
        f"SELECT (SELECT count(*) FROM ({reference._present(name)})), "
        f"(SELECT count(*) FROM ({current._present(name)}))"
    ).fetchall()[0]
    return int(sizes[0]), int(sizes[1])


def _numeric_drift(reference: DuckTable, current: DuckTable, name: str) -> ColumnDrift:
    """One column's drift from one sorted stream of both samples (DuckDB's out-of-core sort),
    then one scan of each for the bin counts and the reference's spread."""
    reference_size, current_size = _sizes(reference, current, name)
    if reference_size == 0 or current_size == 0:
        empty = "reference" if reference_size == 0 else "current"
        raise ValueError(f"column {name!r} has no values in the {empty} data")
    merged = _Merged(reference_size, current_size, order_statistic_ranks(DECILES, reference_size))
    for values, is_reference, following in _with_next(
        _sorted_batches(reference, _merged_stream(reference, current, name))
    ):
        merged.see(values, is_reference, following)
    if merged.distinct <= CATEGORY_LIMIT:
        return categorical_drift(
            name,
            {value: counts[0] for value, counts in merged.few.items() if counts[0]},
            {value: counts[1] for value, counts in merged.few.items() if counts[1]},
        )
    edges = quantiles_from(DECILES, reference_size, merged.reference_ranks.found)
    mean = merged.reference_sum / reference_size
    reference_counts, squares = _bin_counts(reference, name, edges, mean)
    current_counts, _ = _bin_counts(current, name, edges, mean)
    samples = merged.samples()
    summary = NumericSummary(
        reference_size,
        current_size,
        merged.ks,
        ks_p_value(
            merged.ks,
            reference_size,
            current_size,
            samples[0] if samples else None,
            samples[1] if samples else None,
        ),
        merged.wasserstein,
        float(np.sqrt(squares / reference_size)),
        shares_from_counts(reference_counts, reference_size),
        shares_from_counts(current_counts, current_size),
    )
    return numeric_drift_of(name, summary)


def _bin_counts(
    table: DuckTable, name: str, edges: np.ndarray, mean: float
) -> tuple[list[int], float]:
    """How many values are at or below each edge, and the sum of squared deviations from
    ``mean`` (numpy's two-pass variance), in one scan."""
    counts = ", ".join("count(*) FILTER (WHERE v <= ?)" for _ in edges)
    row = table.connection.execute(
        f"SELECT {counts}, sum((v - ?) * (v - ?)) FROM ({table._present(name)})",
        [*(float(edge) for edge in edges), mean, mean],
    ).fetchall()[0]
    return [int(count) for count in row[:-1]], float(row[-1] or 0.0)


def _order_statistics(table: DuckTable, name: str, levels: np.ndarray) -> tuple[int, np.ndarray]:
    """A numeric column's size and numpy's linear quantiles at ``levels``: the order
    statistics from narrow windows around a sample's quantiles, proved by counts
    (:func:`_windowed_ranks`), else from one sorted stream of every value (size 0 and no
    quantiles for a column without values)."""
    present = table._present(name)
    size = int(table._one(f"SELECT count(*) FROM ({present})"))
    if size == 0:
        return 0, np.array([])
    found = _windowed_ranks(table, present, size, levels)
    if found is None:
        finder = _RankFinder(order_statistic_ranks(levels, size))
        seen = 0
        for values, _ in _sorted_batches(table, f"SELECT v, true AS r FROM ({present})"):
            finder.see(values, seen + np.arange(1, values.size + 1, dtype=np.int64), seen)
            seen += values.size
        found = finder.found
    return size, quantiles_from(levels, size, found)


def _windowed_ranks(
    table: DuckTable, present: str, size: int, levels: np.ndarray
) -> dict[int, float] | None:
    """The order statistics numpy's linear quantiles at ``levels`` need, without sorting the
    column: around each level, a window of values [a, b] between the quantiles a little below
    and above it of a Bernoulli sample (about :data:`_SAMPLE_VALUES` values); the counts of
    values below a and up to b prove that both ranks around the level fall inside, and the
    window alone is sorted to read them. None when the sample is small or a window missed (or
    would be large): the caller sorts everything instead. Exact either way."""
    margin = table.quantile_window
    below, above, _ = quantile_ranks(levels, size)
    share = min(100.0, 100.0 * _SAMPLE_VALUES / size)
    sample = table.connection.execute(
        f"SELECT v FROM ({present}) USING SAMPLE {share:.9f}% (bernoulli, 7)"
    ).fetchnumpy()["v"]
    if len(sample) < _SAMPLE_VALUES // 10:
        return None  # too few values to place the windows: the caller's sort is cheap here
    wanted = np.concatenate([np.maximum(levels - margin, 0.0), np.minimum(levels + margin, 1.0)])
    bounds = np.quantile(np.asarray(sample, dtype=np.float64), wanted).tolist()
    windows = list(zip(bounds[: len(levels)], bounds[len(levels) :], strict=True))
    counted = ", ".join(
        "count(*) FILTER (WHERE v < ?), count(*) FILTER (WHERE v <= ?)" for _ in windows
    )
    counts = table.connection.execute(
        f"SELECT {counted} FROM ({present})", [float(b) for window in windows for b in window]
    ).fetchall()[0]
    found: dict[int, float] = {}
    for index, (low, high) in enumerate(windows):
        first, last = int(below[index]), int(above[index])
        before, upto = int(counts[2 * index]), int(counts[2 * index + 1])
        if not before <= first <= last < upto or upto - before > _WINDOW_VALUES:
            return None
        rows = table.connection.execute(
            f"SELECT v FROM ({present}) WHERE v >= ? AND v <= ? ORDER BY v LIMIT ? OFFSET ?",
            [float(low), float(high), last - first + 1, first - before],
        ).fetchall()
        if len(rows) != last - first + 1:  # the file changed between the two reads
            return None
        found[first], found[last] = float(rows[0][0]), float(rows[-1][0])
    return found


_WINDOW_VALUES = 4_000_000  # at most this many values sorted for one rank
_SAMPLE_VALUES = 100_000  # about this many sampled (Bernoulli) to place the windows


def duck_drift(
    reference: DuckTable, current: DuckTable, columns: Sequence[str] | None = None
) -> DatasetDrift:
    """The drift of every column both data sets share (or of ``columns``), as
    :meth:`assay.probes.catalog.ProbeInputs.drift` computes it in memory."""
    results = []
    for name, numeric in compared_columns(reference, current, columns):
        if numeric:
            results.append(_numeric_drift(reference, current, name))
        else:
            results.append(categorical_drift(name, reference.counts(name), current.counts(name)))
    return dataset_drift(results)
