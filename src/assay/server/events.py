"""Event intake: CloudEvents (JSON, structured mode) and MLflow model registry webhooks start
the registered specs that listen (see :mod:`assay.services.audit_triggers`). Each event
received is kept in the ledger as ``audit.event``, with the runs it started."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assay.errors import InvalidInputError
from assay.files.documents import parse_json
from assay.integrations.cdevents import cloudevent_from_binary, is_cdevent, map_cdevent
from assay.integrations.mlflow_events import mlflow_event
from assay.metrics.events import EventProblem, parse_event
from assay.names import check_target
from assay.server.api import run_summary
from assay.server.api.answers import ERRORS, EventAnswer
from assay.server.auth import caller, presented_token, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.server.threads import in_thread
from assay.services.audit_runs import RunRecord
from assay.services.audit_triggers import run_triggered
from assay.services.events import IngestResult, adapt_and_ingest, ingest
from assay.services.model_registry import model_version, registry_client, write_back
from assay.services.registrations import Registration
from assay.services.telemetry import OutOfScope, stamp_scope
from assay.store import Store
from assay.store.audit_log import AuditLog
from assay.store.tokens import Role

__all__ = ["EVENT", "MLFLOW_EVENTS", "ingest_delivered", "router"]

router = APIRouter(prefix="/api/v1", route_class=GuardedRoute, responses=ERRORS)
EVENT = "audit.event"
# MLflow's webhook events, as the event names specs listen to.
MLFLOW_EVENTS = {
    ("model_version", "created"): "model_registered",
    ("model_version_alias", "created"): "model_alias_set",
}
SIGNATURE_WINDOW = 300  # seconds a signed MLflow delivery stays acceptable (replays after)


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event in JSON (structured mode); ``subject`` names the target."""

    model_config = ConfigDict(extra="allow")

    specversion: str = Field(pattern=r"^1\.0$")
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=2000)
    type: str = Field(min_length=1, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    time: datetime | None = None
    data: Any = None


def _record_and_run(
    request: Request,
    event_type: str,
    target: str | None,
    model: str | None,
    received: dict[str, Any],
    delivery: str,
) -> dict[str, Any]:
    """Run what the event starts and record it, once per ``delivery`` (the CloudEvent's source
    and id, or MLflow's delivery id): a sender retrying after a timeout gets the first answer
    again instead of a second run."""
    store = store_of(request)
    earlier = AuditLog(store.ledger).payloads(EVENT, delivery=delivery)
    if earlier:
        first = earlier[0][1]
        return {
            "event": event_type,
            "target": first["target"],
            "runs": first["answer"],
            "duplicate": True,
        }
    trigger = {"kind": "event", "type": event_type, "id": received.get("id")}
    settings = request.app.state.settings
    records = run_triggered(
        store,
        settings.spec_base,
        event_type,
        target=target,
        model=model,
        trigger=trigger,
        confinement=settings.confinement,
    )
    runs = []
    for registration, record in records:
        summary = run_summary(record)
        if model is not None:  # started by the model registry: the verdict goes back there
            summary["registry"] = _write_back(store, registration, record)
        runs.append(summary)
    store.ledger.append(
        EVENT,
        {
            "type": event_type,
            "target": target,
            "model": model,
            "event": received,
            "delivery": delivery,
            "runs": [run["run_id"] for run in runs],
            "answer": runs,
        },
    )
    return {"event": event_type, "target": target, "runs": runs, "duplicate": False}


def _write_back(store: Store, registration: Registration, record: RunRecord) -> Any:
    """Tag the new model version with the verdict and move the registration's aliases on it,
    as ``assay audit run --tag-version --promote/--rollback`` does; a registry that cannot be
    reached is reported in the answer (the run is stored either way)."""
    try:
        client = registry_client(None)
        version = model_version(record.model.target)
        tags, decisions = write_back(
            store,
            client,
            version,
            record.model,
            report=None,
            promote_alias=registration.promote,
            rollback_alias=registration.rollback,
        )
    except InvalidInputError as error:
        return {"error": error.message}
    return {"tags": tags, "gates": [decision.to_dict() for decision in decisions]}


_CLOUDEVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/cloudevents+json": {"schema": CloudEvent.model_json_schema()},
            "application/json": {
                "schema": {
                    "description": "A CloudEvent in structured mode, or (with ce-* headers) the "
                    "data of one in binary mode."
                }
            },
        },
    }
}


