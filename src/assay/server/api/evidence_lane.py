"""The evidence push answered without FastAPI's routing and request machinery: the one request
many pipelines send at once, taken straight from the middleware stack.

Under 32 clients, more of a worker's time went to the way to :func:`.evidence.push_evidence`
than to the push itself: the router trying each route, the request handler, dependency
solving, the exception and exit-stack middlewares, the answer passing three send wrappers
(benchmarks/README.md, "Evidence pushes by a lane of their own"). :class:`EvidenceLane` sits
inside the body limit and answers ``POST /api/v1/evidence`` with ``Content-Type:
application/json`` itself, in the order and the form the route has:

1. the caller's token, checked for the route's roles (401, 403);
2. the body, parsed strictly (:func:`~assay.server.guard.strict_json`; 422
   ``invalid_request``);
3. the body validated against the route's model (422 ``invalid_request`` naming each
   problem, as FastAPI words them), the push, and its answer validated against the route's
   answer model and sent with the route's status (201).

A push's body, a few kilobytes, usually comes whole in the server's first message: then all
three steps run in one hand-over to a server thread. A body still coming in parts is not
waited for: the caller is checked in a thread of its own first, as the route does, so that a
caller without a valid token is refused before its body has arrived (benchmarks/README.md,
"One hand-over a push"). A whole body of up to :data:`PARSED_FIRST_BYTES` is parsed and
validated before the caller's token is read, so that the token and the ledger index's entries
of the push's spec and target are read in one statement
(:func:`~assay.server.auth.caller_and_latest`; "One round trip before a push"); its answers
keep the order above, as a body that fails to parse or validate is answered only once the
caller is checked.

Errors are answered by the application's own exception handlers; one without a handler goes
on to the server-error middleware, as from the route. Any other request to the path (another
method, another or no content type) goes to the route itself. The route stays registered: it
is what the OpenAPI document describes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assay.server.api.answers import RunSummary
from assay.server.api.evidence import (
    PUSH_ROLES,
    PUSHED,
    EvidencePush,
    push_evidence,
    pushed_evidence,
)
from assay.server.auth import caller, caller_and_latest
from assay.server.guard import StrictJsonRequest, strict_json
from assay.server.threads import in_thread
from assay.services.registrations import audited_version_keys

__all__ = ["EVIDENCE_PATH", "PARSED_FIRST_BYTES", "EvidenceLane"]

EVIDENCE_PATH = "/api/v1/evidence"
# The most of a body parsed before its caller's token is checked: what a caller without a
# valid token can make the server parse. A larger body waits for the caller's check.
PARSED_FIRST_BYTES = 64 * 1024
_NO_BODY = object()


class EvidenceLane:
    """ASGI middleware answering evidence pushes itself (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_json_push(scope):
            await self.app(scope, receive, send)
            return
        first = await receive()
        request = StrictJsonRequest(scope, _replaying(first, receive))
        try:
            if first["type"] == "http.request" and not first.get("more_body", False):
                # The whole body came with the first message, as a push of a few kilobytes
                # does: one hand-over checks the caller, then parses and pushes.
                response = await in_thread(_checked_and_pushed, request, first.get("body", b""))
            else:
                await in_thread(caller, request, *PUSH_ROLES)
                parsed = await request.json() if await request.body() else _NO_BODY
                response = await in_thread(_pushed, request, parsed)
        except Exception as error:
            handler = _handler_for(scope["app"], error)
            if handler is None:
                raise  # to the server-error middleware: 500, logged
            response = await handler(request, error)
        await response(scope, receive, send)


def _is_json_push(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != EVIDENCE_PATH:
        return False
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bool(value.split(b";")[0].strip().lower() == b"application/json")
    return False


def _replaying(first: Message, receive: Receive) -> Receive:
    """``receive`` that gives ``first`` (already received) once more before the rest."""
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _checked_and_pushed(request: StrictJsonRequest, body: bytes) -> Response:
    """The caller checked, then ``body`` parsed strictly and pushed: the route's answers, in
    the route's order. A body of up to :data:`PARSED_FIRST_BYTES` is parsed and validated
    before its caller is known, so that the caller's token and the ledger index's entries of
    the push's spec and target are read in one statement; a body that fails either step is
    answered only once its caller is checked (401 and 403 come first, as from the route)."""
    if len(body) > PARSED_FIRST_BYTES:
        caller(request, *PUSH_ROLES)
        return _pushed(request, strict_json(body) if body else _NO_BODY)
    try:
        push = _validated(strict_json(body) if body else _NO_BODY)
    except Exception:
        caller(request, *PUSH_ROLES)
        raise
    keys = audited_version_keys(push.spec, push.target)
    latest = caller_and_latest(request, PUSH_ROLES, keys)
    return _answer(pushed_evidence(push, request, latest))


def _pushed(request: StrictJsonRequest, parsed: Any) -> Response:
    """The push's answer, as the route gives it: 201 and the run summary."""
    return _answer(push_evidence(_validated(parsed), request))


def _validated(parsed: Any) -> EvidencePush:
    """The parsed body validated as the route validates it (422 ``invalid_request``)."""
    if parsed is _NO_BODY:  # not JSON null, which is validated like any other value
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        raise RequestValidationError([missing])
    try:
        # from_attributes as FastAPI validates a body: the same messages for the same input.
        return EvidencePush.model_validate(parsed, from_attributes=True)
    except ValidationError as error:
        raise RequestValidationError(
            [{**problem, "loc": ("body", *problem["loc"])} for problem in error.errors()]
        ) from None


def _answer(pushed: dict[str, Any]) -> Response:
    """A push's answer validated against the route's answer model, with its status (201)."""
    summary = RunSummary.model_validate(pushed)
    return JSONResponse(summary.model_dump(mode="json"), status_code=PUSHED)


def _handler_for(app: FastAPI, error: Exception) -> Any:
    """The application's handler of ``error``'s class or nearest base class, short of the
    catch-all ``Exception`` one (the server-error middleware calls that, and logs)."""
    for kind in type(error).__mro__:
        if kind is Exception:
            return None
        handler = app.exception_handlers.get(kind)
        if handler is not None:
            return handler
    return None
