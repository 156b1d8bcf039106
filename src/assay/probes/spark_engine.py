"""The drift and data-quality probes computed by Spark over DataFrames, so that data sets held
by a cluster are measured where they are: the same code runs in local mode and on any cluster
pyspark is connected to.

The statistics are exact — the ones of the in-memory engine (:mod:`assay.probes.drift`,
:mod:`assay.probes.quality`), from the same definitions — and every step is distributed
(no step gathers a column on one machine):

- each numeric column's values of both samples are grouped by value (distinct values with
  each sample's count) and sorted, which range-partitions them: partition *i* holds smaller
  values than partition *i + 1*. Per-partition totals (a handful of rows, one per partition)
  give the counts before each partition; a running sum within each partition plus that offset
  is each sample's count up to every distinct value, exactly;
- from those running counts: the KS statistic (the largest gap of the two CDFs), Wasserstein
  (gap times the width to the next distinct value, the next partition's first value at a
  partition's end) and any order statistic (the distinct value whose count range holds the
  rank), so the reference's deciles (PSI, Jensen-Shannon) and the quartiles (IQR outliers)
  are numpy's linear quantiles, exactly;
- missing values are nulls and NaN; duplicates are rows equal in every column (Spark's
  DISTINCT: NaN equal to NaN, nulls to nulls).

Sums of floating-point numbers (Wasserstein, the mean and spread) are added in another order
than numpy's, which changes the last bits only (the tests hold every figure to 1e-9). The KS
p-value is exact (scipy, from the samples, gathered only when they are that small) up to
:data:`~assay.probes.drift.EXACT_KS_LIMIT` values and asymptotic above, as in memory. This
module takes DataFrames; reading files and starting Spark is the caller's.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

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
    quantiles_from,
    shares_from_counts,
)
from assay.probes.engine_table import EngineTable
from assay.probes.quality import QUARTILES, Z_LIMIT, iqr_fences
from assay.probes.table import ColumnError, blob_text

__all__ = ["SparkTable", "spark_drift"]


def _column(name: str) -> Column:
    """Column ``name`` taken literally (a dot is not a field access)."""
    return F.col("`" + name.replace("`", "``") + "`")


class SparkTable(EngineTable):
    """A data set as a Spark DataFrame; ``source`` names it in messages."""

    def __init__(self, frame: DataFrame, source: str = "") -> None:
        super().__init__({field.name: field.dataType for field in frame.schema.fields}, source)
        self.frame = frame
        self._rows: int | None = None

    def is_numeric(self, name: str) -> bool:
        """Integers, decimals and floating-point numbers (booleans are categories); a column
        with no value at all counts as numeric."""
        self.require([name])
        return isinstance(self.types[name], T.NumericType | T.NullType)

    def is_nested(self, name: str) -> bool:
        """The column holds arrays, structs or maps."""
        self.require([name])
        return isinstance(self.types[name], T.ArrayType | T.StructType | T.MapType)

    def _is_floating(self, name: str) -> bool:
        return isinstance(self.types[name], T.FloatType | T.DoubleType)

    @property
    def rows(self) -> int:
        """Number of rows (counted once)."""
        if self._rows is None:
            self._rows = int(self.frame.count())
        return self._rows

    def _missing_condition(self, name: str) -> Column:
        column = _column(name)
        if self._is_floating(name):
            return column.isNull() | F.isnan(column)
        return column.isNull()

    def present(self, name: str) -> DataFrame:
        """A numeric column as doubles without nulls and NaN: a DataFrame of column ``v``."""
        value = _column(name).cast(T.DoubleType())
        return self.frame.select(value.alias("v")).where(value.isNotNull() & ~F.isnan(value))

    def counts(self, name: str) -> dict[str, int]:
        """How often each value (as text) occurs, missing values not counted."""
        self.require([name])
        if isinstance(self.types[name], T.BinaryType):  # written as DuckDB writes bytes
            raw = _column(name)
            rows = self.frame.where(raw.isNotNull()).groupBy(raw.alias("k")).count().collect()
            return dict(sorted((blob_text(bytes(row["k"])), int(row["count"])) for row in rows))
        text = _column(name).cast(T.StringType())
        rows = self.frame.where(text.isNotNull()).groupBy(text.alias("k")).count().collect()
        return {str(row["k"]): int(row["count"]) for row in sorted(rows, key=lambda r: r["k"])}

    def numeric_sample(self, name: str, limit: int) -> np.ndarray:
        """At most ``limit`` of a numeric column's non-missing values (a seeded Bernoulli
        sample a little larger than needed, cut to ``limit``; all of them when there are
        fewer)."""
        present = self.present(name)
        if self.rows > limit:
            present = present.sample(fraction=min(1.0, 1.1 * limit / self.rows), seed=0)
        column = present.limit(limit).toArrow().column("v")
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)

    # -- quality ----------------------------------------------------------------------------

    def missing_ratios(self, columns: Sequence[str] | None = None) -> dict[str, float]:
        """Share of missing values (null, or NaN) in each column (one scan for all); 0 for a
        table without rows."""
        names = list(columns or self.columns)
        self.require(names)
        counted = self.frame.agg(
            F.count(F.lit(1)).alias("rows"),
            *(
                F.count(F.when(self._missing_condition(name), 1)).alias(f"m{index}")
                for index, name in enumerate(names)
            ),
        ).collect()[0]
        rows = int(counted["rows"])
        self._rows = rows
        return {
            name: int(counted[f"m{index}"]) / rows if rows else 0.0
            for index, name in enumerate(names)
        }

    def duplicate_ratio(self, columns: Sequence[str] | None = None) -> float:
        """Share of rows that repeat an earlier row (over ``columns``, all by default); 0 for a
        table without rows."""
        names = list(columns or self.columns)
        self.require(names)
        check_flat(self, names)
        distinct = self.frame.select(*(_column(name) for name in names)).distinct().count()
        total = self.rows
        return (total - int(distinct)) / total if total else 0.0

    def outlier_ratio(self, name: str, method: str = "iqr") -> float:
        """As :func:`assay.probes.quality.outlier_ratio`: IQR fences from the linear quartiles,
        or more than 3 population standard deviations from the mean."""
        if not self.is_numeric(name):
            raise ColumnError(f"column {name!r} of {self.source or 'the data'} is not numeric")
        present = self.present(name)
        if method == "iqr":
            ordered = _Ordered(present.groupBy("v").agg(F.count(F.lit(1)).alias("rn")))
            try:
                if ordered.reference_size == 0:
                    raise ColumnError(f"column {name!r} has no values")
                q1, q3 = ordered.scan(QUARTILES).reference_quantiles
                size = ordered.reference_size
            finally:
                ordered.close()
            low, high = iqr_fences(q1, q3)
            outside = present.where((F.col("v") < F.lit(low)) | (F.col("v") > F.lit(high)))
            return int(outside.count()) / size
        if method == "zscore":
            size, mean = present.agg(F.count(F.lit(1)), F.avg("v")).collect()[0]
            if not size:
                raise ColumnError(f"column {name!r} has no values")
            deviation = float(
                np.sqrt(present.agg(F.avg((F.col("v") - F.lit(mean)) ** 2)).collect()[0][0])
            )
            if deviation == 0:
                return 0.0
            far = F.abs(F.col("v") - F.lit(mean)) / F.lit(deviation) > F.lit(Z_LIMIT)
            return int(present.where(far).count()) / int(size)
        raise ValueError(f"unknown outlier method {method!r}; expected iqr or zscore")

    def constant_columns(self) -> list[str]:
        """Columns with at most one distinct non-missing value: the least equals the greatest
        (one scan for every column)."""
        check_flat(self, self.columns)
        tests = []
        for name in self.columns:
            column = _column(name)
            if self.is_numeric(name):
                column = F.when(~self._missing_condition(name), column.cast(T.DoubleType()))
            tests.append(F.coalesce(F.min(column) == F.max(column), F.lit(True)))
        flags = self.frame.agg(*tests).collect()[0]
        return [name for name, constant in zip(self.columns, flags, strict=True) if constant]


@dataclass(frozen=True)
class _Scan:
    ks_statistic: float
    wasserstein: float
    reference_quantiles: np.ndarray


class _Ordered:
    """Distinct values ``v`` with the reference's count ``rn`` (and the current's ``cn``, 0
    when there is one sample), sorted and range-partitioned, with the counts before each
    partition, from which running counts are exact."""

    def __init__(self, grouped: DataFrame) -> None:
        if "cn" not in grouped.columns:
            grouped = grouped.withColumn("cn", F.lit(0).cast(T.LongType()))
        self.frame = (
            grouped.orderBy("v")
            .withColumn("pid", F.spark_partition_id())
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        parts = (
            self.frame.groupBy("pid")
            .agg(
                F.sum("rn").alias("rn"),
                F.sum("cn").alias("cn"),
                F.count(F.lit(1)).alias("distinct"),
                F.min("v").alias("first"),
                F.max("v").alias("last"),
                F.sum(F.col("rn") * F.col("v")).alias("weighted"),
            )
            .orderBy("pid")
            .collect()
        )
        for before, after in itertools.pairwise(parts):
            if not before["last"] < after["first"]:  # the sort's partitions must be ranges
                raise RuntimeError("Spark returned sorted partitions that overlap")
        self.reference_size = int(sum(part["rn"] for part in parts))
        self.current_size = int(sum(part["cn"] for part in parts))
        self.distinct = int(sum(part["distinct"] for part in parts))
        self.reference_sum = float(sum(part["weighted"] for part in parts))
        self._offsets: dict[int, tuple[int, int]] = {}
        self._next_first: dict[int, float] = {}
        reference, current = 0, 0
        for index, part in enumerate(parts):
            self._offsets[int(part["pid"])] = (reference, current)
            reference += int(part["rn"])
            current += int(part["cn"])
            if index + 1 < len(parts):
                self._next_first[int(part["pid"])] = float(parts[index + 1]["first"])

    def close(self) -> None:
        """Release the sorted values."""
        self.frame.unpersist()

    def _per_partition(self, values: dict[int, Any]) -> Column:
        """The value for each row's partition (``null`` where ``values`` has none)."""
        if not values:
            return F.lit(None)
        pairs = [item for pid, value in values.items() for item in (F.lit(pid), F.lit(value))]
        return F.create_map(*pairs)[F.col("pid")]

    def scan(self, levels: np.ndarray) -> _Scan:
        """One pass over the running counts: the KS statistic and Wasserstein distance of the
        two samples (0 when there is one) and the reference's linear quantiles at ``levels``."""
        within = Window.partitionBy("pid").orderBy("v")
        running = within.rowsBetween(Window.unboundedPreceding, Window.currentRow)
        reference_offsets = {pid: offset[0] for pid, offset in self._offsets.items()}
        current_offsets = {pid: offset[1] for pid, offset in self._offsets.items()}
        upto = self._per_partition(reference_offsets) + F.sum("rn").over(running)
        current_upto = self._per_partition(current_offsets) + F.sum("cn").over(running)
        following = F.coalesce(F.lead("v").over(within), self._per_partition(self._next_first))
        counted = self.frame.select(
            "v", "rn", upto.alias("upto"), current_upto.alias("cupto"), following.alias("next")
        )
        ranks = order_statistic_ranks(levels, self.reference_size)
        gap = F.abs(
            F.col("upto") / F.lit(float(max(self.reference_size, 1)))
            - F.col("cupto") / F.lit(float(max(self.current_size, 1)))
        )
        holds = [
            F.max(
                F.when(
                    (F.col("upto") - F.col("rn") <= F.lit(rank)) & (F.lit(rank) < F.col("upto")),
                    F.col("v"),
                )
            ).alias(f"rank{rank}")
            for rank in ranks
        ]
        found = counted.agg(
            F.max(gap).alias("ks"),
            F.sum(F.when(F.col("next").isNotNull(), gap * (F.col("next") - F.col("v")))).alias(
                "wasserstein"
            ),
            *holds,
        ).collect()[0]
        statistic = {rank: float(found[f"rank{rank}"]) for rank in ranks}
        return _Scan(
            float(found["ks"] or 0.0),
            float(found["wasserstein"] or 0.0),
            quantiles_from(levels, self.reference_size, statistic),
        )

    def shares_and_spread(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Each sample's shares in the bins (-inf, e1], …, (ek, inf) and the reference's
        population standard deviation (two-pass, as numpy), in one scan."""
        mean = self.reference_sum / self.reference_size
        at_or_below = [
            aggregate
            for index, edge in enumerate(edges.tolist())
            for aggregate in (
                F.sum(F.when(F.col("v") <= F.lit(edge), F.col("rn"))).alias(f"r{index}"),
                F.sum(F.when(F.col("v") <= F.lit(edge), F.col("cn"))).alias(f"c{index}"),
            )
        ]
        found = self.frame.agg(
            F.sum(F.col("rn") * (F.col("v") - F.lit(mean)) * (F.col("v") - F.lit(mean))).alias(
                "squares"
            ),
            *at_or_below,
        ).collect()[0]

        def shares(prefix: str, size: int) -> np.ndarray:
            upto = [int(found[f"{prefix}{index}"] or 0) for index in range(edges.size)]
            return shares_from_counts(upto, size)

        spread = float(np.sqrt(found["squares"] / self.reference_size))
        return shares("r", self.reference_size), shares("c", self.current_size), spread

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """Both samples, sorted (gathered: for small samples only)."""
        rows = self.frame.select("v", "rn", "cn").orderBy("v").collect()
        values = np.array([row["v"] for row in rows], dtype=np.float64)
        return (
            np.repeat(values, [int(row["rn"]) for row in rows]),
            np.repeat(values, [int(row["cn"]) for row in rows]),
        )

    def counts(self) -> tuple[dict[float, int], dict[float, int]]:
        """Each sample's count of each distinct value (for few distinct values only)."""
        rows = self.frame.select("v", "rn", "cn").orderBy("v").collect()
        reference = {float(row["v"]): int(row["rn"]) for row in rows if row["rn"]}
        current = {float(row["v"]): int(row["cn"]) for row in rows if row["cn"]}
        return reference, current


def _numeric_drift(reference: SparkTable, current: SparkTable, name: str) -> ColumnDrift:
    tagged = functools.reduce(
        DataFrame.unionByName,
        [
            reference.present(name).select("v", F.lit(1).alias("r"), F.lit(0).alias("c")),
            current.present(name).select("v", F.lit(0).alias("r"), F.lit(1).alias("c")),
        ],
    )
    grouped = tagged.groupBy("v").agg(
        F.sum("r").cast(T.LongType()).alias("rn"), F.sum("c").cast(T.LongType()).alias("cn")
    )
    ordered = _Ordered(grouped)
    try:
        if ordered.reference_size == 0 or ordered.current_size == 0:
            empty = "reference" if ordered.reference_size == 0 else "current"
            raise ValueError(f"column {name!r} has no values in the {empty} data")
        if ordered.distinct <= CATEGORY_LIMIT:
            return categorical_drift(name, *ordered.counts())
        scanned = ordered.scan(DECILES)
        reference_share, current_share, spread = ordered.shares_and_spread(
            scanned.reference_quantiles
        )
        small = max(ordered.reference_size, ordered.current_size) <= EXACT_KS_LIMIT
        reference_sample, current_sample = ordered.samples() if small else (None, None)
        summary = NumericSummary(
            ordered.reference_size,
            ordered.current_size,
            scanned.ks_statistic,
            ks_p_value(
                scanned.ks_statistic,
                ordered.reference_size,
                ordered.current_size,
                reference_sample,
                current_sample,
            ),
            scanned.wasserstein,
            spread,
            reference_share,
            current_share,
        )
        return numeric_drift_of(name, summary)
    finally:
        ordered.close()


def spark_drift(
    reference: SparkTable, current: SparkTable, columns: Sequence[str] | None = None
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
