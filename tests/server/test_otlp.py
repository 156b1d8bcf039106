"""OTLP/HTTP trace intake: the real OpenTelemetry SDK exports GenAI spans to a real
``assay serve``, and the LLM figures agree with a hand computation on the same spans."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from tests.helpers.running import run_cli
from tests.helpers.server import make_tokens, serve_process

MS = 1_000_000  # nanoseconds


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, str]]]:
    home = tmp_path_factory.mktemp("otlp")
    url = f"sqlite:///{home / 'assay.db'}"
    tokens = make_tokens(url, bot="support-bot")
    with serve_process(url, home=home) as (_, base):
        yield url, base, tokens


def _provider(base: str, token: str, service: str = "support-bot") -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPSpanExporter(
        endpoint=f"{base}/v1/traces", headers={"authorization": f"Bearer {token}"}
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


# (model, input tokens, output tokens, duration ms, ttft s, conversation, faithfulness label)
RESPONSES = [
    ("gpt-4o", 1000, 200, 100, 0.05, "c1", "faithful"),
    ("gpt-4o", 2000, 400, 200, 0.07, "c1", "unfaithful"),
    ("gpt-4o", 500, 100, 400, 0.09, "c2", None),
    ("local-llama", 300, 50, 800, None, "c3", "faithful"),
]


def _export(provider: TracerProvider, start: int) -> None:
    tracer = provider.get_tracer("tests")
    for index, (model, tokens_in, tokens_out, ms, ttft, chat, label) in enumerate(RESPONSES):
        begin = start + index * 1000 * MS
        span = tracer.start_span(f"chat {model}", start_time=begin)
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": model,
                "gen_ai.response.model": model,
                "gen_ai.response.id": f"resp-{index}",
                "gen_ai.usage.input_tokens": tokens_in,
                "gen_ai.usage.output_tokens": tokens_out,
                "gen_ai.conversation.id": chat,
                "gen_ai.response.finish_reasons": ["stop"],
                "assay.model_version": "3",
                "assay.prompt_hash": "p-1",
                "assay.retrieval_config": "top5",
                "assay.retrieval_ids": ["doc1#2", "doc7#1"],
            }
        )
        if ttft is not None:
            span.set_attribute("gen_ai.response.time_to_first_chunk", ttft)
        if label is not None:
            span.add_event(
                "gen_ai.evaluation.result",
                {
                    "gen_ai.evaluation.name": "faithfulness",
                    "gen_ai.evaluation.score.label": label,
                },
                timestamp=begin + ms * MS,
            )
        span.end(end_time=begin + ms * MS)
    other = tracer.start_span("GET /health", start_time=start)
    other.set_status(Status(StatusCode.OK))
    other.end(end_time=start + 5 * MS)
    provider.force_flush()
    provider.shutdown()


def _llm(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> dict[str, Any]:
    result = run_cli(capsys, "metrics", "llm", "--db", url, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_the_sdk_exporter_feeds_the_llm_figures(
    served: tuple[str, str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, base, tokens = served
    start = time.time_ns() - 3600 * 1000 * MS
    _export(_provider(base, tokens["auditee"]), start)
    report = _llm(capsys, url, "--window", "1d", "--service", "support-bot", "--group-by", "model")
    groups = {group["model"]: group for group in report["groups"]}
    gpt = groups["gpt-4o"]
    # By hand: gpt-4o at 2.50 / 10.00 per million input / output tokens.
    costs = [
        (1000 * 2.5 + 200 * 10) / 1e6,
        (2000 * 2.5 + 400 * 10) / 1e6,
        (500 * 2.5 + 100 * 10) / 1e6,
    ]
    assert gpt["responses"] == 3
    assert gpt["sessions"] == 2
    assert gpt["cost"]["total"] == pytest.approx(sum(costs))
    assert gpt["cost"]["per_response"] == pytest.approx(sum(costs) / 3)
    assert gpt["cost"]["per_session"] == pytest.approx(sum(costs) / 2)
    assert gpt["cost"]["per_1k_tokens"] == pytest.approx(sum(costs) / 4200 * 1000)
    assert gpt["tokens_per_response"]["output"] == pytest.approx(700 / 3)
    # Durations 100, 200, 400 ms: the median is 200; p95 interpolates 90% of the way to 400.
    assert gpt["latency_ms"]["p50"] == pytest.approx(200)
    assert gpt["latency_ms"]["p95"] == pytest.approx(380)
    assert gpt["latency_ms"]["per_output_token"] == pytest.approx(0.5)  # 100/200, 200/400, 4
    assert gpt["ttft_ms"]["p50"] == pytest.approx(70)
    assert gpt["hallucination_rate"] == {"value": 0.5, "flagged": 1, "evaluated": 2}
    llama = groups["local-llama"]
    assert llama["cost"]["per_response"] is None
    assert llama["cost"]["unpriced_models"] == {"local-llama": 1}
    assert report["all"]["cost"]["unpriced"] == 1
    assert report["all"]["responses"] == 4
    listed = run_cli(
        capsys, "events", "list", "--db", url, "--type", "llm_response", "--format", "json"
    )
    stored = json.loads(listed.stdout)
    assert {e["model"] for e in stored} == {"gpt-4o", "local-llama"}  # the health span is not kept


def _json_export(span_id: str, service: str, tokens_in: Any = 10) -> dict[str, Any]:
    now = time.time_ns() - 60 * 1000 * MS
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": service}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": span_id,
                                "name": "chat",
                                "kind": 3,
                                "startTimeUnixNano": str(now),
                                "endTimeUnixNano": str(now + 250 * MS),
                                "attributes": [
                                    {
                                        "key": "gen_ai.request.model",
                                        "value": {"stringValue": "gpt-4o-mini"},
                                    },
                                    {
                                        "key": "gen_ai.usage.input_tokens",
                                        "value": {"intValue": str(tokens_in)},
                                    },
                                    {
                                        "key": "gen_ai.usage.output_tokens",
                                        "value": {"intValue": "5"},
                                    },
                                ],
                            }
                        ]
                    }
                ],
            }
        ]
    }


def test_json_and_gzip_exports_and_partial_success(
    served: tuple[str, str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, base, tokens = served
    headers = {"authorization": f"Bearer {tokens['auditee']}", "content-type": "application/json"}
    body = gzip.compress(json.dumps(_json_export("eee19b7ec3c1b174", "json-bot")).encode())
    answer = httpx.post(
        f"{base}/v1/traces", content=body, headers={**headers, "content-encoding": "gzip"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {}
    # A negative token count is refused for that span alone, and said so.
    bad = httpx.post(
        f"{base}/v1/traces", json=_json_export("eee19b7ec3c1b175", "json-bot", -3), headers=headers
    )
    assert bad.status_code == 200
    partial = bad.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "input_tokens" in partial["errorMessage"]
    report = _llm(capsys, url, "--window", "1d", "--service", "json-bot")
    assert report["all"]["responses"] == 1
    assert report["all"]["latency_ms"]["p50"] == pytest.approx(250)


def test_bad_exports_and_callers_are_refused(served: tuple[str, str, dict[str, str]]) -> None:
    _, base, tokens = served
    export = json.dumps(_json_export("aaa19b7ec3c1b174", "support-bot")).encode()
    plain = {"content-type": "application/json"}
    assert httpx.post(f"{base}/v1/traces", content=export, headers=plain).status_code == 401
    reader = {**plain, "authorization": f"Bearer {tokens['auditor']}"}
    assert httpx.post(f"{base}/v1/traces", content=export, headers=reader).status_code == 403
    auditee = {"authorization": f"Bearer {tokens['auditee']}"}
    garbage = httpx.post(
        f"{base}/v1/traces",
        content=b"\xff\x00garbage",
        headers={**auditee, "content-type": "application/x-protobuf"},
    )
    assert garbage.status_code == 400
    assert garbage.json()["error"]["code"] == "invalid_otlp"
    bomb = gzip.compress(b"0" * (40 * 1024 * 1024))  # 40 MB of zeros in a few kB
    inflated = httpx.post(
        f"{base}/v1/traces",
        content=bomb,
        headers={**auditee, "content-type": "application/json", "content-encoding": "gzip"},
    )
    assert inflated.status_code == 400
    assert "larger than" in inflated.json()["error"]["message"]
    # A token scoped to support-bot cannot send another service's spans: rejected, not stored.
    scoped = {**plain, "authorization": f"Bearer {tokens['bot']}"}
    other = json.dumps(_json_export("bbb19b7ec3c1b174", "billing-bot")).encode()
    answer = httpx.post(f"{base}/v1/traces", content=other, headers=scoped)
    assert answer.json()["partialSuccess"]["rejectedSpans"] == "1"
    assert "limited to 'support-bot'" in answer.json()["partialSuccess"]["errorMessage"]


def test_an_exporter_without_a_token_is_refused_and_stores_nothing(
    served: tuple[str, str, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, base, _ = served
    _export(_provider(base, "not-a-token", service="nobody"), time.time_ns() - 1000 * MS)
    report = _llm(capsys, url, "--window", "1d", "--service", "nobody")
    assert report["all"]["responses"] == 0
