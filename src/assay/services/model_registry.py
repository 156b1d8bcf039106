"""assay's verdicts in the MLflow model registry: tags on the audited model version, and the
promotion gate that moves an alias only to conformant versions.

- :func:`tag_version` sets ``assay.verdict``, ``assay.run_id``, ``assay.spec_hash`` and
  ``assay.report`` on the version, so the MLflow UI shows the verdict beside the model.
- :func:`promote` moves an alias (``champion``) to the audited version when its run passed,
  and refuses otherwise; :func:`roll_back` moves the alias to the newest earlier version whose
  last run of the same spec passed, when the audited one failed. Each decision is an
  ``mlflow.alias`` ledger entry, whether the alias moved or not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assay.audit.run_model import RunModel
from assay.errors import InvalidInputError, shorten
from assay.integrations.optional import require_mlflow
from assay.store import Store
from assay.store.audit_log import AuditLog

__all__ = [
    "ALIAS_KIND",
    "GateDecision",
    "ModelVersion",
    "model_version",
    "passing_versions",
    "promote",
    "registered_version",
    "registry_client",
    "roll_back",
    "roll_back_alias",
    "tag_version",
    "write_back",
]

ALIAS_KIND = "mlflow.alias"


@dataclass(frozen=True)
class ModelVersion:
    """A registered model version named by an audit target ``NAME@VERSION``."""

    name: str
    version: str

    @property
    def target(self) -> str:
        """The audit target that stands for this version."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class GateDecision:
    """What a gate did: the action (promoted, refused, rolled_back, kept), the alias, the
    version it points to now (None when it points nowhere) and why."""

    action: str
    alias: str
    version: str | None
    reason: str
    moved: bool

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "action": self.action,
            "alias": self.alias,
            "version": self.version,
            "reason": self.reason,
            "moved": self.moved,
        }


def model_version(target: str) -> ModelVersion:
    """The model version a target ``NAME@VERSION`` names; refused for any other target."""
    name, at, version = target.rpartition("@")
    if not (at and name and version.isdigit()):
        raise InvalidInputError(
            f"target {target!r} does not name a registered model version",
            source="--target",
            expected="NAME@VERSION, such as credit-model@3",
        )
    return ModelVersion(name, version)


def registry_client(tracking_uri: str | None, environ: Mapping[str, str] = os.environ) -> Any:
    """An MLflow client for ``tracking_uri`` (else ``MLFLOW_TRACKING_URI``); refused when
    neither is set."""
    uri = tracking_uri or environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise InvalidInputError(
            "no MLflow tracking server is named",
            source="--tracking-uri",
            expected="--tracking-uri URI or the MLFLOW_TRACKING_URI variable",
        )
    require_mlflow("a model registry gate", source="--tracking-uri")
    from mlflow.tracking import MlflowClient

    from assay.collectors.mlflow import CLIENT_DEFAULTS

    for name, value in CLIENT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def registered_version(target: str, tracking_uri: str | None) -> tuple[Any, ModelVersion]:
    """The MLflow client and the model version ``target`` (``NAME@VERSION``) names, checked to
    exist in the registry, so that a bad target or an unknown version is refused before a run
    stores anything. An unreachable tracking server is said to be unreachable."""
    version = model_version(target)
    client = registry_client(tracking_uri)
    from mlflow.exceptions import MlflowException

    try:
        client.get_model_version(version.name, version.version)
    except MlflowException as error:
        first_line = error.message.strip().splitlines()[0] if error.message.strip() else ""
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise InvalidInputError(
                f"MLflow has no version {version.version} of {version.name}: {first_line}",
                source="--target",
                expected="a registered model version NAME@VERSION",
            ) from None
        raise InvalidInputError(
            f"the MLflow tracking server cannot be reached ({shorten(first_line, 300)})",
            source="--tracking-uri",
            expected="a reachable tracking server (--tracking-uri or MLFLOW_TRACKING_URI)",
        ) from None
    return client, version


def _registry_call(action: str, call: Any, *args: Any) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return call(*args)
    except MlflowException as error:
        raise InvalidInputError(
            f"MLflow refused to {action}: {error.message.strip().splitlines()[0]}",
            source="--tracking-uri",
            expected="a reachable tracking server that holds the model version",
        ) from None


def tag_version(
    client: Any, version: ModelVersion, model: RunModel, report: str | None
) -> dict[str, str]:
    """Set assay's tags on the version from a run model; returns the tags set."""
    tags = {
        "assay.verdict": model.verdict,
        "assay.run_id": model.run_id,
        "assay.spec_hash": model.spec.hash,
        "assay.report": report or "",
    }
    for key, value in tags.items():
        _registry_call(
            f"tag {version.target}",
            client.set_model_version_tag,
            version.name,
            version.version,
            key,
            value,
        )
    return tags


