"""GitHub and GitLab webhooks: deliveries of deployments, pushes, merges and incidents, kept as
canonical events for the delivery metrics.

A delivery is accepted with the provider's own check when a secret is configured
(``X-Hub-Signature-256`` for GitHub, ``X-Gitlab-Token`` for GitLab; a bad one is 401 and nothing
is stored), or with an auditee token when none is. ``?service=NAME`` names the service the
repository deploys (default: the repository's name).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from assay.files.documents import parse_json
from assay.integrations.github import github_events, github_signature_valid
from assay.integrations.gitlab import gitlab_events, gitlab_token_valid
from assay.server.api.answers import ERRORS, WebhookAnswer
from assay.server.auth import caller
from assay.server.errors import ApiError
from assay.server.events import ingest_delivered
from assay.server.threads import in_thread
from assay.store.tokens import Role

__all__ = ["router"]

# Not a GuardedRoute: the signature is checked before the body is parsed, so a forged delivery
# is 401 whatever it holds.
router = APIRouter(prefix="/api/v1/webhooks", responses=ERRORS)
ServiceQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="The service the repository deploys (default: the repository's name).",
    ),
]
_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _secret(request: Request, setting: str) -> str | None:
    return os.environ.get(getattr(request.app.state.settings, setting)) or None


def _payload(body: bytes) -> dict[str, Any]:
    try:
        payload = parse_json(body)
    except ValueError as error:
        raise ApiError(422, "invalid_request", f"the body is refused: {error}") from None
    if not isinstance(payload, dict):
        raise ApiError(422, "invalid_request", "the body is not a JSON object")
    return payload


def _answer(request: Request, raw: list[dict[str, Any]], ignored: str | None, where: str) -> Any:
    if not raw:
        return {
            "received": 0,
            "stored": 0,
            "duplicates": 0,
            "types": {},
            "unmapped": {},
            "ignored": ignored,
        }
    result = ingest_delivered(request, raw, where)
    return {**result.to_dict(), "ignored": None}


async def _receive(
    request: Request,
    secret_setting: str,
    verified: Callable[[str, bytes], bool],
    adapt: Callable[[dict[str, Any], str], tuple[list[dict[str, Any]], str | None]],
    delivery_header: str,
    provider: str,
) -> Any:
    """A delivery checked by the provider's own scheme (``verified(secret, body)``) when a
    secret is configured — 401 before the body is parsed — or by an auditee token, then
    adapted and stored."""
    body = await request.body()
    secret = _secret(request, secret_setting)
    if secret is not None:
        if not verified(secret, body):
            raise ApiError(401, "bad_signature", f"the {provider} delivery's signature is wrong")
    else:
        await in_thread(caller, request, Role.auditee)
    payload = _payload(body)
    delivery = request.headers.get(delivery_header) or hashlib.sha256(body).hexdigest()
    raw, ignored = adapt(payload, delivery)
    where = f"{provider} delivery {delivery}"
    return await in_thread(_answer, request, raw, ignored, where)


@router.post(
    "/github",
    response_model=WebhookAnswer,
    openapi_extra=_BODY,
    summary="Receive a GitHub webhook: deployment_status, push, pull_request (merged), issues "
    "labelled incident (signed with the webhook secret, or an auditee token)",
)
async def receive_github(request: Request, service: ServiceQuery = None) -> Any:
    name = request.headers.get("x-github-event")

    def adapt(payload: dict[str, Any], delivery: str) -> Any:
        if not name:
            raise ApiError(422, "invalid_request", "no X-GitHub-Event header: not from GitHub")
        return github_events(name, payload, delivery=delivery, service=service)

    return await _receive(
        request,
        "github_webhook_secret_env",
        lambda secret, body: github_signature_valid(
            secret, body, request.headers.get("x-hub-signature-256")
        ),
        adapt,
        "x-github-delivery",
        "GitHub",
    )


@router.post(
    "/gitlab",
    response_model=WebhookAnswer,
    openapi_extra=_BODY,
    summary="Receive a GitLab webhook: deployment, merge request (merged), issue (incident), "
    "push (X-Gitlab-Token, or an auditee token)",
)
async def receive_gitlab(request: Request, service: ServiceQuery = None) -> Any:
    return await _receive(
        request,
        "gitlab_webhook_token_env",
        lambda secret, _: gitlab_token_valid(secret, request.headers.get("x-gitlab-token")),
        lambda payload, delivery: gitlab_events(payload, delivery=delivery, service=service),
        "x-gitlab-event-uuid",
        "GitLab",
    )
