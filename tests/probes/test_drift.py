"""Drift probes against their oracles: scipy.stats, scipy.spatial and Evidently's own tests."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from evidently.legacy.calculations.stattests.chisquare_stattest import _chi_stat_test
from evidently.legacy.calculations.stattests.jensenshannon import _jensenshannon
from evidently.legacy.calculations.stattests.ks_stattest import _ks_stat_test
from evidently.legacy.calculations.stattests.psi import _psi
from evidently.legacy.calculations.stattests.wasserstein_distance_norm import (
    _wasserstein_distance_norm,
)
from evidently.legacy.core import ColumnType
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial import distance

from assay.probes.drift import (
    CATEGORY_LIMIT,
    categorical_drift,
    dataset_drift,
    defined,
    numeric_drift,
    sorted_quantiles,
)

RELATIVE = 1e-9


def samples(
    seed: int, n1: int, n2: int, shift: float, integers: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reference = rng.normal(50, 10, n1)
    current = rng.normal(50 + shift, 12, n2)
    if integers:  # many ties
        reference, current = np.round(reference), np.round(current)
    return reference, current


CASES = [
    (1, 400, 600, 0.0, False),
    (2, 800, 300, 3.0, True),
    (3, 20_000, 15_000, 0.5, False),
    (4, 50_000, 50_000, 2.0, True),
]


@pytest.mark.parametrize(("seed", "n1", "n2", "shift", "integers"), CASES)
def test_numeric_statistics_match_scipy(
    seed: int, n1: int, n2: int, shift: float, integers: bool
) -> None:
    reference, current = samples(seed, n1, n2, shift, integers)
    drift = numeric_drift("x", reference, current)
    ks = stats.ks_2samp(reference, current)
    got = drift.statistics
    assert got["ks_statistic"] == pytest.approx(ks.statistic, rel=RELATIVE)
    assert got["ks_p_value"] == pytest.approx(ks.pvalue, rel=RELATIVE, abs=1e-300)
    assert got["wasserstein"] == pytest.approx(
        stats.wasserstein_distance(reference, current), rel=RELATIVE
    )
    # PSI and Jensen-Shannon on reference deciles, computed here the plain way.
    edges = np.quantile(reference, np.linspace(0, 1, 11)[1:-1])
    bins = np.concatenate([[-np.inf], edges, [np.inf]])

    def shares(sample: np.ndarray) -> np.ndarray:
        inside = [np.sum((sample > lo) & (sample <= hi)) for lo, hi in itertools.pairwise(bins)]
        return np.array(inside) / sample.size

    ref_share, cur_share = shares(reference), shares(current)
    assert got["jensen_shannon"] == pytest.approx(
        distance.jensenshannon(ref_share, cur_share), rel=RELATIVE
    )
    ref_fill = np.where(ref_share == 0, 0.0001, ref_share)
    cur_fill = np.where(cur_share == 0, 0.0001, cur_share)
    expected_psi = np.sum((ref_fill - cur_fill) * np.log(ref_fill / cur_fill))
    assert got["psi"] == pytest.approx(expected_psi, rel=RELATIVE)


@pytest.mark.parametrize(("seed", "n1", "n2", "shift", "integers"), CASES)
def test_numeric_verdicts_match_evidently(
    seed: int, n1: int, n2: int, shift: float, integers: bool
) -> None:
    reference, current = samples(seed, n1, n2, shift, integers)
    drift = numeric_drift("x", reference, current)
    ref, cur = pd.Series(reference), pd.Series(current)
    normalized, wasserstein_drift = _wasserstein_distance_norm(ref, cur, ColumnType.Numerical, 0.1)
    assert drift.statistics["wasserstein_normalized"] == pytest.approx(normalized, rel=RELATIVE)
    p_value, ks_drift = _ks_stat_test(ref, cur, ColumnType.Numerical, 0.05)
    assert drift.statistics["ks_p_value"] == pytest.approx(p_value, rel=RELATIVE, abs=1e-300)
    expected = ks_drift if n1 <= 1000 else wasserstein_drift
    assert drift.drifted is bool(expected)
    assert drift.method == ("ks" if n1 <= 1000 else "wasserstein_normalized")


def category_counts(seed: int, n: int, weights: list[float], names: str) -> Counter[str]:
    rng = np.random.default_rng(seed)
    return Counter(rng.choice(list(names), size=n, p=weights).tolist())


@pytest.mark.parametrize(
    ("n1", "n2", "reference_weights", "current_weights", "names"),
    [
        (500, 400, [0.5, 0.3, 0.2], [0.45, 0.35, 0.2], "abc"),
        (5_000, 8_000, [0.4, 0.3, 0.2, 0.1, 0.0], [0.3, 0.3, 0.2, 0.1, 0.1], "abcde"),
        (3_000, 3_000, [0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4], "wxyz"),
    ],
)
def test_categorical_statistics_match_evidently(
    n1: int, n2: int, reference_weights: list[float], current_weights: list[float], names: str
) -> None:
    reference = category_counts(1, n1, reference_weights, names)
    current = category_counts(2, n2, current_weights, names)
    drift = categorical_drift("c", reference, current)
    ref = pd.Series(list(reference.elements()))
    cur = pd.Series(list(current.elements()))
    chi2_p, chi2_drift = _chi_stat_test(ref, cur, ColumnType.Categorical, 0.05)
    psi_value, _ = _psi(ref, cur, ColumnType.Categorical, 0.1)
    js_value, js_drift = _jensenshannon(ref, cur, ColumnType.Categorical, 0.1)
    assert drift.statistics["chi2_p_value"] == pytest.approx(chi2_p, rel=RELATIVE, abs=1e-300)
    assert drift.statistics["psi"] == pytest.approx(psi_value, rel=RELATIVE)
    assert drift.statistics["jensen_shannon"] == pytest.approx(js_value, rel=RELATIVE)
    assert drift.drifted is bool(chi2_drift if n1 <= 1000 else js_drift)
    unseen_in_reference = sorted(str(k) for k in current if reference.get(k, 0) == 0)
    assert list(drift.unseen) == unseen_in_reference, "sorted, whichever engine counted them"


def test_dataset_drift_share_and_verdict() -> None:
    rng = np.random.default_rng(5)
    stable = numeric_drift("a", rng.normal(0, 1, 2000), rng.normal(0, 1, 2000))
    moved = numeric_drift("b", rng.normal(0, 1, 2000), rng.normal(1, 1, 2000))
    assert (stable.drifted, moved.drifted) == (False, True)
    half = dataset_drift([stable, moved])
    assert (half.share, half.drifted) == (0.5, True)
    assert dataset_drift([stable, stable, moved]).drifted is False


def test_missing_values_are_left_out_and_empty_samples_refused() -> None:
    reference, current = samples(7, 300, 300, 0.0)
    with_gaps = reference.copy()
    with_gaps[::10] = np.nan
    drift = numeric_drift("x", with_gaps, current)
    assert drift.reference_rows == 270
    assert drift.statistics["ks_statistic"] == pytest.approx(
        stats.ks_2samp(with_gaps[~np.isnan(with_gaps)], current).statistic, rel=RELATIVE
    )
    with pytest.raises(ValueError, match="column 'x' has no values in the reference data"):
        numeric_drift("x", np.array([np.nan, np.nan]), current)
    with pytest.raises(ValueError, match="no values in the current data"):
        categorical_drift("c", {"a": 3}, {})


def _signed_samples(kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    if kind == "around zero":
        return rng.normal(0, 1, 3000), rng.normal(0.2, 1.3, 2500)
    if kind == "ties across zero":  # np.round gives -0.0 for small negatives
        return np.round(rng.normal(0, 4, 3000)), np.round(rng.normal(0.5, 4, 2000))
    if kind == "all negative":
        return -rng.exponential(1, 2000), -rng.exponential(1.2, 1500)
    # subnormal numbers and both zeros, either sign
    tiny = np.array([5e-324, -5e-324, 1e-310, -1e-310, 0.0, -0.0, 2.2e-308, -2.2e-308])
    return rng.choice(tiny, 400), rng.choice(tiny[2:], 300)


@pytest.mark.parametrize("kind", ["around zero", "ties across zero", "all negative", "tiny"])
def test_numeric_statistics_match_scipy_whatever_the_signs(kind: str) -> None:
    reference, current = _signed_samples(kind)
    drift = numeric_drift("x", reference, current)
    ks = stats.ks_2samp(reference, current)
    assert drift.statistics["ks_statistic"] == pytest.approx(ks.statistic, rel=RELATIVE)
    assert drift.statistics["ks_p_value"] == pytest.approx(ks.pvalue, rel=RELATIVE, abs=1e-300)
    assert drift.statistics["wasserstein"] == pytest.approx(
        stats.wasserstein_distance(reference, current), rel=RELATIVE, abs=1e-320
    )


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32])
def test_samples_of_other_number_types_match_scipy(dtype: type) -> None:
    rng = np.random.default_rng(13)
    reference: np.ndarray = np.round(rng.normal(0, 50, 3000)).astype(dtype)
    current: np.ndarray = np.round(rng.normal(5, 50, 2000)).astype(dtype)
    drift = numeric_drift("x", reference, current)
    assert drift.statistics["ks_statistic"] == pytest.approx(
        stats.ks_2samp(reference, current).statistic, rel=RELATIVE
    )
    assert drift.statistics["wasserstein"] == pytest.approx(
        stats.wasserstein_distance(reference, current), rel=RELATIVE
    )


def test_ks_statistic_with_infinite_values_matches_scipy() -> None:
    rng = np.random.default_rng(12)
    reference = np.concatenate([rng.normal(0, 1, 500), [np.inf, -np.inf, -np.inf]])
    current = np.concatenate([rng.normal(0.3, 1, 400), [np.inf] * 4])
    drift = numeric_drift("x", reference, current)
    assert drift.statistics["ks_statistic"] == pytest.approx(
        stats.ks_2samp(reference, current).statistic, rel=RELATIVE
    )


def test_with_infinite_values_the_wasserstein_distance_is_no_number_and_never_a_verdict() -> None:
    rng = np.random.default_rng(13)
    small, current = np.concatenate([rng.normal(0, 1, 500), [np.inf]]), rng.normal(0, 1, 400)
    drift = numeric_drift("x", small, current)
    assert not defined(stats.wasserstein_distance(small, current))  # scipy's: infinite
    assert not defined(drift.statistics["wasserstein"])
    assert drift.method == "ks", "the verdict of a small sample rests on KS, which is defined"
    large = np.concatenate([rng.normal(0, 1, 1_500), [-np.inf]])
    with pytest.raises(ValueError, match="column 'x' holds infinite values: its drift verdict"):
        numeric_drift("x", large, rng.normal(0, 1, 400))


finite_or_signed_zero = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True),
    st.sampled_from([0.0, -0.0, 1.0, -1.0]),
)


@given(
    st.lists(finite_or_signed_zero, min_size=6, max_size=200),
    st.lists(finite_or_signed_zero, min_size=6, max_size=200),
)
def test_ks_and_wasserstein_of_any_finite_samples_match_scipy(
    reference: list[float], current: list[float]
) -> None:
    first, second = np.array(reference), np.array(current)
    if np.unique(np.concatenate([first, second])).size <= CATEGORY_LIMIT:
        return  # treated as categories (tested above)
    drift = numeric_drift("x", first, second)
    assert drift.statistics["ks_statistic"] == pytest.approx(
        stats.ks_2samp(first, second).statistic, rel=RELATIVE
    )
    assert drift.statistics["wasserstein"] == pytest.approx(
        stats.wasserstein_distance(first, second), rel=1e-7, abs=1e-9
    )


@given(
    st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=300),
    st.lists(st.floats(0, 1), min_size=1, max_size=12),
)
def test_quantiles_of_a_sorted_sample_equal_numpys(
    values: list[float], levels: list[float]
) -> None:
    sample, wanted = np.sort(np.array(values)), np.array(levels)
    assert np.array_equal(sorted_quantiles(sample, wanted), np.quantile(sample, wanted))
