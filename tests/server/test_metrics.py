"""/metrics and the Grafana dashboard over it. On SQLite and the CI PostgreSQL, through the real
application in process."""

from __future__ import annotations

import json
import re

from prometheus_client.parser import text_string_to_metric_families

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


def test_the_grafana_dashboard_reads_only_metrics_the_server_exports(api: Api) -> None:
    prepared(api)
    push(api, 0.9)
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
