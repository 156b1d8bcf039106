"""Public, cacheable endpoints: liveness, a target's conformity status (JSON and a page) and
its badge. No token is needed; nothing confidential is shown and reading stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from markupsafe import Markup

from assay import __version__
from assay.reports.numbers import seconds
from assay.server.api.answers import ERRORS, Health, PublicStatus
from assay.server.auth import store_of
from assay.server.badge import badge_svg
from assay.server.errors import ApiError
from assay.services.public_status import public_state, public_status

__all__ = ["PUBLIC_CACHE", "UnknownTargetError", "router"]

PUBLIC_CACHE = "public, max-age=60"
# Path parameters are plain text, but should a request ever fail validation its body is ours.
router = APIRouter(responses={422: ERRORS[422]})


class UnknownTargetError(ApiError):
    """No run has been recorded for the target."""

    def __init__(self, target: str) -> None:
        super().__init__(404, "unknown_target", f"no audit run is recorded for target {target}")


def status_of(request: Request, target: str) -> dict[str, Any]:
    """The public status of ``target`` now; :class:`UnknownTargetError` when it has no run."""
    status = public_status(store_of(request), target, datetime.now(UTC))
    if status is None:
        raise UnknownTargetError(target)
    return status


@router.get("/health", response_model=Health, summary="Liveness and the store's state")
def health(request: Request) -> dict[str, Any]:
    store = store_of(request)
    return {
        "status": "ok",
        "version": __version__,
        "schema": store.schema.current,
        "ledger_entries": store.ledger.count(),
    }


@router.get(
    "/status/{target}.json",
    response_model=PublicStatus,
    responses={404: ERRORS[404]},
    summary="A target's conformity status (public)",
)
def status_json(target: str, request: Request, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return status_of(request, target)


@router.get(
    "/badge/{target}.svg",
    summary="A status badge (public)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}},
)
def badge(target: str, request: Request) -> Response:
    state = public_state(store_of(request), target, datetime.now(UTC)) or "unknown"
    return Response(
        badge_svg("assay", state),
        media_type="image/svg+xml",
        headers={"Cache-Control": PUBLIC_CACHE},
    )


@router.get(
    "/status/{target}",
    summary="A target's status page (public)",
    response_class=HTMLResponse,
    responses={404: {"description": "no run is recorded for the target (a page saying so)"}},
)
def status_page(target: str, request: Request) -> HTMLResponse:
    try:
        status = status_of(request, target)
    except UnknownTargetError as error:
        # A browser gets a page, not a JSON body, for a target nobody has audited.
        page = _page(status=None, target=target, message=error.message)
        return HTMLResponse(page, status_code=404, headers={"Cache-Control": PUBLIC_CACHE})
    page = _page(status=status, target=target, badge=Markup(badge_svg("assay", status["status"])))
    return HTMLResponse(page, headers={"Cache-Control": PUBLIC_CACHE})


@cache
def _environment() -> Environment:
    from assay.reports.templating import template_environment

    return template_environment(html=True, filters={"when": seconds})


def _page(**context: Any) -> str:
    return _environment().get_template("public/status.html.j2").render(context)
