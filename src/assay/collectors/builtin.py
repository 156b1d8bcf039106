"""Registers the collectors that ship with assay."""

from __future__ import annotations

from assay.collectors.base import COLLECTORS
from assay.collectors.command import CommandCollector
from assay.collectors.file import FileCollector
from assay.collectors.http import HttpCollector
from assay.collectors.metrics import MetricsCollector
from assay.collectors.mlflow import MlflowCollector
from assay.collectors.probe import ProbeCollector
from assay.collectors.sql import SqlCollector

__all__ = ["register_builtin_collectors"]


def register_builtin_collectors() -> None:
    """Add file, command, http, sql, probe, mlflow and metrics to :data:`COLLECTORS`
    (idempotent)."""
    collectors = (
        FileCollector(),
        CommandCollector(),
        HttpCollector(),
        SqlCollector(),
        ProbeCollector(),
        MlflowCollector(),
        MetricsCollector(),
    )
    for collector in collectors:
        if collector.kind not in COLLECTORS:
            COLLECTORS.register(collector.kind, collector)
