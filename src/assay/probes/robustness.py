"""Robustness of a model to small changes of its inputs (001 §5.3, model robustness testing).

The model is anything with scikit-learn's ``predict`` (and, for score changes,
``predict_proba``). Perturbations are seeded, so the same data, model and seed give the same
numbers:

- Gaussian noise: every feature gets noise with a standard deviation of ``noise`` times that
  feature's own standard deviation; the flip rate is the share of predictions that change, the
  score change the mean absolute change of the positive class's probability;
- feature perturbation: one feature at a time is shuffled across rows (its link to the others
  broken, its distribution kept); the flip rate per feature shows what the model leans on.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_NOISE", "robustness"]

DEFAULT_NOISE = 0.1


def _predict(model: Any, features: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # models fitted on named columns warn on arrays
        return np.asarray(model.predict(features))


def _scores(model: Any, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    if not hasattr(model, "predict_proba"):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probabilities = np.asarray(model.predict_proba(features), dtype=float)
    return probabilities[:, -1] if probabilities.ndim == 2 else probabilities


def robustness(
    model: Any,
    features: npt.NDArray[np.float64],
    names: Sequence[str],
    *,
    noise: float = DEFAULT_NOISE,
    seed: int = 0,
) -> dict[str, Any]:
    """Flip rate and score change under Gaussian noise, and the flip rate when each feature is
    shuffled (see the module docstring). ``features`` is rows by columns without missing
    values; ``names`` names its columns."""
    if not hasattr(model, "predict"):
        raise ValueError("the model has no predict method")
    if features.size == 0:
        raise ValueError("no rows to perturb")
    if np.isnan(features).any():
        raise ValueError("the features have missing values; robustness needs complete rows")
    rng = np.random.default_rng(seed)
    base = _predict(model, features)
    base_scores = _scores(model, features)
    spread = features.std(axis=0)
    noisy = features + rng.normal(0.0, 1.0, features.shape) * (noise * spread)
    result: dict[str, Any] = {
        "rows": int(features.shape[0]),
        "noise": noise,
        "seed": seed,
        "flip_rate": float(np.mean(_predict(model, noisy) != base)),
        "score_change": None,
    }
    if base_scores is not None:
        noisy_scores = _scores(model, noisy)
        assert noisy_scores is not None
        result["score_change"] = float(np.mean(np.abs(noisy_scores - base_scores)))
    sensitivity = {}
    for column, name in enumerate(names):
        shuffled = features.copy()
        shuffled[:, column] = rng.permutation(shuffled[:, column])
        sensitivity[name] = float(np.mean(_predict(model, shuffled) != base))
    result["feature_flip_rates"] = sensitivity
    return result
