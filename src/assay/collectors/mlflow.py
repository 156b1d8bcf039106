"""``mlflow``: a value from an MLflow tracking server or model registry.

What is read (exactly one of these):

- ``metric``, ``param`` or ``tag``: of the run ``run_id``, or of the run that produced the
  model version;
- ``version_tag``: a tag of the registered model version;
- ``aliases``: the list of aliases the model version holds;
- ``artifact``: a file logged with the run (``artifact_format``: ``exists`` gives true or
  false; ``json``, ``yaml``, ``csv`` or ``text`` give its content), picked by ``select``.

Which model version: ``model`` with ``version`` or ``alias``; with neither, the version in the
audited target ``NAME@VERSION`` (so one spec audits every version of a model). The tracking
server is ``tracking_uri`` (``${VAR}`` allowed), else ``MLFLOW_TRACKING_URI``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from assay.collectors.base import (
    CollectContext,
    CollectionError,
    Parameters,
    expand_secrets,
    unreadable_reference,
)
from assay.collectors.confinement import Confinement
from assay.collectors.values import Selector, decode, select
from assay.integrations.optional import has_mlflow, mlflow_missing

__all__ = ["CLIENT_DEFAULTS", "MlflowCollector", "MlflowParameters", "model_version_of"]

_FIELDS = ("metric", "param", "tag", "version_tag", "aliases", "artifact")
# MLflow's client retries a failing server for minutes by default; a collector should fail
# within a run's patience, so unless the environment says otherwise it retries twice.
# Artifact downloads draw progress bars on standard error unless told not to.
CLIENT_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


class MlflowParameters(Parameters):
    """See the module docstring."""

    tracking_uri: str | None = None
    run_id: str | None = Field(default=None, min_length=1)
    model: str | None = Field(default=None, min_length=1)
    version: str | int | None = None
    alias: str | None = Field(default=None, min_length=1)
    metric: str | None = Field(default=None, min_length=1)
    param: str | None = Field(default=None, min_length=1)
    tag: str | None = Field(default=None, min_length=1)
    version_tag: str | None = Field(default=None, min_length=1)
    aliases: bool = False
    artifact: str | None = Field(default=None, min_length=1)
    artifact_format: Literal["exists", "json", "yaml", "csv", "text"] = "exists"
    select: Selector | None = None

    @model_validator(mode="after")
    def _one_source_and_one_field(self) -> MlflowParameters:
        if (self.run_id is None) == (self.model is None):
            raise ValueError("give exactly one of run_id or model")
        if self.version is not None and self.alias is not None:
            raise ValueError("give version or alias, not both")
        if self.model is None and (self.version is not None or self.alias is not None):
            raise ValueError("version and alias go with model")
        chosen = [name for name in _FIELDS if getattr(self, name) not in (None, False)]
        if len(chosen) != 1:
            raise ValueError(f"give exactly one of {', '.join(_FIELDS)}")
        if self.run_id is not None and chosen[0] in ("version_tag", "aliases"):
            raise ValueError(f"{chosen[0]} needs a model, not a run_id")
        return self


def model_version_of(parameters: MlflowParameters, target: str | None) -> str:
    """The model version the parameters name, or the one in ``target`` (``NAME@VERSION``)."""
    if parameters.version is not None:
        return str(parameters.version)
    name, at, version = (target or "").rpartition("@")
    if at and name == parameters.model and version:
        return version
    raise CollectionError(
        f"no version of model {parameters.model!r}: give version or alias, or audit the "
        f"target {parameters.model}@VERSION (this run's target is {target!r})"
    )


class MlflowCollector:
    """Reads runs, registered model versions and artifacts through MLflow's client."""

    kind: ClassVar[str] = "mlflow"
    parameters: ClassVar[type[Parameters]] = MlflowParameters

    def collect(self, parameters: MlflowParameters, context: CollectContext) -> Any:
        """The value the parameters point at (see the module docstring)."""
        if not has_mlflow():
            raise CollectionError(mlflow_missing("the mlflow collector"))
        from mlflow.exceptions import MlflowException

        for name, value in CLIENT_DEFAULTS.items():
            os.environ.setdefault(name, value)
        try:
            return self._collect(parameters, context)
        except MlflowException as error:
            raise CollectionError(f"MLflow: {_first_line(error.message)}") from None

    def _collect(self, parameters: MlflowParameters, context: CollectContext) -> Any:
        from mlflow.tracking import MlflowClient

        if context.confinement is not None:
            context.confined(
                self.confinement_problem(parameters, context.confinement, context.environ)
            )
        uri = parameters.tracking_uri or context.environ.get("MLFLOW_TRACKING_URI")
        if not uri:
            raise CollectionError("no tracking server: set tracking_uri or MLFLOW_TRACKING_URI")
        client = MlflowClient(tracking_uri=expand_secrets(uri, context.environ))
        version = None
        if parameters.model is not None:
            if parameters.alias is not None:
                version = client.get_model_version_by_alias(parameters.model, parameters.alias)
            else:
                number = model_version_of(parameters, context.target)
                version = client.get_model_version(parameters.model, number)
            if parameters.version_tag is not None:
                return self._pick(version.tags, parameters.version_tag, "tag", parameters)
            if parameters.aliases:
                return select(list(version.aliases), parameters.select, "aliases")
            if not version.run_id:
                raise CollectionError(
                    f"version {version.version} of {parameters.model} has no run to read"
                )
        run_id = parameters.run_id or (version.run_id if version else None)
        assert run_id is not None  # one of run_id or model is given (checked at load)
        if parameters.artifact is not None:
            return self._artifact(client, run_id, parameters)
        data = client.get_run(run_id).data
        if parameters.metric is not None:
            return self._pick(data.metrics, parameters.metric, "metric", parameters)
        if parameters.param is not None:
            return self._pick(data.params, parameters.param, "param", parameters)
        assert parameters.tag is not None
        return self._pick(data.tags, parameters.tag, "tag", parameters)

    @staticmethod
    def _pick(found: Any, key: str, what: str, parameters: MlflowParameters) -> Any:
        if key not in found:
            known = ", ".join(sorted(found)) or "none"
            raise CollectionError(f"no {what} {key!r} (there are: {known})")
        return select(found[key], parameters.select, what)

    @staticmethod
    def _artifact(client: Any, run_id: str, parameters: MlflowParameters) -> Any:
        from mlflow.exceptions import MlflowException

        assert parameters.artifact is not None
        with tempfile.TemporaryDirectory(prefix="assay-mlflow-") as scratch:
            try:
                local = Path(client.download_artifacts(run_id, parameters.artifact, scratch))
            except (MlflowException, OSError) as error:
                if parameters.artifact_format == "exists":
                    return False
                raise CollectionError(
                    f"no artifact {parameters.artifact!r} in run {run_id}: "
                    f"{_first_line(str(error))}"
                ) from None
            if parameters.artifact_format == "exists":
                return local.exists()
            try:
                text = local.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CollectionError(
                    f"cannot read artifact {parameters.artifact}: {error}"
                ) from None
        where = f"artifact {parameters.artifact}"
        return select(decode(text, parameters.artifact_format, where), parameters.select, where)

    def confinement_problem(
        self, parameters: MlflowParameters, confinement: Confinement, environ: Mapping[str, str]
    ) -> str | None:
        """A tracking server the administrator did not allow (the server's own
        ``MLFLOW_TRACKING_URI`` is allowed), or a variable the spec may not read."""
        if parameters.tracking_uri is None:
            return None
        problem = unreadable_reference([parameters.tracking_uri], environ)
        if problem is not None:
            return problem
        return confinement.host_problem(expand_secrets(parameters.tracking_uri, environ))

    def describe_in(self, parameters: MlflowParameters, context: CollectContext) -> str:
        """:meth:`describe` with the version the target names filled in
        (``models:/credit-scoring/2``), as the run actually reads it."""
        if parameters.model is None or parameters.alias or parameters.version is not None:
            return self.describe(parameters)
        try:
            number = model_version_of(parameters, context.target)
        except CollectionError:
            return self.describe(parameters)
        return self.describe(parameters, number)

    def describe(self, parameters: MlflowParameters, version: str | None = None) -> str:
        """``mlflow:models:/NAME@ALIAS#metric:auc`` and the like; no tracking URI shown. A
        version read from the target reads ``<target version>`` unless ``version`` is given."""
        if parameters.model is not None:
            which = (
                f"@{parameters.alias}"
                if parameters.alias
                else f"/{parameters.version}"
                if parameters.version is not None
                else f"/{version or '<target version>'}"
            )
            where = f"models:/{parameters.model}{which}"
        else:
            where = f"runs:/{parameters.run_id}"
        chosen = next(name for name in _FIELDS if getattr(parameters, name) not in (None, False))
        detail = "" if chosen == "aliases" else f":{getattr(parameters, chosen)}"
        return f"mlflow:{where}#{chosen}{detail}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "error"
