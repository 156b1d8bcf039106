"""/metrics and the Grafana dashboard over it. On SQLite and the CI PostgreSQL, through the real
application in process."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import payloads
from tests.helpers.paths import REPO
from tests.helpers.server import Api, prepared, push

GRAFANA = REPO / "deploy" / "kubernetes" / "components" / "monitoring" / "assay-dashboard.json"


def test_prometheus_metrics_leave_confidential_values_out(api: Api) -> None:
    prepared(api)
    push(api, 0.9, 42)
    push(api, 0.7, 43)
    answer = api.call(None, "GET", "/metrics")
    assert answer.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    values = {s.labels["measurement"]: s.value for s in families["assay_measurement_value"].samples}
    assert values == {"accuracy": 0.7}, "latency is confidential"
    states = {
        s.labels["state"]: s.value
        for s in families["assay_conformity"].samples
        if s.labels["target"] == "model@1"
    }
    assert states["non-conformant"] == 1
    assert states["conformant"] == 0
    runs = {
        s.labels["verdict"]: s.value
        for s in families["assay_runs"].samples
        if s.name == "assay_runs_total"
    }
    assert runs == {"pass": 1, "fail": 1}
    ages = families["assay_evidence_age_seconds"].samples
    assert ages
    assert ages[0].value >= 0


def ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def deliveries(api: Api, *, resolved: bool = False) -> None:
    """A deployment of a service two hours ago and an incident it caused, as CDEvents (the
    gauges cover the last 28 days, whatever the date)."""
    deployed = payloads.cdevent(
        "dev.cdevents.service.deployed.0.2.0",
        payloads.SERVICE_DEPLOYED["subject"],
        id="dep-1",
        timestamp=ago(2),
        custom={"changes": [{"id": payloads.SHA, "time": ago(5)}]},
    )
    detected = payloads.cdevent(
        "dev.cdevents.incident.detected.0.1.0",
        payloads.INCIDENT_DETECTED["subject"],
        id="inc-1",
        timestamp=ago(1),
        custom={"deployment": "dep-1"},
    )
    events = [deployed, detected]
    if resolved:
        events.append(
            payloads.cdevent(
                "dev.cdevents.incident.resolved.0.1.0",
                payloads.INCIDENT_RESOLVED["subject"],
                id="inc-2",
                timestamp=ago(0.5),
            )
        )
    for event in events:
        answer = api.call("auditee", "POST", "/api/v1/events", json=payloads.structured(event))
        assert answer.status_code == 200, answer.text


def model_deployment(api: Api) -> None:
    """A model version registered and aliased champion (production), as MLflow sends them."""
    for entity, data in (
        ("model_version", {"name": "fraud", "version": "1", "tags": {}}),
        ("model_version_alias", {"name": "fraud", "alias": "champion", "version": "1"}),
    ):
        delivery = {"entity": entity, "action": "created", "timestamp": ago(3), "data": data}
        answer = api.call("auditee", "POST", "/api/v1/webhooks/mlflow", json=delivery)
        assert answer.status_code == 200, answer.text


def test_delivery_and_ml_gauges(api: Api) -> None:
    prepared(api)
    push(api, 0.9)
    deliveries(api)
    families = {
        f.name: f for f in text_string_to_metric_families(api.call(None, "GET", "/metrics").text)
    }
    [cfr] = families["assay_dora_change_failure_rate"].samples
    assert cfr.labels == {"service": "service/myservice", "environment": "production"}
    assert cfr.value == 1.0
    [per_week] = families["assay_dora_deployments_per_week"].samples
    assert per_week.value == 0.25  # one deployment in 28 days
    # The pushed run of model@1 passed: an audit event, but no deployment of the model.
    assert families["assay_ml_governance_coverage"].samples == []


def test_the_grafana_dashboard_reads_only_metrics_the_server_exports(api: Api) -> None:
    prepared(api)
    push(api, 0.9)
    deliveries(api, resolved=True)
    model_deployment(api)
    exported = {
        sample.name
        for family in text_string_to_metric_families(api.call(None, "GET", "/metrics").text)
        for sample in family.samples
    }
    dashboard = json.loads(GRAFANA.read_text(encoding="utf-8"))
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"assay_[a-z_]+", target["expr"])
    }
    assert used
    assert used <= exported, f"not exported: {used - exported}"