@router.post(
    "/events",
    response_model=EventAnswer,
    openapi_extra={**roles(Role.auditee), **_CLOUDEVENT_BODY},
    summary="Receive a CloudEvent (structured or binary mode): CDEvents become delivery "
    "events for the metrics; other events run the specs that listen (auditee)",
)
async def receive_event(request: Request) -> dict[str, Any]:
    cloudevent = await _cloudevent(request)
    if is_cdevent(cloudevent.type):
        raw = map_cdevent(cloudevent.model_dump(mode="json", exclude_none=True))
        result = await in_thread(ingest_delivered, request, [raw], f"CloudEvent {cloudevent.id}")
        return {
            "event": cloudevent.type,
            "target": None,
            "runs": [],
            "duplicate": result.received > 0 and result.stored == 0,
            "metrics": result.to_dict(),
        }
    event = cloudevent
    target = event.subject
    if (
        target is None
        and isinstance(event.data, dict)
        and isinstance(event.data.get("target"), str)
    ):
        target = event.data["target"]
    await in_thread(caller, request, Role.auditee, target=target)
    if target is None:
        raise ApiError(422, "no_target", "the event names no target: set subject (or data.target)")
    received = event.model_dump(mode="json", exclude_none=True)
    delivery = f"cloudevent:{event.source}#{event.id}"
    return await in_thread(_record_and_run, request, event.type, target, None, received, delivery)


async def _cloudevent(request: Request) -> CloudEvent:
    """The CloudEvent of the request: structured mode (the body is the event) or binary mode
    (``ce-*`` headers carry the attributes, the body is the data)."""
    body = await request.body()
    try:
        if "ce-specversion" in request.headers:
            data = parse_json(body) if body.strip() else None
            received: Any = cloudevent_from_binary(request.headers, data)
        else:
            received = parse_json(body)
        return CloudEvent.model_validate(received)
    except ValidationError as error:
        raise ApiError(422, "invalid_request", f"not a CloudEvent: {_first(error)}") from None
    except ValueError as error:
        raise ApiError(422, "invalid_request", f"the body is refused: {error}") from None


def ingest_delivered(request: Request, raw: list[dict[str, Any]], where: str) -> IngestResult:
    """Check and store the events an adapter made of one delivery: 422 naming the problem
    when one is not valid (nothing stored), 403 when a scoped token sends events of another
    service or model than its scope."""
    token = presented_token(request)
    scope = token.scope if token is not None else None
    try:
        raw = [stamp_scope(event, scope) for event in raw]
    except OutOfScope as problem:
        raise ApiError(403, "out_of_scope", str(problem)) from None
    try:
        return adapt_and_ingest(store_of(request), raw, where=where)
    except InvalidInputError as error:
        raise ApiError(422, "invalid_event", error.message) from None


_MAX_EVENTS = 100_000  # canonical events in one import request


@router.post(
    "/events/import",
    openapi_extra={
        **roles(Role.auditee),
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {"type": "string", "description": "One canonical event per line"}
                },
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
    },
    summary="Store canonical events (JSON lines or a JSON array): evaluations of responses, "
    "feedback, feature use and every other canonical type, all or none (auditee)",
)
async def import_events(request: Request) -> dict[str, Any]:
    token = presented_token(request)
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            items = parse_json(body)
            if not isinstance(items, list):
                raise ApiError(422, "invalid_request", "the body is not a JSON array of events")
            numbered = [(f"item {i}", item) for i, item in enumerate(items)]
        else:
            numbered = [
                (f"line {n}", parse_json(line))
                for n, line in enumerate(body.decode("utf-8").splitlines(), start=1)
                if line.strip()
            ]
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(422, "invalid_request", f"the body is refused: {error}") from None
    if len(numbered) > _MAX_EVENTS:
        raise ApiError(413, "too_many_events", f"at most {_MAX_EVENTS:,} events per request")
    scope = token.scope if token is not None else None
    now = datetime.now(UTC)
    events = []
    for where, item in numbered:
        if not isinstance(item, dict):
            raise ApiError(422, "invalid_event", f"{where}: not a JSON object")
        try:
            events.append(stamp_scope(parse_event(item, now=now), scope))
        except EventProblem as problem:
            raise ApiError(422, "invalid_event", f"{where}: {problem}") from None
        except OutOfScope as problem:
            raise ApiError(403, "out_of_scope", f"{where}: {problem}") from None
    result = await in_thread(ingest, store_of(request), events)
    return result.to_dict()


