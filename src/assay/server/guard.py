"""The order every Audit API request is handled in: who is calling first, then what they sent.

Each route of the Audit API names the roles that may call it (``openapi_extra=roles(...)``, shown
as ``x-roles`` in the OpenAPI document). :class:`GuardedRoute` checks the bearer token against
those roles before the body is read, so a caller without a valid token gets 401 and a caller of
another role 403, whatever they sent; only then is the body parsed, strictly (no ``NaN`` or
``Infinity``, no key twice, bounded nesting; :func:`assay.files.documents.parse_json`), and
validated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from assay.files.documents import parse_json
from assay.server.auth import caller
from assay.server.errors import ApiError
from assay.server.threads import in_thread, in_thread_endpoint
from assay.store.tokens import Role

__all__ = ["GuardedRoute", "StrictJsonRequest", "roles", "strict_json"]

ROLES_KEY = "x-roles"


def roles(*allowed: Role) -> dict[str, Any]:
    """The ``openapi_extra`` of a route that ``allowed`` roles may call."""
    return {ROLES_KEY: [role.value for role in allowed]}


class StrictJsonRequest(Request):
    """A request whose JSON body is read by assay's strict parser."""

    async def json(self) -> Any:
        """The body as JSON; :class:`ApiError` 422 saying what is wrong with it."""
        if not hasattr(self, "_json"):
            self._json = strict_json(await self.body())
        return self._json


def strict_json(body: bytes) -> Any:
    """``body`` read by assay's strict parser; :class:`ApiError` 422 saying what is wrong."""
    try:
        return parse_json(body)
    except json.JSONDecodeError as error:
        raise ApiError(
            422,
            "invalid_request",
            f"the body is not JSON: {error.msg} (line {error.lineno}, column {error.colno})",
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(422, "invalid_request", f"the body is refused: {error}") from None


class GuardedRoute(APIRoute):
    """A route that checks the caller's role before it reads the body, and reads JSON bodies
    strictly (see the module). A plain (not ``async``) endpoint runs in the server's threads
    (:func:`assay.server.threads.in_thread_endpoint`)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, in_thread_endpoint(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        allowed = tuple(Role(role) for role in (self.openapi_extra or {}).get(ROLES_KEY, ()))

        async def guarded(request: Request) -> Response:
            strict = StrictJsonRequest(request.scope, request.receive)
            if allowed:
                await in_thread(caller, strict, *allowed)
            if _has_json_body(strict) and await strict.body():
                await strict.json()  # refused here, with our message, before validation
            return await handler(strict)

        return guarded


def _has_json_body(request: Request) -> bool:
    """The body will be read as JSON: as FastAPI reads it, with a JSON content type or none."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return request.method in ("POST", "PUT", "PATCH") and (
        not kind or kind == "application/json" or kind.endswith("+json")
    )
