"""Registers the collectors that ship with assay."""

from __future__ import annotations

from assay.collectors.base import COLLECTORS
from assay.collectors.command import CommandCollector
from assay.collectors.evidently import EvidentlyCollector
from assay.collectors.file import FileCollector
from assay.collectors.giskard import GiskardCollector
from assay.collectors.great_expectations import GreatExpectationsCollector
from assay.collectors.http import HttpCollector
from assay.collectors.junit import JunitCollector
from assay.collectors.metrics import MetricsCollector
from assay.collectors.mlflow import MlflowCollector
from assay.collectors.mlflow_evaluation import MlflowEvaluationCollector
from assay.collectors.probe import ProbeCollector
from assay.collectors.prometheus import PrometheusCollector
from assay.collectors.sql import SqlCollector

__all__ = ["register_builtin_collectors"]


def register_builtin_collectors() -> None:
    """Add file, command, http, sql, probe, mlflow, metrics and the readers of other tools'
    results (prometheus, evidently, mlflow_evaluation, great_expectations, junit, giskard) to
    :data:`COLLECTORS` (idempotent)."""
    collectors = (
        FileCollector(),
        CommandCollector(),
        HttpCollector(),
        SqlCollector(),
        ProbeCollector(),
        MlflowCollector(),
        MetricsCollector(),
        PrometheusCollector(),
        EvidentlyCollector(),
        MlflowEvaluationCollector(),
        GreatExpectationsCollector(),
        JunitCollector(),
        GiskardCollector(),
    )
    for collector in collectors:
        if collector.kind not in COLLECTORS:
            COLLECTORS.register(collector.kind, collector)
