"""The FastAPI application: ``create_app(choice)`` serves the store the choice names.

Public, cacheable endpoints so far: ``/health``, ``/status/{target}.json``, ``/status/{target}``
(a page) and ``/badge/{target}.svg``. Errors are JSON ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from assay import __version__
from assay.audit_actions import StatusRow, current_statuses
from assay.config import DatabaseChoice
from assay.reports.audit_json import Audience, for_audience
from assay.server.badge import badge_svg
from assay.store import Store, open_store
from assay.store.audit_log import AuditLog
from assay.store.tokens import Role, Token, find_token

__all__ = ["create_app", "target_status"]

PUBLIC_CACHE = "public, max-age=60"


class ApiError(Exception):
    """A request the API refuses: its HTTP status, a stable code and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class UnknownTargetError(Exception):
    """No run has been recorded for the target."""


def target_status(rows: list[StatusRow], target: str) -> dict[str, Any]:
    """The public status of ``target`` over every spec it is audited against: non-conformant if
    any spec says so, else expired if any evidence is stale, conformant when all are, unknown
    otherwise; revoked when its certificates have all been revoked."""
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
                "last_run": row.last_run,
                "certificates": row.certificates,
            }
            for row in mine
        ],
    }


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(choice: DatabaseChoice) -> FastAPI:
    """The Audit API on the database ``choice`` names (opened and migrated at start-up)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(choice)
        try:
            yield
        finally:
            app.state.store.close()

    app = FastAPI(
        title="assay Audit API",
        version=__version__,
        description="Continuous audit-based certification: conformity status, badges and, in "
        "later releases, evidence, runs, reports and certificates.",
        lifespan=lifespan,
    )

    def store_of(request: Request) -> Store:
        store: Store = request.app.state.store
        return store

    def status_of(request: Request, target: str) -> dict[str, Any]:
        rows = current_statuses(store_of(request), datetime.now(UTC), record=False)
        return target_status(rows, target)

    @app.exception_handler(UnknownTargetError)
    async def unknown_target(request: Request, error: UnknownTargetError) -> JSONResponse:
        return _error(404, "unknown_target", f"no audit run is recorded for target {error}")

    def caller(request: Request, *roles: Role) -> Token:
        """The token presented as ``Authorization: Bearer …``, if it has one of ``roles``:
        401 without a valid token, 403 for another role."""
        header = request.headers.get("authorization", "")
        scheme, _, presented = header.partition(" ")
        token = find_token(store_of(request), presented) if scheme.lower() == "bearer" else None
        if token is None:
            raise ApiError(401, "unauthorized", "a valid token is needed: Authorization: Bearer …")
        if token.role not in roles:
            allowed = ", ".join(role.value for role in roles)
            raise ApiError(
                403, "forbidden", f"a {token.role.value} token may not do this ({allowed} may)"
            )
        return token

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return _error(error.status, error.code, error.message)

    @app.get("/api/v1/ledger/verify", summary="Verify the evidence ledger (auditor, admin)")
    def verify_ledger(request: Request) -> dict[str, Any]:
        caller(request, Role.auditor, Role.admin)
        result = store_of(request).ledger.verify()
        problem = result.problem
        return {
            "ok": result.ok,
            "entries": result.entries,
            "head": {"seq": result.head.seq, "hash": result.head.hash},
            "problem": None if problem is None else {"seq": problem.seq, "reason": problem.reason},
        }

    @app.get("/api/v1/runs", summary="Audit runs, newest last (auditee, auditor)")
    def list_runs(
        request: Request, spec: str | None = None, target: str | None = None
    ) -> list[dict[str, Any]]:
        caller(request, Role.auditee, Role.auditor)
        return [
            {key: run[key] for key in ("run_id", "target", "verdict", "started", "finished", "seq")}
            | {"spec": run["spec"]["id"]}
            for run in AuditLog(store_of(request).ledger).runs(spec, target)
        ]

    @app.get("/api/v1/runs/{run_id}", summary="One run's outcome tree (auditee, auditor)")
    def get_run(run_id: str, request: Request) -> dict[str, Any]:
        token = caller(request, Role.auditee, Role.auditor)
        run = AuditLog(store_of(request).ledger).run(run_id)
        if run is None:
            raise ApiError(404, "unknown_run", f"no run {run_id!r} (or the prefix is ambiguous)")
        if token.role is Role.auditor and not token.internal:
            return for_audience(run, Audience.auditor)
        return dict(run)

    @app.get("/health", summary="Liveness and the store's state")
    def health(request: Request) -> dict[str, Any]:
        store = store_of(request)
        return {
            "status": "ok",
            "version": __version__,
            "schema": store.schema.current,
            "ledger_entries": store.ledger.count(),
        }

    @app.get("/status/{target}.json", summary="A target's conformity status (public)")
    def status_json(target: str, request: Request, response: Response) -> dict[str, Any]:
        response.headers["Cache-Control"] = PUBLIC_CACHE
        return status_of(request, target)

    @app.get("/badge/{target}.svg", summary="A status badge (public)", response_class=Response)
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

    @app.get(
        "/status/{target}", summary="A target's status page (public)", response_class=HTMLResponse
    )
    def status_page(target: str, request: Request) -> HTMLResponse:
        status = status_of(request, target)
        rows = "".join(
            f"<tr><td>{escape(s['spec'])}</td><td>{escape(s['status'])}</td><td>{escape(s['reason'])}</td></tr>"
            for s in status["specs"]
        )
        page = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(target)}: '
            f"{escape(status['status'])}</title></head><body><h1>{escape(target)}</h1>"
            f'<p id="status">{escape(status["status"])}</p>{badge_svg("assay", status["status"])}'
            f"<table><tr><th>spec</th><th>status</th><th>why</th></tr>{rows}</table></body></html>"
        )
        return HTMLResponse(page, headers={"Cache-Control": PUBLIC_CACHE})

    return app
