"""What the scan read from an MLflow tracking server, as plain values (the adapter in
:mod:`assay.integrations.mlflow_scan` fills it; nothing here talks to a server)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["MlflowModel", "MlflowModelVersion", "MlflowRun", "MlflowView"]


@dataclass(frozen=True)
class MlflowRun:
    """A run: its id, experiment, tags, the datasets logged as its inputs and whether a model
    logged from it carries a signature (None when no model was logged)."""

    run_id: str
    experiment_id: str
    tags: Mapping[str, str]
    datasets: Sequence[str] = ()
    model_signature: bool | None = None


@dataclass(frozen=True)
class MlflowModelVersion:
    """A registered model version and the run it came from (None when not linked)."""

    version: str
    run_id: str | None
    source: str | None


@dataclass(frozen=True)
class MlflowModel:
    """A registered model with its aliases (alias → version) and versions."""

    name: str
    aliases: Mapping[str, str]
    versions: Sequence[MlflowModelVersion]


@dataclass(frozen=True)
class MlflowView:
    """Runs and registered models of one server at ``uri``, read at ``read_at``; ``error``
    says why nothing could be read (every server probe is then ``unknown``)."""

    uri: str
    read_at: str
    runs: Sequence[MlflowRun] = ()
    models: Sequence[MlflowModel] = ()
    error: str | None = None
    truncated: bool = False
    repository_commits: frozenset[str] = field(default_factory=frozenset)