def _current(client: Any, name: str, alias: str) -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def _record(store: Store, decision: GateDecision, version: ModelVersion, model: RunModel) -> None:
    store.ledger.append(
        ALIAS_KIND,
        {
            **decision.to_dict(),
            "model": version.name,
            "audited_version": version.version,
            "run_id": model.run_id,
            "spec": model.spec.id,
            "at": datetime.now(UTC).isoformat(),
        },
    )


def promote(
    store: Store, client: Any, version: ModelVersion, alias: str, model: RunModel
) -> GateDecision:
    """Point ``alias`` at the audited version if its run passed; leave it otherwise."""
    before = _current(client, version.name, alias)
    if model.verdict == "pass":
        _registry_call(
            f"move {alias}",
            client.set_registered_model_alias,
            version.name,
            alias,
            version.version,
        )
        decision = GateDecision(
            "promoted", alias, version.version, f"run {model.run_id} passed", True
        )
    else:
        decision = GateDecision(
            "refused",
            alias,
            before,
            f"run {model.run_id} did not pass ({model.verdict}): {alias} stays "
            + (f"on version {before}" if before else "unset"),
            False,
        )
    _record(store, decision, version, model)
    return decision


def roll_back(
    store: Store, client: Any, version: ModelVersion, alias: str, model: RunModel
) -> GateDecision:
    """When the audited version did not pass, point ``alias`` at the newest earlier version
    whose last run of the same spec passed (or leave it, saying there is none)."""
    if model.verdict == "pass":
        decision = GateDecision(
            "kept",
            alias,
            _current(client, version.name, alias),
            "the audited version passed",
            False,
        )
        _record(store, decision, version, model)
        return decision
    spec = model.spec.id
    passing = passing_versions(store, version.name, below=int(version.version), spec=spec)
    if not passing:
        decision = GateDecision(
            "refused",
            alias,
            _current(client, version.name, alias),
            f"no earlier version of {version.name} passed {spec}",
            False,
        )
    else:
        back = str(passing[-1])
        _registry_call(
            f"move {alias}", client.set_registered_model_alias, version.name, alias, back
        )
        decision = GateDecision(
            "rolled_back",
            alias,
            back,
            f"version {version.version} did not pass; version {back} is the newest that did",
            True,
        )
    _record(store, decision, version, model)
    return decision


def passing_versions(store: Store, name: str, *, below: int, spec: str | None) -> list[int]:
    """The versions of model ``name`` older than ``below`` whose last audit run (of ``spec``,
    or of any spec when None) passed, oldest first."""
    last_verdict: dict[int, str] = {}  # the last run of each version wins
    for run in AuditLog(store.ledger).runs(spec):
        owner, _, number = run.target.rpartition("@")
        if owner == name and number.isdigit() and int(number) < below:
            last_verdict[int(number)] = run.verdict
    return sorted(number for number, verdict in last_verdict.items() if verdict == "pass")


def roll_back_alias(
    store: Store, client: Any, name: str, alias: str, *, spec: str | None, reason: str
) -> GateDecision:
    """Move ``alias`` of model ``name`` from the version it points at to the newest earlier
    version whose last audit run passed (an alert's rollback); each decision is an
    ``mlflow.alias`` ledger entry. Refused, alias unmoved, when the alias points nowhere or no
    earlier version passed."""
    current = _current(client, name, alias)
    if current is None or not current.isdigit():
        decision = GateDecision("refused", alias, current, f"{name}@{alias} points nowhere", False)
    else:
        passing = passing_versions(store, name, below=int(current), spec=spec)
        if not passing:
            audited = f"passed {spec}" if spec else "passed an audit"
            decision = GateDecision(
                "refused", alias, current, f"no version of {name} before {current} {audited}", False
            )
        else:
            back = str(passing[-1])
            _registry_call(f"move {alias}", client.set_registered_model_alias, name, alias, back)
            decision = GateDecision(
                "rolled_back",
                alias,
                back,
                f"{reason}; version {back} is the newest earlier version that passed its audit",
                True,
            )
    store.ledger.append(
        ALIAS_KIND,
        {
            **decision.to_dict(),
            "model": name,
            "from_version": current,
            "spec": spec,
            "reason": reason,
            "at": datetime.now(UTC).isoformat(),
        },
    )
    return decision


def write_back(
    store: Store,
    client: Any,
    version: ModelVersion,
    model: RunModel,
    *,
    report: str | None,
    promote_alias: str | None = None,
    rollback_alias: str | None = None,
) -> tuple[dict[str, str], list[GateDecision]]:
    """After a run of ``version``: its tags (:func:`tag_version`), then the promotion and the
    rollback gate for the aliases given, in that order; returns the tags and the decisions."""
    tags = tag_version(client, version, model, report)
    decisions = []
    if promote_alias is not None:
        decisions.append(promote(store, client, version, promote_alias, model))
    if rollback_alias is not None:
        decisions.append(roll_back(store, client, version, rollback_alias, model))
    return tags, decisions
