"""LLM telemetry at scale: OTLP/HTTP intake and the LLM figures over a million spans.

In one run:

1. **Intake**: a real ``assay serve`` process (one worker, on the database named) receives N
   GenAI spans, made by the real OpenTelemetry SDK before the clock starts, from its OTLP/HTTP
   exporter (protobuf, batches of 512, one after the other as the batch processor sends them).
   Reports spans per second end to end (the exporter's encoding and HTTP included) and the
   server process's peak resident memory. Beside it, the floor: the
   same export requests decoded by ``opentelemetry-proto`` alone in this process.
2. **Compute**: 1,000,000 ``llm_response`` events (and a faithfulness judgement and a vote for
   one in ten) are stored directly (untimed); then, in a fresh process, ``assay metrics llm``'s
   service computes every figure per model version and prompt over the day, timed, with that
   process's peak resident memory. The peer in the same run: pandas reading the same events
   table and computing the comparable figures with ``groupby`` (count, mean cost, p50/p95
   latency); the figures of both must agree.

    python benchmarks/bench_otlp.py [--postgres URL] [--spans 50000] [--events 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results" / "otlp.md"
END = datetime(2026, 11, 30, tzinfo=UTC)
MODELS = [
    ("gpt-4o", "3", "p-a"),
    ("gpt-4o", "4", "p-b"),
    ("gpt-4o-mini", "1", "p-a"),
    ("llama-local", "2", "p-c"),
]


def _serve(url: str, home: Path) -> tuple[subprocess.Popen[str], str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.helpers.server import BANNER, StderrReader, wait_for_health

    process = subprocess.Popen(
        [sys.executable, "-m", "assay", "serve", "--port", "0", "--db", url, "--no-scheduler"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={"ASSAY_HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    errors = StderrReader(process)
    banner = errors.wait_for(BANNER, seconds=120)
    assert banner is not None, errors.text
    base = banner.group(1)
    wait_for_health(process, f"{base}/health", seconds=60, errors=errors)
    return process, base


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _finished_spans(count: int) -> list[Any]:
    """``count`` GenAI spans made by the real SDK, as its exporter receives them."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    kept: list[Any] = []

    class Keep(SpanExporter):
        def export(self, batch: Any) -> SpanExportResult:
            kept.extend(batch)
            return SpanExportResult.SUCCESS

    provider = TracerProvider(resource=Resource.create({"service.name": "bench-bot"}))
    provider.add_span_processor(SimpleSpanProcessor(Keep()))
    tracer = provider.get_tracer("bench")
    rng = np.random.default_rng(3)
    start_ns = time.time_ns() - 3600 * 10**9
    for index in range(count):
        model, version, prompt = MODELS[index % len(MODELS)]
        at = start_ns + index * 1_000_000
        span = tracer.start_span("chat", start_time=at)
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": int(rng.integers(100, 2000)),
                "gen_ai.usage.output_tokens": int(rng.integers(20, 400)),
                "assay.model_version": version,
                "assay.prompt_hash": prompt,
                "gen_ai.conversation.id": f"c{index // 4}",
            }
        )
        span.end(end_time=at + int(rng.integers(100, 3000)) * 1_000_000)
    provider.shutdown()
    return kept


