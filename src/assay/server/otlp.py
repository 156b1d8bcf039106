"""OTLP/HTTP trace intake: ``POST /v1/traces``, where an OpenTelemetry SDK's exporter sends
spans (protobuf or JSON, optionally gzip) with an auditee token. The GenAI spans become LLM
events (:mod:`assay.integrations.otlp`); spans that break a rule are rejected one by one and
reported as OTLP's partial success."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from assay.integrations.otlp import (
    OtlpProblem,
    decode_request,
    decompressed,
    encode_response,
    trace_events,
)
from assay.server.api.answers import ERRORS, ErrorBody
from assay.server.auth import caller, store_of
from assay.server.errors import ApiError
from assay.server.threads import in_thread
from assay.services.telemetry import ingest_traces
from assay.store.tokens import Role

__all__ = ["router"]

router = APIRouter(
    responses={
        **ERRORS,
        # OTLP/HTTP answers a request it cannot decode with 400 (not 422).
        400: {"model": ErrorBody, "description": "the body is not an OTLP trace export"},
    }
)


@router.post(
    "/v1/traces",
    summary="Receive OpenTelemetry traces (OTLP/HTTP, protobuf or JSON): GenAI spans become "
    "LLM response and evaluation events (auditee)",
    openapi_extra={
        "x-roles": [Role.auditee.value],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-protobuf": {"schema": {"type": "string", "format": "binary"}},
                "application/json": {
                    "schema": {"type": "object", "description": "ExportTraceServiceRequest"}
                },
            },
        },
    },
    response_class=Response,
)
async def receive_traces(request: Request) -> Response:
    token = await in_thread(caller, request, Role.auditee)
    content_type = request.headers.get("content-type", "")
    limit = request.app.state.settings.max_body_bytes
    try:
        body = decompressed(await request.body(), request.headers.get("content-encoding"), limit)
        export = decode_request(body, content_type)
        found = trace_events(export)
    except OtlpProblem as problem:
        raise ApiError(400, "invalid_otlp", str(problem)) from None
    outcome = await in_thread(
        ingest_traces, store_of(request), found, now=datetime.now(UTC), scope=token.scope
    )
    kind = content_type.split(";")[0].strip().lower()
    return Response(
        encode_response(kind, outcome.rejected, outcome.message()),
        media_type="application/x-protobuf"
        if kind == "application/x-protobuf"
        else "application/json",
    )
