"""Event intake: CloudEvents (JSON, structured mode) and MLflow model registry webhooks start
the registered specs that listen (see :mod:`assay.services.audit_triggers`). Each event
received is kept in the ledger as ``audit.event``, with the runs it started."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from assay.errors import InvalidInputError
from assay.files.documents import parse_json
from assay.names import check_target
from assay.server.api import run_summary
from assay.server.api.answers import ERRORS, EventAnswer
from assay.server.auth import caller, store_of
from assay.server.errors import ApiError
from assay.server.guard import GuardedRoute, roles
from assay.services.audit_runs import RunRecord
from assay.services.audit_triggers import run_triggered
from assay.services.model_registry import model_version, registry_client, write_back
from assay.services.registrations import Registration
from assay.store import Store
from assay.store.audit_log import AuditLog
from assay.store.tokens import Role

__all__ = ["EVENT", "MLFLOW_EVENTS", "router"]

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


@router.post(
    "/events",
    response_model=EventAnswer,
    openapi_extra=roles(Role.auditee),
    summary="Receive a CloudEvent; run the specs that listen (auditee)",
)
def receive_event(event: CloudEvent, request: Request) -> dict[str, Any]:
    target = event.subject
    if (
        target is None
        and isinstance(event.data, dict)
        and isinstance(event.data.get("target"), str)
    ):
        target = event.data["target"]
    caller(request, Role.auditee, target=target)
    if target is None:
        raise ApiError(422, "no_target", "the event names no target: set subject (or data.target)")
    received = event.model_dump(mode="json", exclude_none=True)
    delivery = f"cloudevent:{event.source}#{event.id}"
    return _record_and_run(request, event.type, target, None, received, delivery)


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
        await run_in_threadpool(caller, request, Role.auditee)
    try:
        received = parse_json(body)
        delivery = _MlflowDelivery.model_validate(received)
    except ValidationError as error:
        raise ApiError(
            422, "invalid_request", f"not an MLflow webhook delivery: {_first(error)}"
        ) from None
    except ValueError as error:
        raise ApiError(422, "invalid_request", f"the body is refused: {error}") from None
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
    delivery_id = request.headers.get("x-mlflow-delivery-id") or hashlib.sha256(body).hexdigest()
    return await run_in_threadpool(
        _record_and_run, request, event, target, version.name, received, f"mlflow:{delivery_id}"
    )


def _first(error: ValidationError) -> str:
    """The first problem pydantic found, where it is, without the input it quotes."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"
