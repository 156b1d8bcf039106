"""Drift between a reference and a current sample of a column.

Numeric columns: the two-sample Kolmogorov-Smirnov statistic and p-value, the Wasserstein
(earth mover's) distance and the same divided by the reference's standard deviation, and the
population stability index and Jensen-Shannon distance over ten bins cut at the reference's
deciles. Categorical columns (and numeric ones with at most five distinct values): the
chi-square goodness-of-fit p-value of the current counts against the reference proportions,
PSI and Jensen-Shannon over the categories, and the categories never seen in the reference.

Each sample is sorted once; the KS statistic and the Wasserstein distance both come from one
merge of the two sorted samples, so a column costs about two sorts.

The verdict of a column follows Evidently's default rules, so that the two tools agree:
with at most 1,000 reference values, KS p < 0.05 for numeric columns and chi-square p < 0.05
for categorical ones; above that, normalized Wasserstein ≥ 0.1 for numeric columns and
Jensen-Shannon ≥ 0.1 for categorical ones. (Evidently uses a two-proportion z-test for
columns with two categories on small samples; assay uses chi-square there too.) The data set
drifts when at least half of its columns do.

Differences in definition from Evidently, documented in docs/probes.md: assay's numeric PSI
and Jensen-Shannon use reference deciles as bins, Evidently's use Sturges bins over both
samples; the categorical forms are the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

__all__ = [
    "BINS",
    "CATEGORY_LIMIT",
    "DECILES",
    "EXACT_KS_LIMIT",
    "ColumnDrift",
    "DataSet",
    "DatasetDrift",
    "NumericSummary",
    "categorical_drift",
    "check_flat",
    "compared_columns",
    "dataset_drift",
    "defined",
    "interpolate",
    "ks_p_value",
    "numeric_drift",
    "numeric_drift_of",
    "order_statistic_ranks",
    "psi",
    "quantile_ranks",
    "quantiles_from",
    "shares_from_counts",
    "sorted_numeric_drift",
    "sorted_present",
    "sorted_quantiles",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SMALL_SAMPLE = 1000  # reference values up to which the tests use p-values
P_VALUE_THRESHOLD = 0.05
DISTANCE_THRESHOLD = 0.1
CATEGORY_LIMIT = 5  # a numeric column with at most this many values is treated as categorical
DRIFT_SHARE = 0.5
BINS = 10
DECILES = np.linspace(0, 1, BINS + 1)[1:-1]  # where the reference is cut for PSI and JS
EXACT_KS_LIMIT = 10_000  # scipy computes exact KS p-values up to this sample size


@dataclass(frozen=True)
class ColumnDrift:
    """Every drift statistic of one column and its verdict (see the module rules)."""

    column: str
    kind: str  # "numeric" or "categorical"
    method: str
    score: float
    threshold: float
    drifted: bool
    reference_rows: int
    current_rows: int
    statistics: Mapping[str, float] = field(default_factory=dict)
    unseen: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """As JSON (floats as they are; None where a statistic does not apply)."""
        return {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "score": self.score,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            **self.statistics,
            "unseen_categories": list(self.unseen),
        }


@dataclass(frozen=True)
class DatasetDrift:
    """The drift of every column compared, the share that drifted and the verdict."""

    columns: tuple[ColumnDrift, ...]
    share: float
    drifted: bool
    threshold: float = DRIFT_SHARE

    @property
    def by_column(self) -> dict[str, ColumnDrift]:
        """The columns' results by name."""
        return {column.column: column for column in self.columns}


