"""GitHub webhooks as canonical events: ``deployment_status``, ``push``, ``pull_request``
(closed and merged) and ``issues`` labelled ``incident``; signatures (``X-Hub-Signature-256``,
HMAC-SHA256 of the body with the webhook's secret) checked in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

__all__ = ["INCIDENT_LABEL", "github_events", "github_signature_valid"]

INCIDENT_LABEL = "incident"
_ZERO_SHA = "0" * 40


def github_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=`` and the HMAC-SHA256 of ``body`` under ``secret``."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def _get(payload: Mapping[str, Any], *path: str) -> Any:
    value: Any = payload
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def github_events(
    event_name: str, payload: Mapping[str, Any], *, delivery: str, service: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The canonical events of one delivery (not yet validated), and why none were made when
    the delivery carries nothing for the metrics (a ``ping``, a pull request still open).
    ``delivery`` is ``X-GitHub-Delivery``; ``service`` names the service the repository builds
    (default: the repository's name). An unmapped event has no time: the receiver's is used."""
    repository = _get(payload, "repository", "full_name") or "unknown"
    base = {"source": f"github:{repository}"}
    service = service or _get(payload, "repository", "name") or repository
    if event_name == "ping":
        return [], "ping"
    if event_name == "deployment_status":
        return _deployment_status(payload, base, service)
    if event_name == "push":
        return _push(payload, base, service)
    if event_name == "pull_request":
        return _pull_request(payload, base, service)
    if event_name == "issues":
        return _issue(payload, base, service)
    original = f"github:{event_name}"
    unmapped = {
        **base,
        "id": f"delivery-{delivery}",
        "type": "unmapped",
        "original": original,
        "reason": "a GitHub event the metrics do not use",
    }
    return [unmapped], None


def _deployment_status(
    payload: Mapping[str, Any], base: dict[str, Any], service: str
) -> tuple[list[dict[str, Any]], str | None]:
    status = payload.get("deployment_status") or {}
    deployment = payload.get("deployment") or {}
    state = _get(status, "state")
    outcome = {"success": "success", "failure": "failure", "error": "failure"}.get(state or "")
    if outcome is None:
        return [], f"deployment state {state!r} is not a finished deployment"
    sha = deployment.get("sha")
    event = {
        **base,
        "id": f"deployment-status-{status.get('id')}",
        "type": "deployment",
        "time": status.get("updated_at") or status.get("created_at"),
        "service": service,
        "environment": status.get("environment") or deployment.get("environment"),
        "outcome": outcome,
        "changes": [{"id": sha}] if sha else [],
        "version": deployment.get("ref"),
    }
    return [{k: v for k, v in event.items() if v is not None}], None


def _push(
    payload: Mapping[str, Any], base: dict[str, Any], service: str
) -> tuple[list[dict[str, Any]], str | None]:
    head = payload.get("after")
    if payload.get("deleted") or not head or head == _ZERO_SHA:
        return [], "a deleted branch or tag"
    commits = [
        {"id": c.get("id"), "time": c.get("timestamp")}
        for c in payload.get("commits") or []
        if isinstance(c, Mapping)
    ]
    head_time = _get(payload, "head_commit", "timestamp") or (
        commits[-1]["time"] if commits else None
    )
    if head_time is None:
        return [], "a push without commits"
    event = {
        **base,
        "id": f"push-{head}",
        "type": "push",
        "time": head_time,
        "service": service,
        "head": head,
        "commits": commits,
    }
    return [event], None


def _pull_request(
    payload: Mapping[str, Any], base: dict[str, Any], service: str
) -> tuple[list[dict[str, Any]], str | None]:
    pull = payload.get("pull_request") or {}
    if payload.get("action") != "closed" or not pull.get("merged"):
        return [], "a pull request that is not closed and merged"
    # The merge (or squash) commit is the change that deployments carry.
    event = {
        **base,
        "id": pull.get("merge_commit_sha"),
        "type": "change",
        "time": pull.get("merged_at"),
        "service": service,
    }
    return [event], None


def _issue(
    payload: Mapping[str, Any], base: dict[str, Any], service: str
) -> tuple[list[dict[str, Any]], str | None]:
    issue = payload.get("issue") or {}
    labels = {
        str(label.get("name", "")).lower()
        for label in issue.get("labels") or []
        if isinstance(label, Mapping)
    }
    if INCIDENT_LABEL not in labels:
        return [], f"an issue without the label {INCIDENT_LABEL!r}"
    action = payload.get("action")
    key = f"{_get(payload, 'repository', 'full_name')}#{issue.get('number')}"
    environment = "production"
    if action == "closed":
        event = {
            **base,
            "id": f"issue-{issue.get('id')}-closed-{issue.get('closed_at')}",
            "type": "incident_resolved",
            "time": issue.get("closed_at"),
            "incident": key,
            "service": service,
            "environment": environment,
        }
        return [event], None
    if action in ("opened", "labeled", "reopened"):
        event = {
            **base,
            "id": f"issue-{issue.get('id')}-{action}",
            "type": "incident",
            "time": issue.get("created_at") if action == "opened" else issue.get("updated_at"),
            "incident": key,
            "service": service,
            "environment": environment,
            "reported_by": "person",
        }
        return [event], None
    return [], f"issue action {action!r} does not open or close an incident"
