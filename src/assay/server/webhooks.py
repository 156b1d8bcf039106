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
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from assay.files.documents import parse_json
from assay.integrations.github import github_events, github_signature_valid
from assay.integrations.gitlab import gitlab_events, gitlab_token_valid
from assay.server.api.answers import ERRORS, WebhookAnswer
from assay.server.auth import caller
from assay.server.errors import ApiError
from assay.server.events import ingest_delivered
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


@router.post(
    "/github",
    response_model=WebhookAnswer,
    openapi_extra=_BODY,
    summary="Receive a GitHub webhook: deployment_status, push, pull_request (merged), issues "
    "labelled incident (signed with the webhook secret, or an auditee token)",
)
async def receive_github(request: Request, service: ServiceQuery = None) -> Any:
    body = await request.body()
    secret = _secret(request, "github_webhook_secret_env")
    if secret is not None:
        if not github_signature_valid(secret, body, request.headers.get("x-hub-signature-256")):
            raise ApiError(401, "bad_signature", "the X-Hub-Signature-256 signature does not match")
    else:
        await run_in_threadpool(caller, request, Role.auditee)
    name = request.headers.get("x-github-event")
    if not name:
        raise ApiError(422, "invalid_request", "no X-GitHub-Event header: not a GitHub delivery")
    payload = _payload(body)
    delivery = request.headers.get("x-github-delivery") or hashlib.sha256(body).hexdigest()
    raw, ignored = github_events(name, payload, delivery=delivery, service=service)
    return await run_in_threadpool(_answer, request, raw, ignored, f"GitHub delivery {delivery}")


@router.post(
    "/gitlab",
    response_model=WebhookAnswer,
    openapi_extra=_BODY,
    summary="Receive a GitLab webhook: deployment, merge request (merged), issue (incident), "
    "push (X-Gitlab-Token, or an auditee token)",
)
async def receive_gitlab(request: Request, service: ServiceQuery = None) -> Any:
    body = await request.body()
    secret = _secret(request, "gitlab_webhook_token_env")
    if secret is not None:
        if not gitlab_token_valid(secret, request.headers.get("x-gitlab-token")):
            raise ApiError(401, "bad_signature", "the X-Gitlab-Token does not match")
    else:
        await run_in_threadpool(caller, request, Role.auditee)
    payload = _payload(body)
    delivery = request.headers.get("x-gitlab-event-uuid") or hashlib.sha256(body).hexdigest()
    raw, ignored = gitlab_events(payload, delivery=delivery, service=service)
    return await run_in_threadpool(_answer, request, raw, ignored, f"GitLab delivery {delivery}")
