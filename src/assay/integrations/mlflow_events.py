"""MLflow model registry webhooks as canonical events: a version created is a model version
registered; an alias set on a version is that version deployed to the alias's environment.

Tags on a model version carry what MLflow has no field for: ``assay.data_newest`` (the newest
timestamp in the training data), ``assay.model_card`` and ``assay.explanation`` (``true`` when
the version has them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_ALIAS_ENVIRONMENTS", "alias_environment", "mlflow_event"]

# Aliases that name an environment other than themselves; any other alias is its environment.
DEFAULT_ALIAS_ENVIRONMENTS = {
    "champion": "production",
    "prod": "production",
    "challenger": "staging",
}
_TRUE = {"true", "yes", "1"}


def alias_environment(alias: str, mapping: Mapping[str, str] | None = None) -> str:
    """The environment an alias deploys to."""
    table = DEFAULT_ALIAS_ENVIRONMENTS if mapping is None else mapping
    return table.get(alias, alias)


def mlflow_event(
    entity: str,
    action: str,
    data: Mapping[str, Any],
    *,
    delivery: str,
    time: str,
    aliases: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """The canonical event of one MLflow webhook delivery (not yet validated), or None for
    registry events the metrics do not use. ``time`` is the delivery's timestamp."""
    name, version = data.get("name"), data.get("version")
    base = {"source": "mlflow", "time": time, "model": name, "version": str(version)}
    if (entity, action) == ("model_version", "created"):
        tags: Mapping[str, Any] = data["tags"] if isinstance(data.get("tags"), Mapping) else {}
        event = {
            **base,
            "id": f"registered-{name}-{version}",
            "type": "model_registered",
            "run": data.get("run_id") or None,
            "data_newest": tags.get("assay.data_newest"),
            "model_card": str(tags.get("assay.model_card", "")).lower() in _TRUE,
            "explanation": str(tags.get("assay.explanation", "")).lower() in _TRUE,
        }
        return {k: v for k, v in event.items() if v is not None}
    if (entity, action) == ("model_version_alias", "created"):
        alias = str(data.get("alias"))
        return {
            **base,
            "id": f"alias-{delivery}",
            "type": "model_deployed",
            "alias": alias,
            "environment": alias_environment(alias, aliases),
        }
    return None