def _fill_zeroes(percents: FloatArray) -> FloatArray:
    """Evidently's guard against log(0) and division by zero in PSI: empty bins get a tiny
    share (a millionth of the smallest non-empty share, or 0.0001 when that is larger)."""
    filled = percents.copy()
    positive = filled[filled > 0]
    smallest = float(positive.min()) if positive.size else 1.0
    filled[filled == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return filled


def psi(reference_percents: FloatArray, current_percents: FloatArray) -> float:
    """Population stability index of two distributions over the same bins (shares summing to
    one), after :func:`_fill_zeroes`: Σ (r - c) · ln(r / c)."""
    reference, current = _fill_zeroes(reference_percents), _fill_zeroes(current_percents)
    return float(np.sum((reference - current) * np.log(reference / current)))


_ONE = np.uint64(1)
_SIGN = np.uint64(1 << 63)


def _merge_keys(reference: FloatArray, current: FloatArray) -> tuple[npt.NDArray[np.uint64], int]:
    """Both sorted samples as one ascending array of 64-bit keys, ``magnitude bits << 1 |
    sample`` (1 for the current sample), and how many of them, at the start, are of negative
    values (their keys bit-inverted so that they sort the other way).

    A float's 63 bits without its sign order the non-negative floats exactly; shifting out the
    sign bit also makes -0.0 the key of 0.0. So the keys of each sorted sample form two sorted
    runs (negative, non-negative), and a stable sort of two runs is a linear merge, on plain
    integers: half the time of an argsort merge of the floats, and exact."""
    # The keys are float64 bits: other numbers (integers, float32) become float64 first.
    reference = np.asarray(reference, dtype=np.float64)
    current = np.asarray(current, dtype=np.float64)
    n = reference.size
    negative_ref = int(np.searchsorted(reference, 0.0, side="left"))
    negative_cur = int(np.searchsorted(current, 0.0, side="left"))
    negative = negative_ref + negative_cur
    keys = np.empty(n + current.size, dtype=np.uint64)
    runs = (
        (reference[:negative_ref], 0, False),
        (current[:negative_cur], negative_ref, True),
        (reference[negative_ref:], negative, False),
        (current[negative_cur:], negative + n - negative_ref, True),
    )
    for values, start, is_current in runs:
        run = keys[start : start + values.size]
        np.left_shift(values.view(np.uint64), _ONE, out=run)
        if is_current:
            run |= _ONE
    np.invert(keys[:negative], out=keys[:negative])
    keys[:negative].sort(kind="stable")
    keys[negative:].sort(kind="stable")
    np.invert(keys[:negative], out=keys[:negative])
    return keys, negative


def _merged_gaps(reference: FloatArray, current: FloatArray) -> tuple[FloatArray, IntArray]:
    """For two sorted samples of sizes n and m: the distinct values of both, in order, and at
    each value v the gap between their empirical CDFs as an exact integer,
    ``n·m·(F_ref(v) - F_cur(v)) = m·#(ref ≤ v) - n·#(cur ≤ v)``."""
    n, m = reference.size, current.size
    keys, negative = _merge_keys(reference, current)
    # Each reference value adds m to the scaled gap, each current value takes n away. At a
    # million values each, allocating (and faulting in) sample-sized temporaries costs about
    # as much as the merge, so the steps and the values are made in place.
    steps = (keys & _ONE).view(np.int64)
    steps *= -(n + m)
    steps += m
    np.cumsum(steps, out=steps)
    np.right_shift(keys, _ONE, out=keys)
    keys[:negative] |= _SIGN
    merged = keys.view(np.float64)
    ends = np.empty(merged.size, dtype=bool)  # the last of each run of equal values
    np.not_equal(merged[1:], merged[:-1], out=ends[:-1])
    ends[-1] = True
    if ends.all():
        return merged, steps
    last = np.flatnonzero(ends)
    return merged[last], steps[last]


def _wasserstein_and_ks(values: FloatArray, gaps: IntArray, n: int, m: int) -> tuple[float, float]:
    """The Wasserstein distance (∫|F_ref - F_cur|) and the KS statistic (max |F_ref - F_cur|)
    from :func:`_merged_gaps`; ``gaps`` is overwritten."""
    scale = n * m
    np.abs(gaps, out=gaps)
    ks_statistic = int(gaps.max()) / scale  # exact: integers, one correctly rounded division
    widths = np.diff(values)
    np.multiply(gaps[:-1], widths, out=widths)
    return float(widths.sum()) / scale, ks_statistic


def _scipy() -> tuple[Any, Any]:
    """scipy.stats and scipy.spatial.distance, imported when first needed (they are slow to
    import, and most assay commands never compute drift)."""
    from scipy import stats
    from scipy.spatial import distance

    return stats, distance


def ks_p_value(
    statistic: float, n1: int, n2: int, sorted1: FloatArray | None, sorted2: FloatArray | None
) -> float:
    """The two-sample KS p-value: scipy's exact one up to :data:`EXACT_KS_LIMIT` values (from
    the samples, which must then be given), else the asymptotic one from the statistic."""
    stats, _ = _scipy()
    if max(n1, n2) <= EXACT_KS_LIMIT:
        if sorted1 is None or sorted2 is None:
            raise ValueError("an exact KS p-value needs both samples")
        return float(stats.ks_2samp(sorted1, sorted2).pvalue)
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(stats.kstwo.sf(statistic, np.round(m * n / (m + n))))


@dataclass(frozen=True)
class NumericSummary:
    """What a numeric column's drift is decided on, however it was computed (in memory, or by
    an engine over files): sample sizes, the KS statistic and p-value, the Wasserstein
    distance, the reference's standard deviation (population), and each sample's shares in the
    bins cut at the reference's deciles."""

    reference_rows: int
    current_rows: int
    ks_statistic: float
    ks_p_value: float
    wasserstein: float
    reference_std: float
    reference_share: FloatArray
    current_share: FloatArray


def numeric_drift(column: str, reference: FloatArray, current: FloatArray) -> ColumnDrift:
    """Drift of a numeric column (missing values, NaN, left out); with at most
    :data:`CATEGORY_LIMIT` distinct values in both samples together, its values are treated as
    categories (as Evidently does). Both samples need values."""
    return sorted_numeric_drift(column, sorted_present(reference), sorted_present(current))


def sorted_numeric_drift(column: str, reference: FloatArray, current: FloatArray) -> ColumnDrift:
    """:func:`numeric_drift` of samples already sorted, without NaN (as
    :func:`sorted_present` gives them)."""
    if reference.size == 0 or current.size == 0:
        empty = "reference" if reference.size == 0 else "current"
        raise ValueError(f"column {column!r} has no values in the {empty} data")
    values, gaps = _merged_gaps(reference, current)
    if values.size <= CATEGORY_LIMIT:
        return categorical_drift(column, _sorted_counts(reference), _sorted_counts(current))
    wasserstein, ks_statistic = _wasserstein_and_ks(values, gaps, reference.size, current.size)
    edges = sorted_quantiles(reference, DECILES)
    summary = NumericSummary(
        reference.size,
        current.size,
        ks_statistic,
        ks_p_value(ks_statistic, reference.size, current.size, reference, current),
        wasserstein,
        float(np.std(reference)),
        _bin_shares(reference, edges),
        _bin_shares(current, edges),
    )
    return numeric_drift_of(column, summary)


def numeric_drift_of(column: str, summary: NumericSummary) -> ColumnDrift:
    """The drift statistics and verdict of a numeric column from its :class:`NumericSummary`
    (see the module rules). With infinite values the Wasserstein distances are not numbers
    (:func:`defined` tells); :class:`ValueError` when the verdict rests on one (every engine
    refuses such a column alike).
    """
    _, distance = _scipy()
    spread = max(summary.reference_std, 0.001)
    statistics = {
        "ks_statistic": summary.ks_statistic,
        "ks_p_value": summary.ks_p_value,
        "wasserstein": summary.wasserstein,
        "wasserstein_normalized": summary.wasserstein / spread,
        "psi": psi(summary.reference_share, summary.current_share),
        "jensen_shannon": float(
            distance.jensenshannon(summary.reference_share, summary.current_share)
        ),
    }
    if summary.reference_rows <= SMALL_SAMPLE:
        method, score, threshold = "ks", statistics["ks_p_value"], P_VALUE_THRESHOLD
        drifted = score < threshold
    else:
        method, score = "wasserstein_normalized", statistics["wasserstein_normalized"]
        if not defined(score):
            raise ValueError(
                f"column {column!r} holds infinite values: its drift verdict, the normalized "
                f"Wasserstein distance (more than {SMALL_SAMPLE} reference values), is not "
                "defined"
            )
        threshold = DISTANCE_THRESHOLD
        drifted = score >= threshold
    return ColumnDrift(
        column,
        "numeric",
        method,
        score,
        threshold,
        drifted,
        summary.reference_rows,
        summary.current_rows,
        statistics,
    )


def defined(statistic: float) -> bool:
    """A statistic is a number: not NaN nor infinite (a Wasserstein distance of a column with
    infinite values is neither)."""
    return math.isfinite(statistic)


def _present(values: FloatArray) -> FloatArray:
    """``values`` without NaN (the same array when there is none)."""
    missing = np.isnan(values)
    return values[~missing] if missing.any() else values


def sorted_present(values: FloatArray) -> FloatArray:
    """``values`` without NaN, sorted (a new array)."""
    return np.sort(_present(values))


def quantile_ranks(
    levels: FloatArray, size: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]:
    """For numpy's linear quantiles at ``levels`` of a sample of ``size``: the 0-based ranks of
    the order statistics below and above each position, and the weight between them."""
    positions = levels * (size - 1)
    below = np.floor(positions).astype(np.intp)
    above = np.minimum(below + 1, size - 1)
    return below, above, positions - below


def order_statistic_ranks(levels: FloatArray, size: int) -> list[int]:
    """The 0-based ranks whose values :func:`quantiles_from` needs for numpy's linear
    quantiles at ``levels`` of a sample of ``size``, each once, in order."""
    below, above, _ = quantile_ranks(levels, size)
    return sorted({*below.tolist(), *above.tolist()})


def quantiles_from(levels: FloatArray, size: int, found: Mapping[int, float]) -> FloatArray:
    """numpy's linear quantiles at ``levels`` of a sample of ``size``, from the values ``found``
    at the ranks :func:`order_statistic_ranks` named (an engine reads those out of its data)."""
    below, above, weight = quantile_ranks(levels, size)
    low = np.array([found[rank] for rank in below.tolist()])
    high = np.array([found[rank] for rank in above.tolist()])
    return interpolate(low, high, weight)


def interpolate(low: FloatArray, high: FloatArray, weight: FloatArray) -> FloatArray:
    """numpy's ``_lerp``: from the nearer end, which keeps the result within [low, high]
    (NaN between two infinities, without a warning)."""
    with np.errstate(invalid="ignore"):
        difference = high - low
        result: FloatArray = np.where(
            weight >= 0.5, high - difference * (1 - weight), low + difference * weight
        )
    return result


def sorted_quantiles(sorted_values: FloatArray, levels: FloatArray) -> FloatArray:
    """``np.quantile(sorted_values, levels)`` (linear method) for an already sorted sample,
    without partitioning it again: the same interpolation, term by term."""
    below, above, weight = quantile_ranks(levels, sorted_values.size)
    return interpolate(sorted_values[below], sorted_values[above], weight)


def _sorted_counts(sorted_values: FloatArray) -> dict[float, int]:
    values, counts = np.unique(sorted_values, return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def _bin_shares(sorted_values: FloatArray, edges: FloatArray) -> FloatArray:
    """Shares of a sorted sample in the bins (-inf, e1], (e1, e2], …, (ek, inf)."""
    upto = np.searchsorted(sorted_values, edges, side="right").tolist()
    return shares_from_counts(upto, sorted_values.size)


def shares_from_counts(upto: Sequence[int], size: int) -> FloatArray:
    """Shares of a sample of ``size`` in the bins (-inf, e1], (e1, e2], …, (ek, inf), from how
    many of its values are at or below each edge (what every engine counts its own way)."""
    shares: FloatArray = np.diff(np.array([0, *upto, size])) / size
    return shares


def categorical_drift(
    column: str,
    reference_counts: Mapping[Any, int],
    current_counts: Mapping[Any, int],
) -> ColumnDrift:
    """Drift of a categorical column from the count of each category in each sample (missing
    values not counted)."""
    stats, distance = _scipy()
    keys = list(dict.fromkeys([*reference_counts, *current_counts]))
    reference = np.array([reference_counts.get(key, 0) for key in keys], dtype=np.float64)
    current = np.array([current_counts.get(key, 0) for key in keys], dtype=np.float64)
    n_reference, n_current = int(reference.sum()), int(current.sum())
    if n_reference == 0 or n_current == 0:
        empty = "reference" if n_reference == 0 else "current"
        raise ValueError(f"column {column!r} has no values in the {empty} data")
    reference_share, current_share = reference / n_reference, current / n_current
    with np.errstate(divide="ignore", invalid="ignore"):  # an unseen category: p = 0
        chi2_p = float(stats.chisquare(current, reference * (n_current / n_reference))[1])
    statistics = {
        "chi2_p_value": chi2_p if not math.isnan(chi2_p) else 0.0,
        "psi": psi(reference_share, current_share),
        "jensen_shannon": float(distance.jensenshannon(reference_share, current_share)),
    }
    if n_reference <= SMALL_SAMPLE:
        method, score, threshold = "chi2", statistics["chi2_p_value"], P_VALUE_THRESHOLD
        drifted = score < threshold
    else:
        method, score = "jensen_shannon", statistics["jensen_shannon"]
        threshold, drifted = DISTANCE_THRESHOLD, score >= DISTANCE_THRESHOLD
    unseen = tuple(sorted(str(key) for key in current_counts if reference_counts.get(key, 0) == 0))
    return ColumnDrift(
        column,
        "categorical",
        method,
        score,
        threshold,
        drifted,
        n_reference,
        n_current,
        statistics,
        unseen,
    )


class DataSet(Protocol):
    """What choosing the columns to compare needs of a data set, whichever engine holds it."""

    @property
    def columns(self) -> list[str]: ...

    @property
    def source(self) -> str: ...

    def is_numeric(self, name: str) -> bool: ...

    def is_nested(self, name: str) -> bool: ...


def check_flat(data: DataSet, names: Sequence[str]) -> None:
    """:class:`ValueError` for the first column of ``names`` that holds lists, structs or maps:
    no probe compares such values (each engine writes them as text its own way, or not at
    all), though their missing ratio is counted."""
    for name in names:
        if data.is_nested(name):
            raise ValueError(
                f"column {name!r} of {data.source or 'the data'} holds nested values (lists, "
                "structs or maps), which no probe compares; expected numbers, text, booleans, "
                "dates or times (or leave the column out)"
            )


def compared_columns(
    reference: DataSet, current: DataSet, names: Sequence[str] | None = None
) -> list[tuple[str, bool]]:
    """The columns whose drift is computed — ``names`` (an empty list: none), or every column
    both data sets have — each with whether it is numeric. :class:`ValueError` for a column
    one data set lacks or holds as numbers where the other does not."""
    if names is None:
        names = [c for c in reference.columns if c in current.columns]
    chosen = list(names)
    missing = [c for c in chosen if c not in current.columns or c not in reference.columns]
    if missing:
        raise ValueError(f"columns missing from one of the data sets: {', '.join(missing)}")
    check_flat(reference, chosen)
    check_flat(current, chosen)
    compared = []
    for name in chosen:
        numeric = reference.is_numeric(name)
        if numeric != current.is_numeric(name):
            raise ValueError(f"column {name!r} is numeric in one data set and not in the other")
        compared.append((name, numeric))
    return compared


def dataset_drift(columns: Sequence[ColumnDrift], share: float = DRIFT_SHARE) -> DatasetDrift:
    """The data set's verdict: drifted when at least ``share`` of the columns drifted."""
    drifted_share = sum(column.drifted for column in columns) / len(columns) if columns else 0.0
    return DatasetDrift(
        tuple(columns), drifted_share, bool(columns) and drifted_share >= share, share
    )
