"""Quality, performance and fairness probes against pandas, scikit-learn, fairlearn and DuckDB."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fairlearn import metrics as fair
from scipy import stats
from sklearn import metrics

from assay.probes import fairness, performance, quality
from assay.probes.table import ColumnError, Table, blob_text, missing_columns

RELATIVE = 1e-9


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 5_000
    income = rng.lognormal(10, 0.5, n)
    income[rng.random(n) < 0.03] = np.nan
    age = rng.integers(18, 80, n).astype(float)
    frame = pd.DataFrame(
        {
            "income": income,
            "age": age,
            "age_months": age * 12 + rng.normal(0, 1, n),
            "region": np.array(["north", "south", "east", None], dtype=object)[
                rng.choice(4, n, p=[0.4, 0.3, 0.28, 0.02])
            ],
            "constant": 1.0,
            "label": rng.choice([0, 1], n, p=[0.8, 0.2]),
        }
    )
    duplicates = frame.sample(150, random_state=1)
    return pd.concat([frame, duplicates], ignore_index=True)


def table_of(frame: pd.DataFrame) -> Table:
    return Table(pa.Table.from_pandas(frame, preserve_index=False), "frame")


def test_quality_matches_pandas(frame: pd.DataFrame) -> None:
    table = table_of(frame)
    ratios = quality.missing_ratios(table)
    for column in frame.columns:
        assert ratios[column] == pytest.approx(frame[column].isna().mean(), rel=RELATIVE)
    assert quality.duplicate_ratio(table) == pytest.approx(frame.duplicated().mean(), rel=RELATIVE)
    income = frame["income"].dropna()
    q1, q3 = income.quantile(0.25), income.quantile(0.75)
    iqr = ((income < q1 - 1.5 * (q3 - q1)) | (income > q3 + 1.5 * (q3 - q1))).mean()
    assert quality.outlier_ratio(table, "income") == pytest.approx(iqr, rel=RELATIVE)
    z = (np.abs(stats.zscore(income)) > 3).mean()
    assert quality.outlier_ratio(table, "income", "zscore") == pytest.approx(z, rel=RELATIVE)
    assert quality.constant_columns(table) == ["constant"]
    pairs = quality.correlated_pairs(table)
    assert [(a, b) for a, b, _ in pairs] == [("age", "age_months")]
    assert pairs[0][2] == pytest.approx(frame["age"].corr(frame["age_months"]), rel=RELATIVE)
    balance = quality.class_balance(table, "label")
    shares = frame["label"].value_counts(normalize=True)
    assert balance["minority_share"] == pytest.approx(shares.min(), rel=RELATIVE)
    assert balance["imbalance_ratio"] == pytest.approx(shares.max() / shares.min(), rel=RELATIVE)
    assert quality.label_completeness(table, "region") == pytest.approx(
        frame["region"].notna().mean(), rel=RELATIVE
    )


def test_schema_violations(frame: pd.DataFrame) -> None:
    table = table_of(frame)
    schema = {
        "age": quality.ColumnSchema("numeric", min=21, max=75),
        "region": quality.ColumnSchema("string", allowed=("north", "south")),
        "income": quality.ColumnSchema("string"),
    }
    ratios = quality.schema_violation_ratio(table, schema)
    age = frame["age"]
    assert ratios["age"] == pytest.approx(((age < 21) | (age > 75)).mean(), rel=RELATIVE)
    region = frame["region"].dropna()
    assert ratios["region"] == pytest.approx(
        (~region.isin(["north", "south"])).mean(), rel=RELATIVE
    )
    assert ratios["income"] == 0.0, "a string schema without allowed values accepts numbers as text"
    assert quality.schema_violation_ratio(table, {"region": quality.ColumnSchema("numeric")}) == {
        "region": 1.0
    }


def test_a_missing_column_is_refused_naming_what_the_data_has() -> None:
    wide = [f"c{i}" for i in range(45)]
    message = str(missing_columns("wide.csv", wide, ["salary"]))
    assert message == (
        "wide.csv has no column 'salary' (it has " + ", ".join(wide[:30]) + ", … and 15 more)"
    )
    assert str(missing_columns("", ["a\x1b[2Jb"], ["x"])) == (
        "the data has no column 'x' (it has a\\x1b[2Jb)"
    ), "a name's control characters are written as escapes"
    for header, separator in (("x;y;z", "';'"), ("x\ty\tz", "tabs"), ("x|y", "'|'")):
        hinted = str(missing_columns("f.csv", [header], ["x"]))
        assert hinted.endswith(
            f"; if it is a CSV file, its header seems to separate the names by {separator}, and "
            "assay reads commas between values (save it comma-separated, or as Parquet)"
        ), hinted
    for columns in (["x y"], ["a;b", "c"]):
        assert "separate" not in str(missing_columns("f.csv", columns, ["x"]))


def test_quality_bad_input(frame: pd.DataFrame) -> None:
    table = table_of(frame)
    with pytest.raises(ColumnError, match="has no column 'salary'"):
        quality.missing_ratios(table, ["salary"])
    with pytest.raises(ColumnError, match="column 'region' of frame is string, not numeric"):
        quality.outlier_ratio(table, "region")
    with pytest.raises(ColumnError, match="1 class; at least two are needed"):
        quality.class_balance(table, "constant")


@pytest.fixture
def predictions() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 4_000
    group = rng.choice(["f", "m", "x"], n, p=[0.45, 0.45, 0.1])
    y_true = rng.choice([0, 1], n, p=[0.7, 0.3])
    score = np.clip(0.3 * y_true + rng.normal(0.35, 0.2, n) + (group == "m") * 0.08, 0, 1)
    return pd.DataFrame(
        {"y_true": y_true, "score": score, "y_pred": (score >= 0.5).astype(int), "group": group}
    )


def test_classification_matches_scikit_learn(predictions: pd.DataFrame) -> None:
    y, p, s = (
        predictions["y_true"].to_numpy(),
        predictions["y_pred"].to_numpy(),
        predictions["score"].to_numpy(),
    )
    got = performance.classification(y, p, s)
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(y, p), rel=RELATIVE)
    assert got["balanced_accuracy"] == pytest.approx(
        metrics.balanced_accuracy_score(y, p), rel=RELATIVE
    )
    assert got["f1"] == pytest.approx(metrics.f1_score(y, p), rel=RELATIVE)
    assert got["f1_macro"] == pytest.approx(metrics.f1_score(y, p, average="macro"), rel=RELATIVE)
    assert got["precision_weighted"] == pytest.approx(
        metrics.precision_score(y, p, average="weighted"), rel=RELATIVE
    )
    assert got["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, s), rel=RELATIVE)
    assert got["log_loss"] == pytest.approx(metrics.log_loss(y, s), rel=RELATIVE)
    assert got["confusion_matrix"]["matrix"] == metrics.confusion_matrix(y, p).tolist()
    with pytest.raises(ValueError, match="single class"):
        performance.classification(np.zeros(5), np.zeros(5))


def test_regression_and_calibration(predictions: pd.DataFrame) -> None:
    y, s = predictions["y_true"].to_numpy().astype(float) + 1, predictions["score"].to_numpy() + 1
    got = performance.regression(y, s)
    assert got["rmse"] == pytest.approx(np.sqrt(metrics.mean_squared_error(y, s)), rel=RELATIVE)
    assert got["r2"] == pytest.approx(metrics.r2_score(y, s), rel=RELATIVE)
    assert got["mape"] == pytest.approx(metrics.mean_absolute_percentage_error(y, s), rel=RELATIVE)
    truth, scores = predictions["y_true"].to_numpy(), predictions["score"].to_numpy()
    calibrated = performance.calibration(truth, scores)
    assert calibrated["brier"] == pytest.approx(
        metrics.brier_score_loss(truth, scores), rel=RELATIVE
    )
    # ECE from the calibration curve of scikit-learn, weighted by the bins' row counts.
    bins = np.minimum((scores * 10).astype(int), 9)
    observed, predicted = [], []
    for b in range(10):
        inside = bins == b
        if inside.any():
            observed.append(truth[inside].mean())
            predicted.append(scores[inside].mean())
    weights = np.bincount(bins, minlength=10)[np.bincount(bins, minlength=10) > 0] / len(scores)
    expected = float(np.sum(weights * np.abs(np.array(observed) - np.array(predicted))))
    assert calibrated["expected_calibration_error"] == pytest.approx(expected, rel=RELATIVE)


def test_fairness_matches_fairlearn(predictions: pd.DataFrame) -> None:
    y, p, g = (
        predictions["y_true"].to_numpy(),
        predictions["y_pred"].to_numpy(),
        predictions["group"].to_numpy(),
    )
    got = fairness.group_fairness(y, p, g)
    oracle = {
        "demographic_parity_difference": fair.demographic_parity_difference(
            y, p, sensitive_features=g
        ),
        "demographic_parity_ratio": fair.demographic_parity_ratio(y, p, sensitive_features=g),
        "equalized_odds_difference": fair.equalized_odds_difference(y, p, sensitive_features=g),
        "equal_opportunity_difference": fair.equal_opportunity_difference(
            y, p, sensitive_features=g
        ),
    }
    for name, value in oracle.items():
        assert got[name] == pytest.approx(value, rel=RELATIVE), name
    frame = fair.MetricFrame(
        metrics={
            "selection_rate": fair.selection_rate,
            "true_positive_rate": fair.true_positive_rate,
        },
        y_true=y,
        y_pred=p,
        sensitive_features=g,
    )
    for group, row in frame.by_group.iterrows():
        assert got["groups"][group]["selection_rate"] == pytest.approx(
            row["selection_rate"], rel=RELATIVE
        )
        assert got["groups"][group]["true_positive_rate"] == pytest.approx(
            row["true_positive_rate"], rel=RELATIVE
        )
    assert got["four_fifths_rule"] is bool(oracle["demographic_parity_ratio"] >= 0.8)
    with pytest.raises(ValueError, match="1 group; at least two"):
        fairness.group_fairness(y, p, np.array(["f"] * len(y)))


def pandas_iqr_share(values: pd.Series) -> float:
    q1, q3 = values.quantile(0.25), values.quantile(0.75)
    spread = q3 - q1
    return float(((values < q1 - 1.5 * spread) | (values > q3 + 1.5 * spread)).mean())


@pytest.mark.parametrize(
    "values",
    [
        # Quartiles 10 and 20: the fences -5 and 35 are values themselves (not outliers).
        [-5.0, -5.000001, 35.0, 35.000001, *[10.0] * 40, *[20.0] * 40, 15.0, np.nan],
        [1.0, 2.0, 3.0, np.inf, 4.0, -np.inf, 5.0, 6.0, 7.0, 8.0],  # fences cross infinity
        [np.inf] * 6 + [1.0, 2.0],  # Q3 is infinite: the upper fence is NaN
        [-np.inf] * 6 + [1.0, 2.0],  # Q3 is NaN (between -inf and 1): both fences are NaN
        [3.0, 3.0, 3.0, 7.0],
    ],
)
def test_iqr_outliers_at_the_fences_match_pandas(values: list[float]) -> None:
    table = table_of(pd.DataFrame({"x": values}))
    expected = pandas_iqr_share(pd.Series(values).dropna())
    assert quality.outlier_ratio(table, "x") == expected


def test_sorted_columns_and_counts_are_made_once_per_table(frame: pd.DataFrame) -> None:
    table = table_of(frame)
    missing_before = table.missing("income")
    ordered = table.sorted_numeric("income")
    assert table.missing("income") == missing_before == frame["income"].isna().sum()
    assert ordered is table.sorted_numeric("income"), "the same array: sorted once"
    assert not ordered.flags.writeable, "shared by the probes: nobody may change it"
    income = frame["income"].dropna().to_numpy()
    assert np.array_equal(ordered, np.sort(income))
    counts = table.counts("region")
    counts["north"] = -1  # a caller's copy: the table's counts stay as they were
    assert table.counts("region") == frame["region"].value_counts().to_dict()
    with pytest.raises(ColumnError, match="not numeric"):
        table.sorted_numeric("region")
    nulls = Table(pa.table({"n": pa.array([3, None, 1, None, 2], pa.int64())}), "ints")
    assert nulls.sorted_numeric("n").tolist() == [1.0, 2.0, 3.0]
    assert nulls.missing("n") == 2


def test_duplicates_and_correlations_across_row_blocks() -> None:
    # More rows than one block of quality.BLOCK_ROWS, with repeats far apart, NaN of several
    # bit patterns and -0.0 (pandas takes both as equal to their kind).
    rng = np.random.default_rng(3)
    rows = 2 * quality.BLOCK_ROWS + 1_001
    base = rng.normal(0, 1, rows)
    frame = pd.DataFrame(
        {
            "a": base,
            "b": 2 * base + rng.normal(0, 0.01, rows),
            "c": rng.integers(0, 3, rows).astype(float),
            "text": np.array(["p", "q", None], dtype=object)[rng.integers(0, 3, rows)],
        }
    )
    frame.loc[rows - 500 :, ["a", "b"]] = frame.loc[:499, ["a", "b"]].to_numpy()
    frame.loc[rows - 500 :, ["c", "text"]] = frame.loc[:499, ["c", "text"]].to_numpy()
    payload = np.float64(np.nan).view(np.uint64) | np.uint64(1)
    frame.loc[10, "a"] = np.nan
    frame.loc[rows - 490, "a"] = np.array([payload]).view(np.float64)[0]  # NaN, other bits
    frame.loc[20, "a"], frame.loc[rows - 480, "a"] = 0.0, -0.0
    table = table_of(frame)
    assert quality.duplicate_ratio(table) == pytest.approx(frame.duplicated().mean(), rel=RELATIVE)
    assert quality.duplicate_ratio(table) == 500 / rows
    whole = frame[["b", "c"]].assign(a=base)
    pairs = quality.correlated_pairs(table_of(whole), threshold=0.0)
    expected = whole.corr()
    assert {(x, y) for x, y, _ in pairs} == {("b", "c"), ("b", "a"), ("c", "a")}
    for first, second, r in pairs:
        assert r == pytest.approx(expected.loc[first, second], rel=RELATIVE)
    assert quality.correlated_pairs(table_of(whole.iloc[:0])) == [], "no rows: no pairs"


def test_integers_past_two_to_the_53_and_decimals_are_numbers() -> None:
    present = [2**60 + 1, 2**60 + 300, -(2**62) - 7]
    amounts = [Decimal("0.10"), Decimal("12345678.99"), None, Decimal("-3.33")]
    table = Table(
        pa.table(
            {
                "id": pa.array([*present, None], pa.int64()),
                "amount": pa.array(amounts, pa.decimal128(10, 2)),
            }
        )
    )
    # numpy's and Python's conversions round to the nearest double, as DuckDB's and Spark's do
    assert table.numeric("id")[:3].tolist() == [float(i) for i in present]
    assert table.numeric("amount")[[0, 1, 3]].tolist() == [0.1, 12345678.99, -3.33]
    assert table.missing("id") == table.missing("amount") == 1
    expected = pandas_iqr_share(pd.Series([float(i) for i in present]))
    assert quality.outlier_ratio(table, "id") == expected


def test_bytes_as_categories_read_as_duckdb_casts_them() -> None:
    values = [b"ab", b"\\", b"\x00\x1f ~\x7f", b"\xff", "é".encode(), b""]
    with duckdb.connect() as connection:
        for value in values:
            cast = connection.execute("SELECT CAST(?::BLOB AS VARCHAR)", [value]).fetchone()
            assert cast is not None
            assert blob_text(value) == cast[0], value
    table = Table(pa.table({"b": pa.array([*values, b"ab", None], pa.binary())}))
    assert table.counts("b") == {blob_text(v): 2 if v == b"ab" else 1 for v in values}
