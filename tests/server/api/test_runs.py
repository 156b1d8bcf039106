"""Runs and their reports per audience through the Audit API. On SQLite and the CI PostgreSQL,
through the real application in process."""

from __future__ import annotations

from typing import Any

from tests.helpers.server import Api, prepared, push


def test_reports_per_audience_and_redaction(api: Api) -> None:
    prepared(api)
    run_id = push(api, 0.9, 42)["run_id"]
    path = f"/api/v1/runs/{run_id}/report"

    def latency(report: Any) -> Any:
        measurements = report["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
        return next(m["value"] for m in measurements if m["id"] == "latency")

    assert latency(api.call("auditor", "GET", f"{path}?format=json").json()) == "[confidential]"
    internal = api.call("internal", "GET", f"{path}?format=json&audience=engineer").json()
    assert latency(internal) == 42
    refused = api.call("auditor", "GET", f"{path}?audience=engineer")
    assert refused.status_code == 403
    html = api.call("auditor", "GET", path)
    assert html.headers["content-type"].startswith("text/html")
    assert 'id="verdict"' in html.text
    assert ">42<" not in html.text
    markdown = api.call("auditee", "GET", f"{path}?format=markdown&audience=executive")
    assert markdown.text.startswith("#")
    assert api.call("auditee", "GET", f"{path}?format=pdf").status_code == 422
