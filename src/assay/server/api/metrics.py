"""The delivery (DORA) and ML life-cycle figures, as ``assay metrics dora|ml --format json``
prints them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from assay.errors import InvalidInputError
from assay.metrics.windows import Window, parse_duration, window_of
from assay.server.api.answers import ERRORS
from assay.server.auth import caller, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.server.threads import in_thread
from assay.services.metrics import DoraQuery, dora_report, ml_report
from assay.store.tokens import Role

__all__ = ["router", "window_from_query"]

router = APIRouter(prefix="/api/v1/metrics", route_class=GuardedRoute, responses=ERRORS)
READERS = (Role.auditor, Role.admin)
Name = Annotated[str | None, Query(min_length=1, max_length=200)]
Moment = Annotated[datetime | None, Query(description="RFC 3339 time")]
Span = Annotated[
    str | None,
    Query(pattern=r"^[1-9][0-9]{0,4}[hdw]$", description="A rolling window: 7d, 28d, 90d"),
]


def window_from_query(since: datetime | None, until: datetime | None, span: str | None) -> Window:
    """The window of a request; 422 when it is empty or over-specified."""
    try:
        return window_of(
            now=datetime.now(UTC),
            since=since if since is None or since.tzinfo else since.replace(tzinfo=UTC),
            until=until if until is None or until.tzinfo else until.replace(tzinfo=UTC),
            window=parse_duration(span) if span else None,
        )
    except ValueError as error:
        raise ApiError(422, "invalid_request", str(error)) from None


def _in_scope(request: Request, name: str | None) -> None:
    """A token scoped to one name reads the figures of that service or model only (403
    ``out_of_scope`` for others, and for all of them together)."""
    token = caller(request, *READERS)
    if token.scope is not None and name != token.scope:
        raise ApiError(403, "out_of_scope", f"this token reads only the figures of {token.scope!r}")


@router.get(
    "/dora",
    openapi_extra=roles(*READERS),
    summary="DORA's five keys of a service (or all) in an environment over a window "
    "(auditor, admin)",
)
async def dora(
    request: Request,
    service: Name = None,
    environment: Annotated[str, Query(min_length=1, max_length=200)] = "production",
    team: Name = None,
    since: Moment = None,
    until: Moment = None,
    window: Span = None,
    incident_window: Span = None,
    tiers: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    """The same JSON as ``assay metrics dora --format json``."""
    _in_scope(request, service)
    query = DoraQuery(
        window=window_from_query(since, until, window),
        environment=environment,
        service=service,
        team=team,
        incident_window_hours=(
            parse_duration(incident_window).total_seconds() / 3600.0 if incident_window else None
        ),
        tiers_year=tiers,
    )
    try:
        report: dict[str, Any] = await in_thread(dora_report, store_of(request), query)
    except InvalidInputError as error:
        raise ApiError(422, "invalid_request", error.message) from None
    return report


@router.get(
    "/ml",
    openapi_extra=roles(*READERS),
    summary="ML life-cycle figures of a model (or all) in an environment over a window "
    "(auditor, admin)",
)
async def ml(
    request: Request,
    model: Name = None,
    environment: Annotated[str, Query(min_length=1, max_length=200)] = "production",
    since: Moment = None,
    until: Moment = None,
    window: Span = None,
) -> dict[str, Any]:
    """The same JSON as ``assay metrics ml --format json``."""
    _in_scope(request, model)
    span = window_from_query(since, until, window)
    report: dict[str, Any] = await in_thread(
        lambda: ml_report(store_of(request), window=span, environment=environment, model=model)
    )
    return report