def intake(url: str, spans: int) -> dict[str, Any]:
    """Spans per second through the real exporter into a real server."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    from assay.store import open_store
    from assay.store.config import DatabaseChoice
    from assay.store.tokens import Role, create_token

    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        store = open_store(DatabaseChoice(url, "bench"))
        _, token = create_token(store, name="bench", role=Role.auditee)
        store.close()
        process, base = _serve(url, home)
        try:
            finished = _finished_spans(spans)  # made before the clock starts
            exporter = OTLPSpanExporter(
                endpoint=f"{base}/v1/traces",
                headers={"authorization": f"Bearer {token}"},
                timeout=60,
            )
            batches = [finished[i : i + 512] for i in range(0, len(finished), 512)]
            began = time.perf_counter()
            for batch in batches:
                assert exporter.export(batch) == SpanExportResult.SUCCESS
            elapsed = time.perf_counter() - began
            exporter.shutdown()  # type: ignore[no-untyped-call]
            peak = _peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(30)
    requests = [encode_spans(batch).SerializeToString() for batch in batches]
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    decode_began = time.perf_counter()
    for body in requests:
        ExportTraceServiceRequest().ParseFromString(body)
    decode = time.perf_counter() - decode_began
    return {
        "spans": spans,
        "seconds": elapsed,
        "per_second": spans / elapsed,
        "server_peak_mb": peak,
        "decode_per_second": spans / decode if decode else float("inf"),
    }


def _load(url: str, total: int) -> None:
    """``total`` responses over the day before END, a judgement and a vote for one in ten."""
    from assay.store import open_store
    from assay.store.config import DatabaseChoice
    from assay.store.events import row_of

    rng = np.random.default_rng(5)
    start = END.timestamp() - 86_400
    times = np.sort(rng.uniform(start, END.timestamp() - 60, total))
    tokens_in = rng.integers(100, 2000, total)
    tokens_out = rng.integers(20, 400, total)
    durations = rng.uniform(100, 3000, total).round(3)
    store = open_store(DatabaseChoice(url, "bench"))
    try:
        rows = []
        for index in range(total):
            model, version, prompt = MODELS[index % len(MODELS)]
            stamp = datetime.fromtimestamp(float(times[index]), UTC)
            rows.append(
                row_of(
                    {
                        "type": "llm_response",
                        "id": f"s{index}",
                        "source": "bench",
                        "time": stamp.isoformat().replace("+00:00", "Z"),
                        "response_id": f"r{index}",
                        "service": "bench-bot",
                        "model": model,
                        "version": version,
                        "prompt_hash": prompt,
                        "conversation": f"c{index // 4}",
                        "input_tokens": int(tokens_in[index]),
                        "output_tokens": int(tokens_out[index]),
                        "duration_ms": float(durations[index]),
                        "retrieval_ids": [],
                        "finish_reasons": [],
                    }
                )
            )
            if index % 10 == 0:
                later = (stamp + timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
                rows.append(
                    row_of(
                        {
                            "type": "evaluation",
                            "id": f"e{index}",
                            "source": "bench",
                            "time": later,
                            "response_id": f"r{index}",
                            "evaluation": "faithfulness",
                            "label": "unfaithful" if index % 70 == 0 else "faithful",
                        }
                    )
                )
                rows.append(
                    row_of(
                        {
                            "type": "feedback",
                            "id": f"v{index}",
                            "source": "bench",
                            "time": later,
                            "response_id": f"r{index}",
                            "vote": "down" if index % 30 == 0 else "up",
                        }
                    )
                )
            if len(rows) >= 50_000:
                store.events.insert(rows)
                rows = []
        store.events.insert(rows)
    finally:
        store.close()


_ASSAY = """
import json, sys, time
from datetime import datetime, timedelta, timezone
from assay.catalog.metrics import load_prices
from assay.metrics.windows import Window
from assay.services.llm_metrics import llm_report
from assay.store import open_store
from assay.store.config import DatabaseChoice
end = datetime(2026, 11, 30, tzinfo=timezone.utc)
store = open_store(DatabaseChoice(sys.argv[1], "bench"))
prices = load_prices()
began = time.perf_counter()
report = llm_report(store, Window(end - timedelta(days=1), end), prices,
                    group_by=("model", "version", "prompt_hash"))
elapsed = time.perf_counter() - began
print(json.dumps({"seconds": elapsed, "groups": [
    {"key": [g["model"], g["version"], g["prompt_hash"]], "responses": g["responses"],
     "p50": g["latency_ms"]["p50"], "p95": g["latency_ms"]["p95"],
     "cost": g["cost"]["per_response"]} for g in report["groups"]]}))
"""

_PANDAS = """
import json, sys, time
import pandas as pd
from sqlalchemy import create_engine
from assay.catalog.metrics import load_prices
prices = load_prices()
engine = create_engine(sys.argv[1])
began = time.perf_counter()
end = 1795996800.0  # 2026-11-30T00:00:00Z: the day before it, as assay is asked
query = (f"SELECT body FROM events WHERE type = 'llm_response' "
         f"AND time >= {end - 86400} AND time < {end}")