class _MlflowVersion(BaseModel):
    name: str = Field(min_length=1, max_length=150)
    version: str | int


class _MlflowDelivery(BaseModel):
    entity: str
    action: str
    timestamp: str | None = None
    data: dict[str, Any]


def _check_signature(request: Request, body: bytes) -> bool:
    """True when the delivery carries a valid MLflow signature for the configured secret;
    401 when a secret is configured and the signature is missing, stale or wrong."""
    secret = os.environ.get(request.app.state.settings.mlflow_webhook_secret_env)
    if not secret:
        return False
    delivery = request.headers.get("x-mlflow-delivery-id", "")
    stamp = request.headers.get("x-mlflow-timestamp", "")
    signature = request.headers.get("x-mlflow-signature", "")
    # A timestamp is seconds since the epoch: more digits than that is not one (and would not
    # fit the float it is compared with).
    if not (delivery and stamp.isdigit() and len(stamp) <= 12 and signature.startswith("v1,")):
        raise ApiError(401, "bad_signature", "an MLflow signature is needed for this webhook")
    if abs(time.time() - int(stamp)) > SIGNATURE_WINDOW:
        raise ApiError(401, "bad_signature", "the MLflow delivery is too old (a replay?)")
    signed = f"{delivery}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    if not hmac.compare_digest(expected.decode(), signature.removeprefix("v1,")):
        raise ApiError(401, "bad_signature", "the MLflow signature does not match")
    return True


@router.post(
    "/webhooks/mlflow",
    response_model=EventAnswer,
    summary="Receive an MLflow model registry webhook (signed, or an auditee token)",
)
async def receive_mlflow(request: Request) -> dict[str, Any]:
    """A new model version runs the specs registered for that model on ``NAME@VERSION``;
    other registry events are acknowledged and ignored."""
    body = await request.body()
    if not _check_signature(request, body):
        await in_thread(caller, request, Role.auditee)
    try:
        received = parse_json(body)
        delivery = _MlflowDelivery.model_validate(received)
    except ValidationError as error:
        raise ApiError(
            422, "invalid_request", f"not an MLflow webhook delivery: {_first(error)}"
        ) from None
    except ValueError as error:
        raise ApiError(422, "invalid_request", f"the body is refused: {error}") from None
    delivery_id = request.headers.get("x-mlflow-delivery-id") or hashlib.sha256(body).hexdigest()
    event = MLFLOW_EVENTS.get((delivery.entity, delivery.action))
    if event is None:
        ignored = f"{delivery.entity}.{delivery.action}"
        return {"event": ignored, "target": None, "runs": [], "duplicate": False}
    try:
        version = _MlflowVersion.model_validate(delivery.data)
        target = check_target(f"{version.name}@{version.version}", source="data.name")
    except ValidationError as error:
        raise ApiError(
            422, "invalid_request", f"no model name and version: {_first(error)}"
        ) from None
    except InvalidInputError as error:
        raise ApiError(422, "invalid_request", error.message) from None
    # The registry event is also a life-cycle event for the ML metrics (kept once per version
    # registered, once per delivery of an alias move).
    canonical = mlflow_event(
        delivery.entity,
        delivery.action,
        delivery.data,
        delivery=delivery_id,
        time=_delivery_time(delivery.timestamp),
    )
    if canonical is not None:
        await in_thread(ingest_delivered, request, [canonical], f"MLflow delivery {delivery_id}")
    return await in_thread(
        _record_and_run, request, event, target, version.name, received, f"mlflow:{delivery_id}"
    )


def _delivery_time(stamp: str | None) -> str:
    """The delivery's timestamp when it is an RFC 3339 time, else the time of receipt."""
    try:
        moment = datetime.fromisoformat(stamp or "")
    except ValueError:
        moment = datetime.now(UTC)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _first(error: ValidationError) -> str:
    """The first problem pydantic found, where it is, without the input it quotes."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"
