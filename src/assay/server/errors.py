"""API errors: every refusal is JSON ``{"error": {"code", "message"}}`` with a 4xx status; bad
input never reaches a 5xx. Request bodies above the configured size are refused unread."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assay.errors import (
    MAX_MESSAGE,
    AssayError,
    DatabaseUnavailableError,
    GateFailedError,
    InvalidInputError,
    shorten,
)
from assay.integrations.errors import translate
from assay.services.evidence import EvidenceRefusedError

__all__ = ["ApiError", "BodyLimit", "error_response", "install_error_handlers"]

log = logging.getLogger("assay.server")


class ApiError(Exception):
    """A request the API refuses: its HTTP status, a stable code, a message and details."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    """The JSON body every error has."""
    return JSONResponse(
        {"error": {"code": code, "message": message, **(details or {})}}, status_code=status
    )


def _where(location: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in location if part != "body") or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Turn API errors, assay's own errors, malformed requests and unknown routes into the
    JSON error body."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            shorten(f"{_where(item['loc'])}: {item['msg']}", 300) for item in error.errors()
        ][:1000]
        message = shorten("; ".join(problems[:20]), MAX_MESSAGE)
        return error_response(422, "invalid_request", message, {"problems": problems})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return error_response(error.status_code, code, shorten(str(error.detail), MAX_MESSAGE))

    @app.exception_handler(GateFailedError)
    async def not_conformant(request: Request, error: GateFailedError) -> JSONResponse:
        return error_response(409, "not_conformant", error.message)

    @app.exception_handler(EvidenceRefusedError)
    async def invalid_evidence(request: Request, error: EvidenceRefusedError) -> JSONResponse:
        details = {"problems": error.problems} if error.problems else None
        return error_response(422, "invalid_evidence", error.problem, details)

    @app.exception_handler(DatabaseUnavailableError)
    async def database_unavailable(
        request: Request, error: DatabaseUnavailableError
    ) -> JSONResponse:
        # Not the caller's input: the operator reads which database and why in the log; the
        # caller learns nothing of it (its address, name or user).
        log.warning("database unavailable: %s", error.message)
        return _unavailable()

    @app.exception_handler(InvalidInputError)
    async def invalid_input(request: Request, error: InvalidInputError) -> JSONResponse:
        problems = getattr(error, "problems", None)
        details = {"problems": problems} if problems else None
        return error_response(422, "invalid_input", error.message, details)

    @app.exception_handler(AssayError)
    async def assay_error(request: Request, error: AssayError) -> JSONResponse:
        return error_response(500, "internal", error.message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # The caller learns nothing of the server's internals; the log has the traceback
        # (Starlette logs the exception after this answer).
        found = translate(error)
        if isinstance(found, DatabaseUnavailableError):
            return await database_unavailable(request, found)
        return error_response(500, "internal", "internal error; the server log says more")


def _unavailable() -> JSONResponse:
    return error_response(503, "unavailable", "the database is unavailable; retry later")


class BodyLimit:
    """ASGI middleware refusing request bodies over ``limit`` bytes with 413, by the declared
    length when there is one and by counting otherwise."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        if declared is not None:  # the server stops reading at the declared length
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read the body here, up to the limit, then replay it.
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                await self._refuse(scope, receive, send)
                return
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "body_too_large", f"the request body is larger than {self.limit} bytes"
        )
        await response(scope, receive, send)
