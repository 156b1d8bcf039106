"""Evidence pushed through the Audit API: series, refusals of whole batches. On SQLite and the CI
PostgreSQL, through the real application in process."""

from __future__ import annotations

from tests.helpers.server import Api, ledger_count, prepared, push


def test_a_value_pushed_once_is_kept_until_its_requirement_frequency(api: Api) -> None:
    prepared(api)
    push(api, 0.9)
    only_accuracy = {
        "spec": "quality",
        "target": "model@1",
        "values": [{"measurement": "accuracy", "value": 0.95}],
    }
    answer = api.call("auditee", "POST", "/api/v1/evidence", json=only_accuracy).json()
    assert answer["verdict"] == "pass", "the latency pushed before still counts"
    run = api.call("auditee", "GET", f"/api/v1/runs/{answer['run_id']}").json()
    (latency,) = [
        m
        for m in run["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
        if m["id"] == "latency"
    ]
    assert (latency["value"], latency["source"]) == (50, "pushed")


def test_bad_evidence_is_refused_whole_and_stores_nothing(api: Api) -> None:
    prepared(api)
    before = ledger_count(api)
    cases = [
        ({"measurement": "nope", "value": 1}, "invalid_evidence", "not a measurement"),
        ({"measurement": "accuracy", "value": "high"}, "invalid_evidence", "values[0].value"),
        ({"measurement": "accuracy"}, None, None),
    ]
    for value, code, words in cases:
        body = {"spec": "quality", "target": "model@1", "values": [value]}
        answer = api.call("auditee", "POST", "/api/v1/evidence", json=body)
        assert answer.status_code == 422, answer.text
        if code:
            assert answer.json()["error"]["code"] == code
            assert words in answer.json()["error"]["message"]
    unknown = {"spec": "nothing", "target": "model@1", "values": [{"measurement": "a", "value": 1}]}
    answer = api.call("auditee", "POST", "/api/v1/evidence", json=unknown)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "unknown_spec")
    malformed = api.client.post(
        "/api/v1/evidence",
        content=b'{"spec": "quality", "target": ',
        headers={**api.headers("auditee"), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "invalid_request"
    assert api.call("auditee", "POST", "/api/v1/evidence", json=[]).status_code == 422
    assert ledger_count(api) == before


def test_a_batch_of_bad_values_is_summed_up(api: Api) -> None:
    prepared(api)
    values = [{"measurement": "accuracy", "value": f"v{i}"} for i in range(1500)]
    body = {"spec": "quality", "target": "model@1", "values": values}
    error = api.call("auditee", "POST", "/api/v1/evidence", json=body).json()["error"]
    assert error["message"].endswith("; and 1480 more")
    assert error["message"].count("values[") == 20
    assert len(error["problems"]) == 1000


def test_superseded_values_are_chained_with_their_run(api: Api) -> None:
    prepared(api)
    values = [{"measurement": "accuracy", "value": 0.9 + i / 1000} for i in range(5)]
    values.append({"measurement": "latency", "value": 40})
    body = {"spec": "quality", "target": "model@1", "values": values}
    answer = api.call("auditee", "POST", "/api/v1/evidence", json=body).json()
    first, last = answer["ledger"]["first"], answer["ledger"]["last"]
    page = api.call(
        "auditor", "GET", "/api/v1/ledger", params={"since": first, "limit": last - first + 1}
    ).json()
    kinds = [entry["kind"] for entry in page["entries"]]
    assert kinds[-1] == "audit.measurement_batch", kinds
    assert "audit.run" in kinds
    batch = page["entries"][-1]["payload"]
    assert batch["run_id"] == answer["run_id"]
    assert [item["value"] for item in batch["values"]] == [0.9, 0.901, 0.902, 0.903]
    assert page["head"]["seq"] == last, "the run's range ends at the batch: nothing after it"
