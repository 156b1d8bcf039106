"""OpenTelemetry traces (OTLP/HTTP, protobuf or JSON) to canonical events.

A span that carries the GenAI semantic conventions (``gen_ai.operation.name``,
``gen_ai.request.model`` or ``gen_ai.response.model``) becomes an ``llm_response``; a
``gen_ai.evaluation.result`` span event (or a span carrying ``gen_ai.evaluation.name``)
becomes an ``evaluation`` of the response it belongs to. Other spans are counted, not kept.
assay's own attributes tie a response to what produced it: ``assay.model_version``,
``assay.prompt_hash``, ``assay.retrieval_config`` and ``assay.retrieval_ids``.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from assay.files.documents import parse_json

__all__ = [
    "EVALUATION_EVENT",
    "OtlpProblem",
    "TraceEvents",
    "decode_request",
    "decompressed",
    "encode_response",
    "trace_events",
]

EVALUATION_EVENT = "gen_ai.evaluation.result"
SOURCE = "otlp"
_ERROR = 2  # Status.STATUS_CODE_ERROR
_MAX_VALUES = 10_000  # items of one array attribute kept


class OtlpProblem(ValueError):
    """An export assay cannot read (not OTLP, bad encoding, too large once decompressed)."""


def decompressed(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body without its ``Content-Encoding`` (gzip or deflate), refused past ``limit``
    bytes so that a small compressed body cannot expand without bound."""
    kind = (encoding or "identity").strip().lower()
    if kind in ("", "identity"):
        return body
    if kind not in ("gzip", "deflate"):
        raise OtlpProblem(f"Content-Encoding {kind!r} is not supported (gzip, deflate)")
    inflater = zlib.decompressobj(wbits=31 if kind == "gzip" else 15)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise OtlpProblem(f"the {kind} body cannot be decompressed: {error}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise OtlpProblem(f"the decompressed body is larger than {limit:,} bytes")
    return out


def decode_request(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    """The export request in ``body``: binary protobuf (``application/x-protobuf``) or OTLP's
    JSON encoding (``application/json``, ids in hex)."""
    request = ExportTraceServiceRequest()
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-protobuf":
        try:
            request.ParseFromString(body)
        except DecodeError as error:
            raise OtlpProblem(f"not an OTLP protobuf trace export: {error}") from None
        return request
    if kind != "application/json":
        raise OtlpProblem(
            f"Content-Type {kind or '(none)'} is not OTLP; send application/x-protobuf or "
            "application/json"
        )
    try:
        data = parse_json(body)
    except ValueError as error:
        raise OtlpProblem(f"the body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise OtlpProblem("the body is not a JSON object (an ExportTraceServiceRequest)")
    try:
        json_format.ParseDict(_hex_ids_as_base64(data), request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError) as error:
        raise OtlpProblem(f"not an OTLP JSON trace export: {error}") from None
    return request


def _hex_ids_as_base64(data: dict[str, Any]) -> dict[str, Any]:
    """OTLP/JSON writes trace and span ids in hex where protobuf's JSON mapping wants base64."""
    for resource in _list(data, "resourceSpans", "resource_spans"):
        for scope in _list(resource, "scopeSpans", "scope_spans"):
            for span in _list(scope, "spans"):
                _convert_ids(span)
                for link in _list(span, "links"):
                    _convert_ids(link)
    return data


def _list(data: Any, *keys: str) -> list[Any]:
    if not isinstance(data, dict):
        return []
    for key in keys:
        value = data.get(key)
        if isinstance(value, list):
            return value
    return []


def _convert_ids(item: Any) -> None:
    if not isinstance(item, dict):
        return
    for key in ("traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id"):
        value = item.get(key)
        if isinstance(value, str) and value:
            try:
                item[key] = base64.b64encode(bytes.fromhex(value)).decode()
            except ValueError:
                raise OtlpProblem(f"{key} {value[:64]!r} is not hexadecimal") from None


def encode_response(content_type: str, rejected: int = 0, message: str = "") -> bytes:
    """The ``ExportTraceServiceResponse`` in the request's encoding, with a partial success
    when spans were rejected."""
    response = ExportTraceServiceResponse()
    if rejected:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if content_type.split(";")[0].strip().lower() == "application/x-protobuf":
        return bytes(response.SerializeToString())
    return str(json_format.MessageToJson(response, indent=None)).encode()


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values[:_MAX_VALUES]]
    if kind == "kvlist_value":
        return {item.key: _value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pair: KeyValue
    for pair in pairs:
        out[pair.key] = _value(pair.value)
    return out


def _time(nanos: int) -> str:
    return datetime.fromtimestamp(nanos / 1e9, UTC).isoformat().replace("+00:00", "Z")


def _names(value: Any) -> list[str]:
    """A list of ids from an array attribute or a comma-separated string."""
    if isinstance(value, list):
        return [str(item) for item in value if item is not None and str(item)]
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return []


def _first(attributes: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if attributes.get(key) is not None:
            return attributes[key]
    return None


def _seconds_as_ms(value: Any) -> float | None:
    return float(value) * 1000 if isinstance(value, int | float) else None


def _is_genai(attributes: Mapping[str, Any]) -> bool:
    return any(
        key in attributes
        for key in ("gen_ai.operation.name", "gen_ai.request.model", "gen_ai.response.model")
    )


@dataclass
class TraceEvents:
    """What an export held: the canonical events made of it (raw, not yet checked), the
    number of spans, and the spans that were not GenAI operations."""

    events: list[dict[str, Any]] = field(default_factory=list)
    spans: int = 0
    ignored: int = 0


def trace_events(request: ExportTraceServiceRequest) -> TraceEvents:
    """The ``llm_response`` and ``evaluation`` events of an export (see the module)."""
    out = TraceEvents()
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                out.spans += 1
                attributes = {**resource, **_attributes(span.attributes)}
                trace, span_id = span.trace_id.hex(), span.span_id.hex()
                key = f"{trace}-{span_id}"
                response_id = str(attributes.get("gen_ai.response.id") or span_id)
                if _is_genai(attributes):
                    out.events.append(_response(span, attributes, key, response_id, trace))
                elif "gen_ai.evaluation.name" in attributes:
                    parent = span.parent_span_id.hex()
                    target = str(attributes.get("gen_ai.response.id") or parent or span_id)
                    out.events.append(
                        _evaluation(attributes, key, target, span.start_time_unix_nano)
                    )
                    continue
                else:
                    out.ignored += 1
                for index, event in enumerate(span.events):
                    if event.name == EVALUATION_EVENT:
                        found = _attributes(event.attributes)
                        target = str(found.get("gen_ai.response.id") or response_id)
                        out.events.append(
                            _evaluation(found, f"{key}-e{index}", target, event.time_unix_nano or 0)
                        )
    return out


def _response(
    span: Any, attributes: Mapping[str, Any], key: str, response_id: str, trace: str
) -> dict[str, Any]:
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    error = None
    if span.status.code == _ERROR:
        error = str(attributes.get("error.type") or span.status.message or "error")
    model = _first(attributes, "gen_ai.response.model", "gen_ai.request.model")
    return {
        "type": "llm_response",
        "id": key,
        "source": SOURCE,
        "time": _time(start),
        "response_id": response_id,
        "model": str(model) if model else "unknown",
        "service": attributes.get("service.name"),
        "environment": _first(attributes, "deployment.environment.name", "deployment.environment"),
        "request_model": attributes.get("gen_ai.request.model"),
        "version": _first(attributes, "assay.model_version", "gen_ai.model.version"),
        "prompt_hash": attributes.get("assay.prompt_hash"),
        "retrieval_config": attributes.get("assay.retrieval_config"),
        "retrieval_ids": _names(attributes.get("assay.retrieval_ids")),
        "conversation": attributes.get("gen_ai.conversation.id"),
        "operation": attributes.get("gen_ai.operation.name"),
        "input_tokens": _first(
            attributes, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"
        ),
        "output_tokens": _first(
            attributes, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"
        ),
        "duration_ms": (end - start) / 1e6 if end >= start > 0 else None,
        "ttft_ms": _seconds_as_ms(
            _first(
                attributes,
                "gen_ai.response.time_to_first_chunk",
                "gen_ai.response.time_to_first_token",
                "gen_ai.server.time_to_first_token",
            )
        ),
        "finish_reasons": _names(attributes.get("gen_ai.response.finish_reasons")),
        "error": error,
        "user": _first(attributes, "user.id", "enduser.id"),
        "trace": trace,
    }


def _evaluation(
    attributes: Mapping[str, Any], key: str, response_id: str, nanos: int
) -> dict[str, Any]:
    return {
        "type": "evaluation",
        "id": key,
        "source": SOURCE,
        "time": _time(nanos) if nanos else None,
        "response_id": response_id,
        "evaluation": attributes.get("gen_ai.evaluation.name"),
        "label": attributes.get("gen_ai.evaluation.score.label"),
        "score": attributes.get("gen_ai.evaluation.score.value"),
        "evaluator": attributes.get("gen_ai.evaluator.name")
        or attributes.get("gen_ai.evaluation.evaluator"),
        "explanation": attributes.get("gen_ai.evaluation.explanation"),
    }