bodies = pd.read_sql(query, engine)["body"]
frame = pd.json_normalize([json.loads(b) for b in bodies])
price_in = frame["model"].map(lambda m: p.input if (p := prices.price_of(m)) else float("nan"))
price_out = frame["model"].map(lambda m: p.output if (p := prices.price_of(m)) else float("nan"))
frame["cost"] = (frame["input_tokens"] * price_in + frame["output_tokens"] * price_out) / 1e6
grouped = frame.groupby(["model", "version", "prompt_hash"])
table = grouped.agg(responses=("response_id", "size"), cost=("cost", "mean"),
                    p50=("duration_ms", "median"),
                    p95=("duration_ms", lambda s: s.quantile(0.95)))
elapsed = time.perf_counter() - began
print(json.dumps({"seconds": elapsed, "groups": [
    {"key": list(key), "responses": int(row.responses), "p50": row.p50, "p95": row.p95,
     "cost": None if pd.isna(row.cost) else row.cost} for key, row in table.iterrows()]}))
"""


def _timed(code: str, url: str) -> tuple[dict[str, Any], float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of the children is the largest of them so far: run the smaller one first.
    return json.loads(done.stdout), max(before, after) / 1024


def compute(url: str, total: int) -> dict[str, Any]:
    """Every LLM figure over ``total`` responses, by assay and by pandas."""
    _load(url, total)
    ours, ours_peak = _timed(_ASSAY, url)
    peer, peer_peak = _timed(_PANDAS, url)
    theirs = {tuple(g["key"]): g for g in peer["groups"]}
    for group in ours["groups"]:
        other = theirs[tuple(group["key"])]
        assert group["responses"] == other["responses"], (group, other)
        for key in ("p50", "p95", "cost"):
            if group[key] is None:
                assert other[key] is None, (group, other)
            else:
                assert abs(group[key] - other[key]) <= 1e-9 * max(1.0, abs(other[key])), (
                    key,
                    group,
                    other,
                )
    return {
        "events": total,
        "assay_seconds": ours["seconds"],
        "assay_peak_mb": ours_peak,
        "pandas_seconds": peer["seconds"],
        "pandas_peak_mb": peer_peak,
        "groups": len(ours["groups"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", help="a PostgreSQL URL (a fresh schema is not made: use an empty database)"
    )
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = options.postgres or f"sqlite:///{Path(scratch) / 'bench.db'}"
        backend = "PostgreSQL" if options.postgres else "SQLite"
        flow = intake(url, options.spans)
        figures = compute(url, options.events)
    lines = [
        "# LLM telemetry: OTLP intake and the LLM figures",
        "",
        f"Run on {datetime.now(UTC).date()}, {backend}, `python benchmarks/bench_otlp.py "
        f"--spans {options.spans} --events {options.events}`.",
        "",
        "| intake | spans | seconds | spans/s | server peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
        f"| OTel SDK exporter → assay serve /v1/traces | {flow['spans']:,} | "
        f"{flow['seconds']:.1f} | {flow['per_second']:,.0f} | {flow['server_peak_mb']:.0f} |",
        f"| floor: decoding the same requests only | {flow['spans']:,} | | "
        f"{flow['decode_per_second']:,.0f} | |",
        "",
        "| compute, every LLM figure per model version and prompt | events | seconds "
        "| peak RSS (MB) |",
        "|---|---:|---:|---:|",
        f"| assay (`assay metrics llm`'s service) | {figures['events']:,} | "
        f"{figures['assay_seconds']:.1f} | {figures['assay_peak_mb']:.0f} |",
        f"| pandas read_sql + json_normalize + groupby (4 figures) | {figures['events']:,} | "
        f"{figures['pandas_seconds']:.1f} | {figures['pandas_peak_mb']:.0f} |",
        "",
        f"assay / pandas time: {figures['assay_seconds'] / figures['pandas_seconds']:.2f}; "
        f"the {figures['groups']} groups' counts, p50, p95 and cost per response agree.",
    ]
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
