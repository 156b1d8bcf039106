"""GitLab webhooks as canonical events: deployment, merge request (merged), issue (an incident:
``issue_type`` incident or the label ``incident``) and push hooks; the secret token
(``X-Gitlab-Token``) compared in constant time.

GitLab's deployment hook gives only ``short_sha``; the full sha is the last path segment of
``commit_url`` (checked against ``short_sha``). Its times come as ``2021-04-28 21:50:00
+0200``, ``2013-12-03 17:23:34 UTC`` or RFC 3339; all three are read.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["gitlab_events", "gitlab_time", "gitlab_token_valid"]

_SHA = re.compile(r"/commit/([0-9a-f]{40}|[0-9a-f]{64})/?$")
_SPACED = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?(UTC|[+-]\d{2}:?\d{2})$")


def gitlab_token_valid(secret: str, header: str | None) -> bool:
    """Whether the ``X-Gitlab-Token`` header equals the configured secret."""
    return header is not None and hmac.compare_digest(secret.encode(), header.encode())


def gitlab_time(text: Any) -> str | None:
    """An RFC 3339 time from any of GitLab's time formats (None for anything else)."""
    if not isinstance(text, str):
        return None
    match = _SPACED.match(text.strip())
    if match:
        day, clock, zone = match.groups()
        zone = "+00:00" if zone == "UTC" else zone
        text = f"{day}T{clock}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC).isoformat() if parsed.tzinfo else None


def _full_sha(payload: Mapping[str, Any]) -> str | None:
    match = _SHA.search(str(payload.get("commit_url") or ""))
    if match is None:
        return None
    sha = match.group(1)
    short = str(payload.get("short_sha") or "")
    return sha if not short or sha.startswith(short) else None


def gitlab_events(
    payload: Mapping[str, Any], *, delivery: str, service: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The canonical events of one hook (not yet validated) and why none were made when it
    carries nothing for the metrics. ``delivery`` identifies the hook call (its UUID header);
    ``service`` names the service the project builds (default: the project's path)."""
    project: Mapping[str, Any] = (
        payload["project"] if isinstance(payload.get("project"), Mapping) else {}
    )
    path = project.get("path_with_namespace") or "unknown"
    base = {"source": f"gitlab:{path}"}
    service = service or project.get("name") or path
    kind = payload.get("object_kind")
    if kind == "deployment":
        return _deployment(payload, base, service)
    if kind == "merge_request":
        return _merge_request(payload, base, service)
    if kind == "issue":
        return _issue(payload, base, service)
    if kind == "push":
        return _push(payload, base, service)
    unmapped = {
        **base,
        "id": f"delivery-{delivery}",
        "type": "unmapped",
        "original": f"gitlab:{kind}",
        "reason": "a GitLab hook the metrics do not use",
    }
    return [unmapped], None


def _deployment(
    payload: Mapping[str, Any], base: dict[str, Any], service: str
) -> tuple[list[dict[str, Any]], str | None]:
    status = payload.get("status")
    outcome = {"success": "success", "failed": "failure"}.get(str(status))
    if outcome is None:
        return [], f"deployment status {status!r} is not a finished deployment"
    sha = _full_sha(payload)
    event = {
        **base,
        "id": f"deployment-{payload.get('deployment_id')}-{status}",
        "type": "deployment",
        "time": gitlab_time(payload.get("status_changed_at")),
        "service": service,
        "environment": payload.get("environment"),
        "outcome": outcome,
        "changes": [{"id": sha}] if sha else [],
        "version": payload.get("ref"),
    }
    return [{k: v for k, v in event.items() if v is not None}], None


def _merge_request(
    payload: Mapping[str, Any], base: dict[str, Any], service: str
) -> tuple[list[dict[str, Any]], str | None]:
    attributes = payload.get("object_attributes") or {}
    if attributes.get("action") != "merge" or not attributes.get("merge_commit_sha"):
        return [], "a merge request that is not merged"
    event = {
        **base,
        "id": attributes["merge_commit_sha"],
        "type": "change",
        "time": gitlab_time(attributes.get("merged_at") or attributes.get("updated_at")),
        "service": service,
    }
    return [event], None


def _issue(
    payload: Mapping[str, Any], base: dict[str, Any], service: str
) -> tuple[list[dict[str, Any]], str | None]:
    attributes = payload.get("object_attributes") or {}
    labels = {
        str(label.get("title", "")).lower()
        for label in payload.get("labels") or attributes.get("labels") or []
        if isinstance(label, Mapping)
    }
    if attributes.get("issue_type") != "incident" and "incident" not in labels:
        return [], "an issue that is not an incident"
    action = attributes.get("action")
    key = f"{base['source']}#{attributes.get('iid')}"
    common = {**base, "incident": key, "service": service, "environment": "production"}
    if action == "close":
        closed = attributes.get("closed_at") or attributes.get("updated_at")
        event = {
            **common,
            "id": f"issue-{attributes.get('id')}-closed-{closed}",
            "type": "incident_resolved",
            "time": gitlab_time(closed),
        }
        return [event], None
    if action in ("open", "reopen", "update"):
        event = {
            **common,
            "id": f"issue-{attributes.get('id')}-opened",
            "type": "incident",
            "time": gitlab_time(attributes.get("created_at")),
            "reported_by": "person",
        }
        return [event], None
    return [], f"issue action {action!r} does not open or close an incident"


def _push(
    payload: Mapping[str, Any], base: dict[str, Any], service: str
) -> tuple[list[dict[str, Any]], str | None]:
    head = payload.get("checkout_sha") or payload.get("after")
    if not head or set(str(head)) == {"0"}:
        return [], "a deleted branch or tag"
    commits = [
        {"id": c.get("id"), "time": gitlab_time(c.get("timestamp"))}
        for c in payload.get("commits") or []
        if isinstance(c, Mapping)
    ]
    times = [c["time"] for c in commits if c["time"]]
    if not times:
        return [], "a push without commits"
    event = {
        **base,
        "id": f"push-{head}",
        "type": "push",
        "time": max(times),
        "service": service,
        "head": head,
        "commits": commits,
    }
    return [event], None
