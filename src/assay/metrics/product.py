"""Product-plane figures from product telemetry: how often users vote a response down, and
how many of the active users use the AI features (adoption)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from assay.metrics.events import epoch_of
from assay.metrics.llm import rate
from assay.metrics.windows import Window

__all__ = ["product_figures"]


def product_figures(
    votes: Iterable[Mapping[str, Any]],
    usage: Iterable[Mapping[str, Any]],
    window: Window,
    *,
    service: str | None = None,
) -> dict[str, Any]:
    """Over ``window`` (of ``service`` when given): the down-vote rate (down-votes ÷ votes),
    AI-feature adoption (users who used an AI feature ÷ users who used any feature) and each
    feature's users."""
    since, until = window.since.timestamp(), window.until.timestamp()

    def inside(event: Mapping[str, Any]) -> bool:
        if service is not None and event.get("service") not in (service, None):
            return False
        return since <= epoch_of(event["time"]) < until

    down = total = 0
    for vote in votes:
        if inside(vote):
            total += 1
            down += vote["vote"] == "down"
    active: set[str] = set()
    ai_users: set[str] = set()
    features: dict[str, tuple[bool, set[str]]] = {}
    for event in usage:
        if not inside(event):
            continue
        user, ai = event["user"], bool(event.get("ai"))
        active.add(user)
        if ai:
            ai_users.add(user)
        was_ai, users = features.get(event["feature"], (False, set()))
        users.add(user)
        features[event["feature"]] = (was_ai or ai, users)
    return {
        "since": window.since.isoformat(),
        "until": window.until.isoformat(),
        "service": service,
        "downvote_rate": {"value": rate(down, total), "down": down, "votes": total},
        "ai_adoption": {
            "value": rate(len(ai_users), len(active)),
            "ai_users": len(ai_users),
            "active_users": len(active),
        },
        "features": [
            {"feature": name, "ai": ai, "users": len(users), "share": rate(len(users), len(active))}
            for name, (ai, users) in sorted(features.items())
        ],
    }
