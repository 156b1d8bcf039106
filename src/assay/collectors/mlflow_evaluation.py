"""``mlflow_evaluation``: a metric of an MLflow evaluation saved to disk
(``mlflow.models.evaluate(...)`` returns an ``EvaluationResult``; ``result.save(DIR)`` writes
``DIR/metrics.json``). ``path`` is that directory or its ``metrics.json``; ``metric`` the
metric's name (``accuracy_score``, ``f1_score``, ``roc_auc``, ``mean_squared_error``, …). The
same metrics logged to a tracking server are read by the ``mlflow`` collector's ``metric``.

Short form: ``mlflow_evaluation:DIR#METRIC``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from assay.collectors.base import CollectContext, CollectionError, Parameters
from assay.collectors.file import ReadsSpecFile, read_json

__all__ = ["MlflowEvaluationCollector", "MlflowEvaluationParameters"]


class MlflowEvaluationParameters(Parameters):
    """See the module docstring."""

    path: str = Field(min_length=1)
    metric: str = Field(min_length=1)


class MlflowEvaluationCollector(ReadsSpecFile):
    """Reads a metric from a saved MLflow evaluation result beside the spec."""

    kind: ClassVar[str] = "mlflow_evaluation"
    parameters: ClassVar[type[Parameters]] = MlflowEvaluationParameters

    def collect(self, parameters: MlflowEvaluationParameters, context: CollectContext) -> Any:
        """The metric's value."""
        written = parameters.path
        if context.resolve(written).is_dir():
            written = written.rstrip("/") + "/metrics.json"
        shown, metrics = read_json(written, context)
        if not isinstance(metrics, Mapping):
            raise CollectionError(f"{shown} is not an MLflow evaluation's metrics.json")
        if parameters.metric not in metrics:
            listed = ", ".join(sorted(str(name) for name in metrics)) or "none"
            raise CollectionError(f"{shown} has no metric {parameters.metric!r} (it has {listed})")
        return metrics[parameters.metric]

    def describe(self, parameters: MlflowEvaluationParameters) -> str:
        """``mlflow_evaluation:PATH#METRIC``."""
        return f"mlflow_evaluation:{parameters.path}#{parameters.metric}"
