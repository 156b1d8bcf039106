"""Every probe by name: what it computes, which inputs and parameters it takes, and which test
items of the testing methodology it serves. Probes compute from :class:`ProbeInputs` and
return one value (a number, a flag or a mapping) that a measurement compares or selects in."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from assay.probes import fairness, performance, quality, robustness
from assay.probes.drift import (
    ColumnDrift,
    DataSet,
    DatasetDrift,
    categorical_drift,
    compared_columns,
    dataset_drift,
    defined,
    sorted_numeric_drift,
    sorted_present,
)
from assay.probes.table import Table, missing_columns

__all__ = ["PROBES", "Probe", "ProbeError", "ProbeInputs", "drift_columns"]


class ProbeError(ValueError):
    """A probe cannot compute: a missing input, column or parameter, or unsuitable data."""


def drift_columns(
    parameters: Mapping[str, Any], reference: DataSet, current: DataSet
) -> list[str] | None:
    """The columns whose drift a drift probe needs: its ``columns`` when given; else the one
    ``column`` of a probe of one column (:class:`ColumnError` naming the data set that lacks
    it and the columns that one has); else None, every column both data sets share. A probe
    of one column neither waits for the others nor fails on them (an empty column, a column
    numeric in one data set only)."""
    if parameters.get("columns"):
        return list(parameters["columns"])
    column = parameters.get("column")
    if column is None:
        return None
    for data in (reference, current):
        if column not in data.columns:
            raise missing_columns(data.source, data.columns, [column])
    return [column]


@dataclass
class ProbeInputs:
    """The data a probe computes from, and its parameters. Results shared by several probes
    (the drift of every column) are computed once per inputs object."""

    reference: Table | None = None
    current: Table | None = None
    predictions: Table | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    known_drift: DatasetDrift | None = None  # computed earlier on the same data
    model: Any = None

    def table(self, role: str) -> Table:
        """The input called ``role``, or :class:`ProbeError` saying it is needed."""
        found = getattr(self, role)
        if found is None:
            raise ProbeError(
                f"this probe needs the {role} data (--{role} FILE, or {role}: in the spec)"
            )
        assert isinstance(found, Table)
        return found

    def parameter(self, name: str, default: Any = None) -> Any:
        """A parameter, or its default; :class:`ProbeError` when required (no default)."""
        if name in self.parameters and self.parameters[name] is not None:
            return self.parameters[name]
        if default is None:
            raise ProbeError(f"this probe needs the parameter {name!r}")
        return default

    def data(self) -> Table:
        """The data set a single-data-set probe looks at: current if given, else reference."""
        return self.current or self.table("reference")

    @cached_property
    def drift(self) -> DatasetDrift:
        """The drift of the columns the probe needs (:func:`drift_columns`)."""
        if self.known_drift is not None:
            return self.known_drift
        reference, current = self.table("reference"), self.table("current")
        try:
            wanted = drift_columns(self.parameters, reference, current)
            compared = compared_columns(reference, current, wanted)
        except ValueError as error:
            raise ProbeError(str(error)) from None

        def column_drift(column: tuple[str, bool]) -> ColumnDrift:
            name, numeric = column
            if numeric:
                # The current data's sorted columns are kept for the quality probes, which
                # look at it; the reference's are made for this and let go.
                return sorted_numeric_drift(
                    name, sorted_present(reference.numeric(name)), current.sorted_numeric(name)
                )
            return categorical_drift(name, reference.counts(name), current.counts(name))

        # Columns are independent, and numpy's sorts and scans release the GIL: a thread per
        # core computes them side by side (the same figures, in the same order).
        workers = min(len(compared), os.cpu_count() or 1)
        try:
            if workers > 1:
                with ThreadPoolExecutor(workers, thread_name_prefix="assay-drift") as pool:
                    results = list(pool.map(column_drift, compared))
            else:
                results = [column_drift(column) for column in compared]
        except ValueError as error:
            raise ProbeError(str(error)) from None
        return dataset_drift(results)


@dataclass(frozen=True)
class Probe:
    """A named measurement computed from data."""

    name: str
    description: str
    needs: tuple[str, ...]
    parameters: tuple[str, ...]
    compute: Callable[[ProbeInputs], Any]
    test_items: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        """The part of the name before the dot: drift, quality, performance, …"""
        return self.name.split(".")[0]


def _column_drift(inputs: ProbeInputs) -> ColumnDrift:
    column = inputs.parameter("column")
    found = inputs.drift.by_column.get(column)
    if found is None:
        raise ProbeError(f"no column {column!r} in both data sets")
    return found


def _prediction_drift(inputs: ProbeInputs) -> dict[str, Any]:
    column = inputs.parameter("prediction", "prediction")
    found = inputs.drift.by_column.get(column)
    if found is None:
        raise ProbeError(f"no prediction column {column!r} in both data sets")
    return found.to_dict()


def _statistic(name: str) -> Callable[[ProbeInputs], Any]:
    def compute(inputs: ProbeInputs) -> Any:
        if "column" not in inputs.parameters:  # null where a column's statistic is no number
            return {
                c.column: value if _is_number(value := c.statistics.get(name)) else None
                for c in inputs.drift.columns
            }
        column = inputs.parameters["column"]
        value = _column_drift(inputs).statistics.get(name)
        if value is None:
            raise ProbeError(f"{name} does not apply to column {column!r}")
        if not _is_number(value):
            raise ProbeError(
                f"{name} is not defined for column {column!r}: it holds infinite values"
            )
        return value

    return compute


def _is_number(value: Any) -> bool:
    """Not a float that is no number (NaN, infinite): such a value is never passed on."""
    return not isinstance(value, float) or defined(value)


def _labels(inputs: ProbeInputs) -> tuple[Any, Any, Any]:
    table = inputs.table("predictions")
    label, prediction = (
        inputs.parameter("label", "label"),
        inputs.parameter("prediction", "prediction"),
    )
    table.require([label, prediction])
    score_column = inputs.parameter("score", "score")
    scores = table.numeric(score_column) if score_column in table.columns else None
    return table.labels(label), table.labels(prediction), scores


def _classification(metric: str) -> Callable[[ProbeInputs], Any]:
    def compute(inputs: ProbeInputs) -> Any:
        y_true, y_pred, scores = _labels(inputs)
        result = performance.classification(
            y_true, y_pred, scores, positive=inputs.parameter("positive", 1)
        )
        if metric not in result:
            raise ProbeError(
                f"{metric} needs two classes and, for roc_auc and log_loss, a score column"
            )
        return result[metric]

    return compute


def _regression(metric: str) -> Callable[[ProbeInputs], Any]:
    def compute(inputs: ProbeInputs) -> Any:
        table = inputs.table("predictions")
        label, prediction = (
            inputs.parameter("label", "label"),
            inputs.parameter("prediction", "prediction"),
        )
        return performance.regression(table.numeric(label), table.numeric(prediction))[metric]

    return compute


def _calibration(metric: str) -> Callable[[ProbeInputs], Any]:
    def compute(inputs: ProbeInputs) -> Any:
        y_true, _, scores = _labels(inputs)
        if scores is None:
            raise ProbeError("calibration needs a score column (--score NAME)")
        truth = (y_true == inputs.parameter("positive", 1)).astype(int)
        return performance.calibration(truth, scores)[metric]

    return compute


def _fairness(metric: str) -> Callable[[ProbeInputs], Any]:
    def compute(inputs: ProbeInputs) -> Any:
        table = inputs.table("predictions")
        sensitive = inputs.parameter("sensitive")
        y_true, y_pred, _ = _labels(inputs)
        result = fairness.group_fairness(
            y_true, y_pred, table.labels(sensitive), positive=inputs.parameter("positive", 1)
        )
        return result[metric]

    return compute


def _robustness(metric: str) -> Callable[[ProbeInputs], Any]:
    def compute(inputs: ProbeInputs) -> Any:
        if inputs.model is None:
            raise ProbeError("this probe needs the model (--model FILE, or model: in the spec)")
        table = inputs.data()
        excluded = {inputs.parameter("label", "label"), "prediction", "score"}
        names = inputs.parameters.get("features") or [
            c for c in table.columns if table.is_numeric(c) and c not in excluded
        ]
        table.require(names)
        matrix = np.column_stack([table.numeric(name) for name in names])
        result = robustness.robustness(
            inputs.model,
            matrix,
            names,
            noise=float(inputs.parameter("noise", robustness.DEFAULT_NOISE)),
            seed=int(inputs.parameter("seed", 0)),
        )
        if result[metric] is None:
            raise ProbeError(f"{metric} needs a model with predict_proba")
        return result[metric]

    return compute


def _schema(inputs: ProbeInputs) -> Any:
    rules = {
        name: quality.ColumnSchema.from_mapping(rule)
        for name, rule in inputs.parameter("schema").items()
    }
    return quality.schema_violation_ratio(inputs.data(), rules)


def _missing(inputs: ProbeInputs) -> Any:
    ratios = quality.missing_ratios(inputs.data())
    column = inputs.parameters.get("column")
    if column is None:
        return ratios
    inputs.data().require([column])
    return ratios[column]


def _probes() -> dict[str, Probe]:
    drift_items = ("operation.drift",)
    listed = [
        Probe(
            "drift.ks_statistic",
            "Kolmogorov-Smirnov statistic of a numeric column (or of each)",
            ("reference", "current"),
            ("column",),
            _statistic("ks_statistic"),
            drift_items,
        ),
        Probe(
            "drift.ks_p_value",
            "Kolmogorov-Smirnov p-value (scipy's exact or asymptotic)",
            ("reference", "current"),
            ("column",),
            _statistic("ks_p_value"),
            drift_items,
        ),
        Probe(
            "drift.wasserstein",
            "Wasserstein (earth mover's) distance",
            ("reference", "current"),
            ("column",),
            _statistic("wasserstein"),
            drift_items,
        ),
        Probe(
            "drift.wasserstein_normalized",
            "Wasserstein distance over the reference's standard deviation",
            ("reference", "current"),
            ("column",),
            _statistic("wasserstein_normalized"),
            drift_items,
        ),
        Probe(
            "drift.psi",
            "Population stability index (reference deciles; categories)",
            ("reference", "current"),
            ("column",),
            _statistic("psi"),
            drift_items,
        ),
        Probe(
            "drift.jensen_shannon",
            "Jensen-Shannon distance (reference deciles; categories)",
            ("reference", "current"),
            ("column",),
            _statistic("jensen_shannon"),
            drift_items,
        ),
        Probe(
            "drift.chi2_p_value",
            "Chi-square p-value of a categorical column",
            ("reference", "current"),
            ("column",),
            _statistic("chi2_p_value"),
            drift_items,
        ),
        Probe(
            "drift.unseen_categories",
            "Categories of the current data never seen in the reference",
            ("reference", "current"),
            ("column",),
            lambda i: list(_column_drift(i).unseen),
            drift_items,
        ),
        Probe(
            "drift.drifted",
            "Whether a column drifted (Evidently's default rules)",
            ("reference", "current"),
            ("column",),
            lambda i: _column_drift(i).drifted,
            drift_items,
        ),
        Probe(
            "drift.share",
            "Share of columns that drifted",
            ("reference", "current"),
            ("columns",),
            lambda i: i.drift.share,
            drift_items,
        ),
        Probe(
            "drift.dataset",
            "Whether the data set drifted (at least half of its columns)",
            ("reference", "current"),
            ("columns",),
            lambda i: i.drift.drifted,
            drift_items,
        ),
        Probe(
            "drift.prediction",
            "Drift of the predictions (the prediction column of both data sets): test, score, "
            "verdict",
            ("reference", "current"),
            ("prediction", "columns"),
            _prediction_drift,
            drift_items,
        ),
        Probe(
            "quality.rows",
            "Number of rows",
            ("current",),
            (),
            lambda i: i.data().rows,
            ("experimentation.training-data-format",),
        ),
        Probe(
            "quality.missing_ratio",
            "Share of missing values of a column (or of each)",
            ("current",),
            ("column",),
            _missing,
            ("training.training-data", "experimentation.training-data-format"),
        ),
        Probe(
            "quality.duplicate_ratio",
            "Share of rows that repeat an earlier row",
            ("current",),
            ("columns",),
            lambda i: quality.duplicate_ratio(i.data(), i.parameters.get("columns")),
            ("training.training-data",),
        ),
        Probe(
            "quality.schema_violations",
            "Share of values breaking a declared schema, per column",
            ("current",),
            ("schema",),
            _schema,
            ("training.training-data", "experimentation.training-data-format"),
        ),
        Probe(
            "quality.outlier_ratio",
            "Share of outliers of a numeric column (iqr or zscore)",
            ("current",),
            ("column", "method"),
            lambda i: quality.outlier_ratio(
                i.data(), i.parameter("column"), i.parameter("method", "iqr")
            ),
            ("training.training-data",),
        ),
        Probe(
            "quality.constant_columns",
            "Columns with at most one distinct value",
            ("current",),
            (),
            lambda i: quality.constant_columns(i.data()),
            ("training.training-data", "experimentation.training-data-format"),
        ),
        Probe(
            "quality.class_balance",
            "Class shares, minority share and imbalance ratio of a label",
            ("current",),
            ("label",),
            lambda i: quality.class_balance(i.data(), i.parameter("label", "label")),
            ("training.training-data", "experimentation.labels"),
        ),
        Probe(
            "quality.correlated_pairs",
            "Numeric column pairs with |Pearson r| ≥ 0.95",
            ("current",),
            ("threshold",),
            lambda i: [
                list(p)
                for p in quality.correlated_pairs(
                    i.data(), i.parameter("threshold", quality.CORRELATION_THRESHOLD)
                )
            ],
            ("experimentation.features", "training.training-data"),
        ),
        Probe(
            "quality.label_completeness",
            "Share of rows with a label",
            ("current",),
            ("label",),
            lambda i: quality.label_completeness(i.data(), i.parameter("label", "label")),
            ("experimentation.labels",),
        ),
    ]
    for metric in (
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "f1_macro",
        "f1_weighted",
        "precision_macro",
        "recall_macro",
        "roc_auc",
        "log_loss",
        "confusion_matrix",
    ):
        listed.append(
            Probe(
                f"performance.{metric}",
                f"{metric.replace('_', ' ')} of a classifier (scikit-learn's definition)",
                ("predictions",),
                ("label", "prediction", "score", "positive"),
                _classification(metric),
                ("training.ml-model", "experimentation.basic-model-performance"),
            )
        )
    for metric in ("mae", "rmse", "r2", "mape"):
        listed.append(
            Probe(
                f"performance.{metric}",
                f"{metric.upper()} of a regressor",
                ("predictions",),
                ("label", "prediction"),
                _regression(metric),
                ("training.ml-model", "experimentation.basic-model-performance"),
            )
        )
    listed += [
        Probe(
            "calibration.expected_calibration_error",
            "Expected calibration error over 10 bins",
            ("predictions",),
            ("label", "score", "positive"),
            _calibration("expected_calibration_error"),
            ("training.ml-model",),
        ),
        Probe(
            "calibration.brier",
            "Brier score",
            ("predictions",),
            ("label", "score", "positive"),
            _calibration("brier"),
            ("training.ml-model",),
        ),
    ]
    for metric in (
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equalized_odds_difference",
        "equal_opportunity_difference",
        "four_fifths_rule",
        "groups",
    ):
        listed.append(
            Probe(
                f"fairness.{metric}",
                f"{metric.replace('_', ' ')} across the groups of a sensitive feature",
                ("predictions",),
                ("sensitive", "label", "prediction", "positive"),
                _fairness(metric),
                ("training.ml-model", "experimentation.basic-model-performance", "operation.drift"),
            )
        )
    robust = ("features", "noise", "seed", "label")
    robust_items = ("training.ml-model", "experimentation.basic-model-performance")
    listed += [
        Probe(
            "robustness.flip_rate",
            "Share of predictions that change under seeded Gaussian noise",
            ("model", "current"),
            robust,
            _robustness("flip_rate"),
            robust_items,
        ),
        Probe(
            "robustness.score_change",
            "Mean absolute change of the positive-class probability under noise",
            ("model", "current"),
            robust,
            _robustness("score_change"),
            robust_items,
        ),
        Probe(
            "robustness.feature_flip_rates",
            "Per feature, the flip rate when it is shuffled",
            ("model", "current"),
            robust,
            _robustness("feature_flip_rates"),
            robust_items,
        ),
    ]
    return {probe.name: probe for probe in listed}


PROBES: dict[str, Probe] = _probes()
