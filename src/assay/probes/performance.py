"""Model performance from labels, predictions and scores: classification, regression and
calibration metrics, with the definitions of scikit-learn (its tests are the oracle)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["calibration", "classification", "regression"]

Array = npt.NDArray[Any]
CALIBRATION_BINS = 10


def _check(y_true: Array, y_pred: Array, what: str) -> None:
    if len(y_true) == 0:
        raise ValueError(f"no rows to compute {what} on")
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions")


def classification(
    y_true: Array, y_pred: Array, y_score: Array | None = None, *, positive: Any = 1
) -> dict[str, Any]:
    """Accuracy, balanced accuracy, precision/recall/F1 (binary for two classes, macro and
    weighted), the confusion matrix with its labels, and with scores of the positive class ROC
    AUC and log loss. ``ValueError`` for fewer than two classes in ``y_true``."""
    from sklearn import metrics  # slow to import; only the performance probes need it

    _check(y_true, y_pred, "classification metrics")
    labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()), key=str)
    if len(set(y_true.tolist())) < 2:
        raise ValueError("the labels hold a single class; at least two are needed")
    result: dict[str, Any] = {
        "rows": len(y_true),
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, y_pred)),
        "confusion_matrix": {
            "labels": [str(label) for label in labels],
            "matrix": metrics.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
    }
    for average in ("macro", "weighted"):
        result[f"precision_{average}"] = float(
            metrics.precision_score(y_true, y_pred, average=average, zero_division=0)
        )
        result[f"recall_{average}"] = float(
            metrics.recall_score(y_true, y_pred, average=average, zero_division=0)
        )
        result[f"f1_{average}"] = float(
            metrics.f1_score(y_true, y_pred, average=average, zero_division=0)
        )
    if len(labels) == 2:
        result["precision"] = float(
            metrics.precision_score(y_true, y_pred, pos_label=positive, zero_division=0)
        )
        result["recall"] = float(
            metrics.recall_score(y_true, y_pred, pos_label=positive, zero_division=0)
        )
        result["f1"] = float(metrics.f1_score(y_true, y_pred, pos_label=positive, zero_division=0))
        if y_score is not None:
            truth = (y_true == positive).astype(int)
            result["roc_auc"] = float(metrics.roc_auc_score(truth, y_score))
            result["log_loss"] = float(metrics.log_loss(truth, y_score, labels=[0, 1]))
    return result


def regression(y_true: Array, y_pred: Array) -> dict[str, float]:
    """MAE, RMSE, R² and MAPE (as a fraction, scikit-learn's definition)."""
    from sklearn import metrics  # slow to import; only the performance probes need it

    _check(y_true, y_pred, "regression metrics")
    return {
        "rows": float(len(y_true)),
        "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred))),
        "r2": float(metrics.r2_score(y_true, y_pred)),
        "mape": float(metrics.mean_absolute_percentage_error(y_true, y_pred)),
    }


def calibration(
    y_true: Sequence[int] | Array, y_score: Array, bins: int = CALIBRATION_BINS
) -> dict[str, float]:
    """Brier score, and the expected calibration error: over ``bins`` equal-width bins of the
    score, the mean of |observed frequency - mean score| weighted by the bin's share of rows
    (a score of exactly 1.0 falls in the last bin)."""
    from sklearn import metrics  # slow to import; only the performance probes need it

    truth = np.asarray(y_true, dtype=float)
    scores = np.asarray(y_score, dtype=float)
    _check(truth, scores, "calibration")
    index = np.minimum((scores * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        inside = index == b
        if inside.any():
            error += inside.mean() * abs(truth[inside].mean() - scores[inside].mean())
    return {
        "brier": float(metrics.brier_score_loss(truth, scores)),
        "expected_calibration_error": float(error),
    }
