"""Reports per audience, certificates, attestations, waivers and relative targets."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from assay.files.spec import load_spec
from assay.services import audit_actions
from assay.services.audit_runs import run_audit
from assay.store import Store, open_store
from assay.store.config import DatabaseChoice
from tests.helpers.running import run_cli

SECRET_VALUE = 0.8123456789
SECRET_COMMENT = "holdout built from the bank's private loan book"

SPEC = {
    "spec": 1,
    "id": "credit-model",
    "name": "Credit model quality",
    "target": "credit-model",
    "dimensions": [
        {
            "id": "performance",
            "name": "Performance",
            "requirements": [
                {
                    "id": "accuracy-floor",
                    "name": "Accuracy",
                    "frequency": "P1D",
                    "metrics": [
                        {
                            "id": "holdout",
                            "name": "Holdout",
                            "assessment_interface": "file:metrics.json",
                            "measurements": [
                                {
                                    "id": "accuracy",
                                    "name": "Accuracy",
                                    "comparison": "greater_or_equal",
                                    "target": 0.85,
                                    "select": "accuracy",
                                },
                                {
                                    "id": "auc",
                                    "name": "AUC",
                                    "comparison": "greater_or_equal",
                                    "target": 0.8,
                                    "select": "auc",
                                    "confidential": True,
                                    "comment": SECRET_COMMENT,
                                },
                            ],
                        }
                    ],
                },
                {"id": "risk-review", "name": "Risk evaluation documented"},
            ],
        }
    ],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    base = tmp_path / "project"
    base.mkdir()
    (base / "spec.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    set_metrics(base, accuracy=0.9)
    return base


def set_metrics(base: Path, **values: float) -> None:
    (base / "metrics.json").write_text(json.dumps({"auc": SECRET_VALUE} | values))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = open_store(DatabaseChoice(database_url, "test"))
    try:
        yield opened
    finally:
        opened.close()


def test_confidential_values_never_reach_auditor_or_public_reports(
    capsys: pytest.CaptureFixture[str], assay_home: Path, project: Path, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    spec = str(project / "spec.yaml")
    secrets = (str(SECRET_VALUE), SECRET_COMMENT)
    for audience in ("auditor", "public", "executive"):
        for fmt in ("table", "json", "markdown", "html"):
            out = tmp_path / f"{audience}.{fmt}"
            junit = tmp_path / f"{audience}-{fmt}.xml"
            args = ("-f", fmt, "--audience", audience, "-o", str(out), "--junit", str(junit))
            result = run_cli(capsys, "audit", "run", spec, "--db", db, *args)
            assert result.exit_code == 0, result
            for path in (out, junit):
                text = path.read_text(encoding="utf-8")
                for secret in secrets:
                    assert secret not in text, (audience, fmt, path.name, secret)
        auditor_json = json.loads((tmp_path / f"{audience}.json").read_text())
        if audience == "auditor":
            metric = auditor_json["dimensions"][0]["requirements"][0]["metrics"][0]
            auc = metric["measurements"][1]
            assert (auc["outcome"], auc["value"], auc["comment"]) == (
                "pass",
                "[confidential]",
                "[confidential]",
            )
            assert "ledger" in auditor_json
        else:
            assert set(auditor_json["dimensions"][0]) == {"id", "name", "outcome"}
    engineer = run_cli(capsys, "audit", "run", spec, "--db", db, "-f", "json")
    assert str(SECRET_VALUE) in engineer.stdout, "engineers see everything"
    html = (tmp_path / "auditor.html").read_text()
    assert not re.search(r"<script|<link|<img|src=|href=|url\(|@import", html), "self-contained"
    assert "sha256" in html, "auditors get provenance"
    executive = (tmp_path / "executive.markdown").read_text()
    assert "| Performance (performance) | error |" in executive  # risk-review is not attested yet


def test_certificate_life_cycle(
    capsys: pytest.CaptureFixture[str], assay_home: Path, project: Path, database_url: str
) -> None:
    spec = str(project / "spec.yaml")
    db = ("--db", database_url)

    def cli(*args: str) -> Any:
        return run_cli(capsys, "audit", *args, *db)

    refused = cli("certify", spec, "--target", "credit-model")
    assert refused.exit_code == 1
    assert "unknown to credit-model (no run yet); no certificate issued" in refused.stderr
    attested = cli(
        "attest",
        spec,
        "risk-review",
        "--by",
        "Dana",
        "--value",
        "pass",
        "--evidence",
        "https://wiki/risk-review",
        "--expires",
        "P90D",
    )
    assert attested.exit_code == 0, attested
    assert cli("run", spec).exit_code == 0
    issued = cli("certify", spec, "--target", "credit-model", "--valid-for", "P30D", "--by", "CB")
    assert issued.exit_code == 0, issued
    first = issued.stdout.split()[1].rstrip(":")

    set_metrics(project, accuracy=0.7)
    failing = cli("run", spec)
    assert f"suspended certificate {first}" in failing.stderr
    states = {
        c["certificate"]: c["state"] for c in json.loads(cli("certificates", "-f", "json").stdout)
    }
    assert states == {first: "suspended"}
    status = json.loads(cli("status", "-f", "json").stdout)
    assert [(s["status"], s["certificates"]) for s in status] == [
        ("non-conformant", {first: "suspended"})
    ]

    set_metrics(project, accuracy=0.9)
    assert cli("run", spec).exit_code == 0
    again = cli("certify", spec, "--target", "credit-model")
    assert again.exit_code == 0, again
    second = again.stdout.split()[1].rstrip(":")
    assert second != first
    revoked = cli("revoke", second, "--reason", "model withdrawn from service")
    assert revoked.exit_code == 0, revoked
    assert cli("revoke", second, "--reason", "twice").exit_code == 2
    assert cli("revoke", "cert-unknown", "--reason", "x").exit_code == 2
    listed = json.loads(cli("certificates", "-f", "json").stdout)
    assert {c["certificate"]: c["state"] for c in listed} == {first: "suspended", second: "revoked"}
    events = [e["event"] for c in listed for e in c["events"]]
    assert events == ["issued", "suspended", "issued", "revoked"]
    history = json.loads(run_cli(capsys, "audit", "history", spec, *db, "-f", "json").stdout)
    assert [run["verdict"] for run in history] == ["pass", "fail", "pass"]

    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        assert store.ledger.verify().ok
        changes = [
            (e.payload or {}).get("status") for e in store.ledger.entries(kind="audit.status")
        ]
        assert changes == ["conformant", "non-conformant", "conformant"]
    finally:
        store.close()


def outcomes_of(
    store: Store, project: Path, now: datetime, target: str | None = None
) -> dict[str, str]:
    record = run_audit(store, load_spec(project / "spec.yaml"), target, now=lambda: now)
    found = {element.id: element.outcome for element in record.model.elements()}
    found["verdict"] = record.model.verdict
    return found


def attest_review(
    store: Store, project: Path, *, expires: str, now: datetime, evidence: list[str] | None = None
) -> None:
    """Dana attests that the risk evaluation is documented."""
    audit_actions.attest(
        store,
        load_spec(project / "spec.yaml"),
        "risk-review",
        by="Dana",
        value="pass",
        evidence=evidence or [],
        expires=expires,
        target=None,
        now=now,
    )


def test_attestations_and_waivers_expire_by_themselves(project: Path, store: Store) -> None:
    t0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    loaded = load_spec(project / "spec.yaml")
    attest_review(store, project, expires="P30D", now=t0, evidence=["https://wiki/r"])
    assert outcomes_of(store, project, t0 + timedelta(days=1))["risk-review"] == "pass"
    stale = outcomes_of(store, project, t0 + timedelta(days=31))
    assert (stale["risk-review"], stale["verdict"]) == ("stale", "error")

    attest_review(store, project, expires="P365D", now=t0 + timedelta(days=31))
    set_metrics(project, accuracy=0.7)
    audit_actions.waive(
        store,
        loaded,
        "accuracy",
        by="Head of ML",
        justification="retraining in progress",
        expires="P14D",
        target="credit-model",
        now=t0 + timedelta(days=31),
    )
    waived = outcomes_of(store, project, t0 + timedelta(days=32))
    assert (waived["accuracy"], waived["verdict"]) == ("waived", "pass")
    other_target = outcomes_of(store, project, t0 + timedelta(days=32), target="credit-model@4")
    assert other_target["accuracy"] == "fail", "a waiver for one target does not cover another"
    expired = outcomes_of(store, project, t0 + timedelta(days=46))
    assert (expired["accuracy"], expired["verdict"]) == ("fail", "fail")


def test_status_expires_when_the_evidence_is_older_than_the_frequency(
    project: Path, store: Store
) -> None:
    t0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    attest_review(store, project, expires="P365D", now=t0)
    outcomes_of(store, project, t0)
    (row,) = audit_actions.current_statuses(store, t0 + timedelta(hours=23))
    assert row.status.value == "conformant"
    (row,) = audit_actions.current_statuses(store, t0 + timedelta(hours=25))
    assert row.status.value == "expired"
    assert "older than 1 day" in row.reason
    statuses = [(e.payload or {}).get("status") for e in store.ledger.entries(kind="audit.status")]
    assert statuses == ["conformant", "expired"]


def test_a_candidate_is_gated_against_its_baseline(project: Path, store: Store) -> None:
    relative = json.loads(json.dumps(SPEC))
    measurements = relative["dimensions"][0]["requirements"][0]["metrics"][0]["measurements"]
    measurements[0]["target"] = {"baseline": "champion", "max_drop": 0.01}
    relative["dimensions"][0]["requirements"].pop()  # no attestation needed here
    (project / "spec.yaml").write_text(yaml.safe_dump(relative, sort_keys=False))
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    no_baseline = outcomes_of(store, project, now, target="candidate")
    assert no_baseline["accuracy"] == "error"
    set_metrics(project, accuracy=0.90)
    assert outcomes_of(store, project, now, target="champion")["verdict"] == "pass"
    set_metrics(project, accuracy=0.895)
    assert outcomes_of(store, project, now, target="candidate")["accuracy"] == "pass"
    set_metrics(project, accuracy=0.88)
    assert outcomes_of(store, project, now, target="candidate")["accuracy"] == "fail"


def test_junit_groups_cases_by_requirement(
    capsys: pytest.CaptureFixture[str], assay_home: Path, project: Path, tmp_path: Path
) -> None:
    junit = tmp_path / "j.xml"
    db = f"sqlite:///{tmp_path / 'a.db'}"
    run_cli(capsys, "audit", "run", str(project / "spec.yaml"), "--db", db, "--junit", str(junit))
    suites = ElementTree.parse(junit).getroot()
    names = {suite.get("name"): [c.get("name") for c in suite.iter("testcase")] for suite in suites}
    assert names == {
        "performance.accuracy-floor": ["accuracy", "auc"],
        "performance.risk-review": ["risk-review"],
    }


def test_an_external_assessors_verdict_is_collected_and_stands(project: Path, store: Store) -> None:
    external = json.loads(json.dumps(SPEC))
    review = external["dimensions"][0]["requirements"][1]
    review |= {"assessor": "ACME Audit GmbH", "assessment_interface": "file:verdict.json#verdict"}
    (project / "spec.yaml").write_text(yaml.safe_dump(external, sort_keys=False))
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    (project / "verdict.json").write_text(json.dumps({"verdict": "pass", "auditor": "ACME"}))
    passed = outcomes_of(store, project, now)
    assert (passed["risk-review"], passed["verdict"]) == ("pass", "pass")
    (project / "verdict.json").write_text(json.dumps({"verdict": "fail"}))
    assert outcomes_of(store, project, now)["risk-review"] == "fail"
    record = run_audit(store, load_spec(project / "spec.yaml"), None, now=lambda: now)
    node = record.model.dimensions[0].requirements[1]
    assert (node.assessor, node.source) == ("ACME Audit GmbH", "file:verdict.json#verdict")
