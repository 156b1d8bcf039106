"""The server's side of the LLM metrics and alerts: canonical events over HTTP (scoped tokens
stamp their scope), the LLM and alert gauges of /metrics, the dashboard pages, and a real
``assay serve --slos`` that evaluates its SLOs by itself and calls the webhook."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from assay.catalog.metrics import load_prices
from assay.metrics.slo import SloFile
from assay.services.alerts import evaluate_alerts
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.alerting import webhook_receiver
from tests.helpers.server import Api, make_tokens, serve_process


def _lines(events: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def _post_lines(api: Api, who: str, text: str) -> Any:
    headers = {**api.headers(who), "content-type": "application/x-ndjson"}
    return api.client.post("/api/v1/events/import", content=text, headers=headers)


def _recent(minutes: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


RESPONSES = [
    {
        "type": "llm_response",
        "id": f"s{n}",
        "time": _recent(10 + n),
        "response_id": f"r{n}",
        "service": "service/myservice",
        "model": "gpt-4o",
        "version": "7",
        "prompt_hash": "p1",
        "input_tokens": 1000,
        "output_tokens": 100,
        "duration_ms": 100.0 * (n + 1),
    }
    for n in range(4)
]
JUDGEMENTS = [
    {"response_id": "r0", "evaluation": "faithfulness", "label": "unfaithful", "evaluator": "j"},
    {"response_id": "r1", "evaluation": "faithfulness", "label": "faithful", "evaluator": "j"},
    {"type": "feedback", "id": "v1", "time": _recent(1), "response_id": "r0", "vote": "down"},
]


def test_events_over_http_feed_the_llm_gauges(api: Api) -> None:
    answer = _post_lines(api, "auditee", _lines(RESPONSES + JUDGEMENTS))
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == 7
    families = {
        f.name: f for f in text_string_to_metric_families(api.call(None, "GET", "/metrics").text)
    }
    labels = {
        "service": "service/myservice",
        "model": "gpt-4o",
        "version": "7",
        "prompt_hash": "p1",
    }
    [hallucination] = families["assay_llm_hallucination_rate"].samples
    assert (hallucination.labels, hallucination.value) == (labels, 0.5)
    [cost] = families["assay_llm_cost_per_response"].samples
    assert cost.value == pytest.approx((1000 * 2.5 + 100 * 10) / 1e6)
    [p95] = families["assay_llm_latency_p95_ms"].samples
    assert p95.value == pytest.approx(385.0)  # 100..400 ms: 300 + 0.85 * 100
    [downvotes] = families["assay_llm_downvote_rate"].samples
    assert downvotes.value == 1.0


def test_bad_or_foreign_events_store_nothing(api: Api) -> None:
    bad = _lines([RESPONSES[0], {**RESPONSES[1], "output_tokens": "many"}])
    answer = _post_lines(api, "auditee", bad)
    assert answer.status_code == 422
    assert "line 2" in answer.json()["error"]["message"]
    foreign = _lines([{**RESPONSES[0], "service": "billing"}])
    answer = _post_lines(api, "scoped", foreign)
    assert answer.status_code == 403
    assert _post_lines(api, "auditor", foreign).status_code == 403
    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        assert store.events.counts() == {}
    finally:
        store.close()


def test_a_scoped_sender_judges_only_its_own_responses(api: Api) -> None:
    # The scoped token (scope other@1) sends a judgement naming no service: it is stamped with
    # its scope, so it cannot move the figures of service/myservice.
    api.call("auditee", "POST", "/api/v1/events/import", json=RESPONSES)
    verdict = [{"response_id": "r2", "evaluation": "safety", "label": "unsafe", "evaluator": "x"}]
    answer = api.call("scoped", "POST", "/api/v1/events/import", json=verdict)
    assert answer.status_code == 200, answer.text
    families = {
        f.name: f for f in text_string_to_metric_families(api.call(None, "GET", "/metrics").text)
    }
    assert families["assay_llm_responses"].samples[0].value == 4
    listed = list(families["assay_llm_hallucination_rate"].samples)
    assert listed == []  # no faithfulness judgement reached the service


def test_alert_gauges_and_dashboard_pages(api: Api) -> None:
    votes = [
        {"type": "feedback", "id": f"v{n}", "time": _recent(n + 1), "vote": "down"}
        for n in range(12)
    ]
    api.call("auditee", "POST", "/api/v1/events/import", json=votes)
    slos = SloFile.model_validate(
        {
            "slos": [
                {"name": "votes", "indicator": "product.downvotes", "objective": 0.9, "class": "P3"}
            ]
        }
    )
    store = open_store(DatabaseChoice(api.url, "test"))
    try:
        outcome = evaluate_alerts(store, slos, now=datetime.now(UTC), prices=load_prices())
    finally:
        store.close()
    assert len(outcome["opened"]) == 1
    families = {
        f.name: f for f in text_string_to_metric_families(api.call(None, "GET", "/metrics").text)
    }
    [open_alert] = families["assay_alert_open"].samples
    assert open_alert.labels == {"rule": "votes", "class": "P3"}
    auditor = api.call("auditor", "GET", "/ui/alerts")
    assert auditor.status_code == 200
    assert "votes" in auditor.text
    assert api.call("auditor", "GET", "/ui/llm").status_code == 200
    assert api.call("auditee", "GET", "/ui/alerts").status_code == 403


def test_the_server_evaluates_its_slos_and_calls_the_webhook(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'assay.db'}"
    tokens = make_tokens(url)
    with webhook_receiver() as hook:
        slos = tmp_path / "slos.yaml"
        slos.write_text(
            yaml.safe_dump(
                {
                    "slos": [
                        {
                            "name": "votes",
                            "indicator": "product.downvotes",
                            "objective": 0.9,
                            "class": "P2",
                            "burn_rates": [{"long": "30m", "short": "5m", "factor": 2}],
                            "min_events": 5,
                        }
                    ],
                    "actions": [{"name": "hook", "type": "webhook", "url": hook.url}],
                    "routes": {"P2": ["hook"]},
                }
            )
        )
        with serve_process(url, "--slos", str(slos), "--alert-interval", "1", home=tmp_path) as (
            _,
            base,
        ):
            import httpx

            votes = [
                {"type": "feedback", "id": f"v{n}", "time": _recent(n + 1), "vote": "down"}
                for n in range(8)
            ]
            headers = {"authorization": f"Bearer {tokens['auditee']}"}
            answer = httpx.post(f"{base}/api/v1/events/import", json=votes, headers=headers)
            assert answer.status_code == 200, answer.text
            deadline = time.monotonic() + 30
            while not hook.received and time.monotonic() < deadline:
                time.sleep(0.2)
        [payload] = hook.payloads()
        assert (payload["rule"], payload["class"], payload["phase"]) == ("votes", "P2", "open")
