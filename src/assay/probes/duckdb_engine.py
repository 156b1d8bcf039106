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

import itertools
from collections.abc import Sequence
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
    compared_columns,
    dataset_drift,
    ks_p_value,
    numeric_drift_of,
    order_statistic_ranks,
    quantiles_from,
)
from assay.probes.engine_table import EngineTable
from assay.probes.quality import IQR_FACTOR, Z_LIMIT
from assay.probes.table import ColumnError

__all__ = ["DuckTable", "duck_drift", "quoted"]

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

    def __init__(self, connection: Any, relation: str, source: str = "") -> None:
        self.connection = connection
        self.relation = quoted(relation)
        described = connection.execute(f"DESCRIBE SELECT * FROM {self.relation}").fetchall()
        super().__init__({str(row[0]): str(row[1]) for row in described}, source)

    def _one(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        return self.connection.execute(sql, list(parameters)).fetchall()[0][0]

    def is_numeric(self, name: str) -> bool:
        """Integers, decimals and floating-point numbers (booleans are categories)."""
        self.require([name])
        kind = str(self.types[name]).upper()
        return kind.startswith(_NUMERIC_TYPES)

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
        """Share of missing values (null, or NaN) in each column."""
        names = list(columns or self.columns)
        self.require(names)
        rows = self.rows
        return {name: self.missing(name) / rows for name in names}

    def duplicate_ratio(self, columns: Sequence[str] | None = None) -> float:
        """Share of rows that repeat an earlier row (over ``columns``, all by default)."""
        names = list(columns or self.columns)
        self.require(names)
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
            sample = _Sample(self.connection, present)
            try:
                size = sample.size
                q1, q3 = sample.quantiles(np.array([0.25, 0.75])) if size else (0.0, 0.0)
            finally:
                sample.close()
            if size == 0:
                raise ColumnError(f"column {name!r} has no values")
            spread = q3 - q1
            low, high = q1 - IQR_FACTOR * spread, q3 + IQR_FACTOR * spread
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


_SAMPLES = itertools.count()


class _Sample:
    """A numeric column's non-missing values grouped by value with running counts (a table
    in DuckDB), from which order statistics and CDFs are read exactly."""

    def __init__(self, connection: Any, present: str) -> None:
        self.connection = connection
        self.name = f"assay_sample_{next(_SAMPLES)}"
        connection.execute(
            f"CREATE TEMP TABLE {self.name} AS SELECT v, n, "
            f"sum(n) OVER (ORDER BY v ROWS UNBOUNDED PRECEDING) AS upto "
            f"FROM (SELECT v, count(*) AS n FROM ({present}) GROUP BY v)"
        )
        size, distinct = connection.execute(
            f"SELECT coalesce(max(upto), 0), count(*) FROM {self.name}"
        ).fetchall()[0]
        self.size, self.distinct = int(size), int(distinct)

    def close(self) -> None:
        """Drop the grouped sample."""
        self.connection.execute(f"DROP TABLE IF EXISTS {self.name}")

    def order_statistics(self, ranks: Sequence[int]) -> np.ndarray:
        """The values at 0-based ``ranks`` of the sorted sample: for each rank, the first value
        whose running count exceeds it (one as-of join)."""
        rows = self.connection.execute(
            f"SELECT k, s.v FROM (SELECT unnest(?::BIGINT[]) AS k) ranks "
            f"ASOF JOIN {self.name} s ON ranks.k < s.upto",
            [[int(rank) for rank in ranks]],
        ).fetchall()
        found = {int(rank): float(value) for rank, value in rows}
        return np.array([found[int(rank)] for rank in ranks], dtype=np.float64)

    def quantiles(self, levels: np.ndarray) -> np.ndarray:
        """numpy's linear quantiles at ``levels``, from the order statistics around each
        position (as :func:`assay.probes.drift.sorted_quantiles` on the whole sample)."""
        ranks = order_statistic_ranks(levels, self.size)
        found = dict(zip(ranks, self.order_statistics(ranks).tolist(), strict=True))
        return quantiles_from(levels, self.size, found)

    def shares(self, edges: np.ndarray) -> np.ndarray:
        """Shares of the sample in the bins (-inf, e1], (e1, e2], …, (ek, inf): the running
        count at the last value at or below each edge (one as-of join)."""
        rows = self.connection.execute(
            f"SELECT e, coalesce(s.upto, 0) FROM (SELECT unnest(?::DOUBLE[]) AS e) edges "
            f"ASOF LEFT JOIN {self.name} s ON edges.e >= s.v",
            [[float(edge) for edge in edges]],
        ).fetchall()
        found = {float(edge): int(upto) for edge, upto in rows}
        upto = [found[float(edge)] for edge in edges]
        counts = np.diff(np.array([0, *upto, self.size]))
        return counts / self.size

    def values(self) -> np.ndarray:
        """The whole sample, sorted (for small samples only)."""
        rows = self.connection.execute(f"SELECT v, n FROM {self.name} ORDER BY v").fetchall()
        return np.repeat(
            np.array([row[0] for row in rows], dtype=np.float64), [int(row[1]) for row in rows]
        )

    def counts(self) -> dict[float, int]:
        """Each distinct value's count."""
        rows = self.connection.execute(f"SELECT v, n FROM {self.name} ORDER BY v").fetchall()
        return {float(value): int(count) for value, count in rows}


def _numeric_drift(reference: DuckTable, current: DuckTable, name: str) -> ColumnDrift:
    connection = reference.connection
    ref = _Sample(connection, reference._present(name))
    cur = _Sample(connection, current._present(name))
    try:
        if ref.size == 0 or cur.size == 0:
            empty = "reference" if ref.size == 0 else "current"
            raise ValueError(f"column {name!r} has no values in the {empty} data")
        if ref.distinct <= CATEGORY_LIMIT and cur.distinct <= CATEGORY_LIMIT:
            both = f"SELECT v FROM {ref.name} UNION SELECT v FROM {cur.name}"
            distinct = connection.execute(f"SELECT count(*) FROM ({both})").fetchall()[0][0]
            if distinct <= CATEGORY_LIMIT:
                return categorical_drift(name, ref.counts(), cur.counts())
        ks, wasserstein = connection.execute(
            f"""
            WITH merged AS (
                SELECT coalesce(r.v, c.v) AS v, coalesce(r.n, 0) AS rn, coalesce(c.n, 0) AS cn
                FROM {ref.name} r FULL OUTER JOIN {cur.name} c ON r.v = c.v
            ), cdf AS (
                SELECT v,
                    sum(rn) OVER w / ? AS fr,
                    sum(cn) OVER w / ? AS fc,
                    lead(v) OVER (ORDER BY v) AS next_v
                FROM merged
                WINDOW w AS (ORDER BY v ROWS UNBOUNDED PRECEDING)
            )
            SELECT max(abs(fr - fc)),
                sum(abs(fr - fc) * (next_v - v)) FILTER (WHERE next_v IS NOT NULL)
            FROM cdf
            """,
            [float(ref.size), float(cur.size)],
        ).fetchall()[0]
        small = max(ref.size, cur.size) <= EXACT_KS_LIMIT
        edges = ref.quantiles(DECILES)
        mean = connection.execute(f"SELECT sum(n * v) / sum(n) FROM {ref.name}").fetchall()[0][0]
        summary = NumericSummary(
            ref.size,
            cur.size,
            float(ks),
            ks_p_value(
                float(ks),
                ref.size,
                cur.size,
                ref.values() if small else None,
                cur.values() if small else None,
            ),
            float(wasserstein or 0.0),
            _std(connection, ref, mean),
            ref.shares(edges),
            cur.shares(edges),
        )
        return numeric_drift_of(name, summary)
    finally:
        ref.close()
        cur.close()


def _std(connection: Any, sample: _Sample, mean: float) -> float:
    """The population standard deviation, two-pass as numpy computes it."""
    variance = connection.execute(
        f"SELECT sum(n * (v - ?) * (v - ?)) / sum(n) FROM {sample.name}", [mean, mean]
    ).fetchall()[0][0]
    return float(np.sqrt(variance))


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
