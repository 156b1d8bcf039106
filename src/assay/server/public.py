"""Public, cacheable endpoints: liveness, a target's conformity status (JSON and a page) and
its badge. No token is needed; nothing confidential is shown and reading stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from assay import __version__
from assay.server.auth import store_of
from assay.server.badge import badge_svg
from assay.server.errors import ApiError
from assay.services.audit_actions import StatusRow, current_statuses
from assay.services.registrations import registrations

__all__ = ["PUBLIC_CACHE", "router", "target_status"]

PUBLIC_CACHE = "public, max-age=60"
router = APIRouter()


class UnknownTargetError(ApiError):
    """No run has been recorded for the target."""

    def __init__(self, target: str) -> None:
        super().__init__(404, "unknown_target", f"no audit run is recorded for target {target}")


def target_status(
    rows: list[StatusRow], target: str, modes: dict[tuple[str, str], str] | None = None
) -> dict[str, Any]:
    """The public status of ``target`` over every spec it is audited against: non-conformant if
    any spec says so, else expired if any evidence is stale, conformant when all are, unknown
    otherwise; revoked when its certificates have all been revoked. ``modes`` gives the mode
    of assessment of each registered (spec, target)."""
    mine = [row for row in rows if row.target == target]
    if not mine:
        raise UnknownTargetError(target)
    states = {row.status.value for row in mine}
    if "non-conformant" in states:
        overall = "non-conformant"
    elif "expired" in states:
        overall = "expired"
    elif states == {"conformant"}:
        overall = "conformant"
    else:
        overall = "unknown"
    certificates = [state for row in mine for state in row.certificates.values()]
    if certificates and all(state == "revoked" for state in certificates):
        overall = "revoked"
    return {
        "target": target,
        "status": overall,
        "specs": [
            {
                "spec": row.spec,
                "status": row.status.value,
                "reason": row.reason,
                "mode": (modes or {}).get((row.spec, row.target), "self-assessment"),
                "last_run": row.last_run,
                "certificates": row.certificates,
            }
            for row in mine
        ],
    }


def status_of(request: Request, target: str) -> dict[str, Any]:
    """The status of ``target`` now (404 JSON when it has no run)."""
    store = store_of(request)
    rows = current_statuses(store, datetime.now(UTC), record=False)
    modes = {(r.spec, r.target): r.mode.value for r in registrations(store)}
    return target_status(rows, target, modes)


@router.get("/health", summary="Liveness and the store's state")
def health(request: Request) -> dict[str, Any]:
    store = store_of(request)
    return {
        "status": "ok",
        "version": __version__,
        "schema": store.schema.current,
        "ledger_entries": store.ledger.count(),
    }


@router.get("/status/{target}.json", summary="A target's conformity status (public)")
def status_json(target: str, request: Request, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return status_of(request, target)


@router.get("/badge/{target}.svg", summary="A status badge (public)", response_class=Response)
def badge(target: str, request: Request) -> Response:
    try:
        state = status_of(request, target)["status"]
    except UnknownTargetError:
        state = "unknown"
    return Response(
        badge_svg("assay", state),
        media_type="image/svg+xml",
        headers={"Cache-Control": PUBLIC_CACHE},
    )


@router.get(
    "/status/{target}", summary="A target's status page (public)", response_class=HTMLResponse
)
def status_page(target: str, request: Request) -> HTMLResponse:
    status = status_of(request, target)
    rows = "".join(
        f"<tr><td>{escape(s['spec'])}</td><td>{escape(s['mode'])}</td>"
        f"<td>{escape(s['status'])}</td><td>{escape(s['reason'])}</td></tr>"
        for s in status["specs"]
    )
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(target)}: '
        f"{escape(status['status'])}</title></head><body><h1>{escape(target)}</h1>"
        f'<p id="status">{escape(status["status"])}</p>{badge_svg("assay", status["status"])}'
        "<table><tr><th>spec</th><th>mode</th><th>status</th><th>why</th></tr>"
        f"{rows}</table></body></html>"
    )
    return HTMLResponse(page, headers={"Cache-Control": PUBLIC_CACHE})
