"""The demo's synthetic credit-scoring world: seeded applicants with a sensitive attribute, a
drifted production batch, and two model versions — one trained on fair labels, one on
historically biased labels that also sees the applicant's sex.

Whether an applicant repays depends on income, debt, employment and late payments, never on
sex; the biased version learns from past decisions that refused women more often.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["FEATURES", "CreditData", "TrainedModel", "make_credit_data", "train_models"]

FEATURES = ("age", "income", "debt_ratio", "years_employed", "late_payments")


@dataclass(frozen=True)
class CreditData:
    """Columns (name → array) of the training, holdout and production sets."""

    training: dict[str, np.ndarray]
    holdout: dict[str, np.ndarray]
    production: dict[str, np.ndarray]


@dataclass(frozen=True)
class TrainedModel:
    """A fitted model, its holdout predictions (label, approval, score, sex) and metrics."""

    name: str
    model: Any
    features: tuple[str, ...]
    predictions: dict[str, np.ndarray]
    metrics: dict[str, float]


def _applicants(rng: np.random.Generator, rows: int, shift: bool = False) -> dict[str, np.ndarray]:
    sex = rng.choice(np.array(["F", "M"]), rows)
    age = rng.uniform(21, 70, rows) + (6.0 if shift else 0.0)
    income = rng.lognormal(10.4 + (0.3 if shift else 0.0), 0.4, rows)
    debt_ratio = rng.beta(2, 5, rows)
    years_employed = np.clip(rng.normal(8, 5, rows), 0, 40)
    late_payments = rng.poisson(0.8, rows).astype(float)
    z_income = (np.log(income) - 10.4) / 0.4
    logit = 1.2 + 1.3 * z_income - 3.0 * debt_ratio - 0.7 * late_payments + 0.04 * years_employed
    repaid = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return {
        "age": age,
        "income": income,
        "debt_ratio": debt_ratio,
        "years_employed": years_employed,
        "late_payments": late_payments,
        "sex": sex,
        "repaid": repaid,
    }


def make_credit_data(seed: int = 7, rows: int = 6000) -> CreditData:
    """Training and holdout sets from one population (1% of incomes missing in training), and
    a production batch whose applicants are older and earn more (drift in two columns)."""
    rng = np.random.default_rng(seed)
    training = _applicants(rng, rows)
    missing = rng.random(rows) < 0.01
    training["income"] = np.where(missing, np.nan, training["income"])
    return CreditData(training, _applicants(rng, rows // 2), _applicants(rng, rows // 3, True))


def _matrix(
    columns: dict[str, np.ndarray], features: tuple[str, ...], fill: dict[str, float]
) -> Any:
    parts = []
    for name in features:
        if name == "sex":
            parts.append((columns["sex"] == "M").astype(float))
        elif name == "income":
            income = np.where(np.isnan(columns["income"]), fill["income"], columns["income"])
            parts.append(np.log(income))
        else:
            parts.append(columns[name].astype(float))
    return np.column_stack(parts)


def train_models(data: CreditData, seed: int = 7) -> tuple[TrainedModel, TrainedModel]:
    """The fair version (features without sex, true outcomes) and the biased one (sex as a
    feature, trained on past decisions that refused 40% of creditworthy women)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, roc_auc_score

    fill = {"income": float(np.nanmedian(data.training["income"]))}
    rng = np.random.default_rng(seed + 1)
    biased_labels = data.training["repaid"].copy()
    women = data.training["sex"] == "F"
    biased_labels[women & (rng.random(biased_labels.size) < 0.4)] = 0
    versions = (
        ("fair", FEATURES, data.training["repaid"]),
        ("biased", (*FEATURES, "sex"), biased_labels),
    )
    trained = []
    for name, features, labels in versions:
        model = LogisticRegression(max_iter=1000)
        model.fit(_matrix(data.training, features, fill), labels)
        holdout = _matrix(data.holdout, features, fill)
        score = model.predict_proba(holdout)[:, 1]
        approved = (score >= 0.5).astype(int)
        truth = data.holdout["repaid"]
        metrics = {
            "accuracy": float(accuracy_score(truth, approved)),
            "roc_auc": float(roc_auc_score(truth, score)),
        }
        predictions = {
            "repaid": truth,
            "approved": approved,
            "score": score,
            "sex": data.holdout["sex"],
        }
        trained.append(TrainedModel(name, model, features, predictions, metrics))
    return trained[0], trained[1]
