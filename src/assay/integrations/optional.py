"""Integrations that an installation may leave out: the core of assay (maturity, audit, probes,
ledger, server) runs without them, and a command that needs one says how to add it."""

from __future__ import annotations

from importlib.util import find_spec

from assay.errors import ConfigurationError

__all__ = ["MLFLOW_EXTRA", "has_mlflow", "mlflow_missing", "require_mlflow"]

MLFLOW_EXTRA = "pip install 'assay[mlflow]'"


def has_mlflow() -> bool:
    """Whether MLflow's client can be imported here."""
    try:
        return find_spec("mlflow") is not None
    except ValueError:  # a module set to None in sys.modules (how tests hide it)
        return False


def mlflow_missing(purpose: str) -> str:
    """The one-line explanation that ``purpose`` needs MLflow, and how to install it."""
    return f"{purpose} needs MLflow, which is not installed here ({MLFLOW_EXTRA})"


def require_mlflow(purpose: str, source: str | None = None) -> None:
    """Nothing when MLflow is installed; :class:`ConfigurationError` (exit 2) saying that
    ``purpose`` needs it and how to add it otherwise."""
    if not has_mlflow():
        raise ConfigurationError(
            f"{purpose} needs MLflow, which is not installed",
            source=source,
            expected=f"the MLflow extra: {MLFLOW_EXTRA}",
        )
