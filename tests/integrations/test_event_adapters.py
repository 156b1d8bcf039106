"""Each adapter against payloads shaped as its provider documents them: the canonical events
they become (validated by the canonical parser), and the signatures each provider specifies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from assay.integrations.cdevents import cloudevent_from_binary, map_cdevent
from assay.integrations.github import github_events, github_signature_valid
from assay.integrations.gitlab import gitlab_events, gitlab_time, gitlab_token_valid
from assay.integrations.mlflow_events import mlflow_event
from assay.metrics.events import parse_event
from tests.helpers import payloads as p

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def canonical(raw: dict[str, Any]) -> dict[str, Any]:
    return parse_event(raw, now=NOW)


def test_cdevents_service_deployed_in_structured_and_binary_mode() -> None:
    structured = canonical(map_cdevent(p.structured(p.SERVICE_DEPLOYED)))
    headers = {
        "ce-specversion": "1.0",
        "ce-id": p.SERVICE_DEPLOYED["context"]["id"],
        "ce-source": "/event/source/123",
        "ce-type": "dev.cdevents.service.deployed.0.2.0",
    }
    binary = canonical(map_cdevent(cloudevent_from_binary(headers, p.SERVICE_DEPLOYED)))
    assert structured == binary
    assert structured["type"] == "deployment"
    assert structured["service"] == "service/myservice"
    assert structured["environment"] == "production"
    assert structured["outcome"] == "success"
    assert structured["source"] == "cdevents:/event/source/123"
    assert structured["changes"] == [{"id": p.SHA, "time": "2026-11-20T10:27:05Z"}]
    assert structured["artifact"].startswith("pkg:oci/myapp@")


def test_cdevents_incidents_rollbacks_pipelines_changes_tickets() -> None:
    detected = canonical(map_cdevent(p.structured(p.INCIDENT_DETECTED)))
    assert (
        detected["type"],
        detected["incident"],
        detected["service"],
        detected["reported_by"],
    ) == ("incident", "incident-123", "service/myservice", "detector")
    assert detected["deployment"] == p.SERVICE_DEPLOYED["context"]["id"]
    resolved = canonical(map_cdevent(p.structured(p.INCIDENT_RESOLVED)))
    assert (resolved["type"], resolved["incident"]) == ("incident_resolved", "incident-123")
    rollback = map_cdevent(p.structured(p.SERVICE_ROLLEDBACK))
    # The deployment it undoes is found in the store by the service layer.
    assert rollback["type"] == "rollback"
    assert "deployment" not in rollback
    pipeline = canonical(map_cdevent(p.structured(p.PIPELINE_FINISHED)))
    assert (pipeline["type"], pipeline["pipeline"], pipeline["outcome"]) == (
        "pipeline_run",
        "myPipeline",
        "failure",
    )
    change = canonical(map_cdevent(p.structured(p.CHANGE_MERGED)))
    assert (change["type"], change["id"]) == ("change", p.SHA)
    ticket = canonical(map_cdevent(p.structured(p.TICKET_CLOSED)))
    assert (ticket["type"], ticket["original"]) == ("unmapped", "ticket.closed")
    incident_ticket = p.cdevent(
        "dev.cdevents.ticket.closed.0.1.0",
        {"id": "t-9", "type": "ticket", "content": {"ticketType": "incident"}},
        id="tc-9",
    )
    assert canonical(map_cdevent(p.structured(incident_ticket)))["type"] == "incident_resolved"
    branch = canonical(map_cdevent(p.structured(p.BRANCH_CREATED)))
    assert (branch["type"], branch["original"]) == ("unmapped", "dev.cdevents.branch.created.0.1.2")


def test_github_signature_with_githubs_documented_example() -> None:
    # The example of GitHub's "Validating webhook deliveries" page.
    secret, body = "It's a Secret to Everybody", b"Hello, World!"
    documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert github_signature_valid(secret, body, documented)
    assert not github_signature_valid(secret, body + b" ", documented)
    assert not github_signature_valid(secret, body, None)
    assert not github_signature_valid(secret, body, documented.replace("sha256=", "sha1="))


def test_github_deliveries() -> None:
    [deployed], _ = github_events("deployment_status", p.GITHUB_DEPLOYMENT_STATUS, delivery="1")
    deployed = canonical(deployed)
    assert (
        deployed["type"],
        deployed["service"],
        deployed["environment"],
        deployed["outcome"],
    ) == ("deployment", "Hello-World", "production", "success")
    assert deployed["changes"] == [{"id": p.SHA}]
    failed = {
        **p.GITHUB_DEPLOYMENT_STATUS,
        "deployment_status": {**p.GITHUB_DEPLOYMENT_STATUS["deployment_status"], "state": "error"},
    }
    assert (
        canonical(github_events("deployment_status", failed, delivery="2")[0][0])["outcome"]
        == "failure"
    )
    pending = {
        **p.GITHUB_DEPLOYMENT_STATUS,
        "deployment_status": {
            **p.GITHUB_DEPLOYMENT_STATUS["deployment_status"],
            "state": "pending",
        },
    }
    assert github_events("deployment_status", pending, delivery="3") == (
        [],
        "deployment state 'pending' is not a finished deployment",
    )
    [push], _ = github_events("push", p.GITHUB_PUSH, delivery="4", service="shop")
    push = canonical(push)
    assert push["service"] == "shop"
    assert push["head"] == p.SHA
    assert push["commits"][0] == {"id": "a" * 40, "time": "2026-11-20T10:00:00Z"}
    [merged], _ = github_events("pull_request", p.GITHUB_PULL_REQUEST_MERGED, delivery="5")
    assert canonical(merged)["type"] == "change"
    opened = {**p.GITHUB_PULL_REQUEST_MERGED, "action": "opened"}
    assert github_events("pull_request", opened, delivery="6")[0] == []
    [issue], _ = github_events("issues", p.GITHUB_ISSUE_OPENED, delivery="7")
    issue = canonical(issue)
    assert (issue["type"], issue["incident"], issue["reported_by"]) == (
        "incident",
        "Codertocat/Hello-World#7",
        "person",
    )
    unlabelled = {
        **p.GITHUB_ISSUE_OPENED,
        "issue": {**p.GITHUB_ISSUE_OPENED["issue"], "labels": []},
    }
    assert github_events("issues", unlabelled, delivery="8")[0] == []
    [star], _ = github_events("star", {"repository": p.GITHUB_PUSH["repository"]}, delivery="9")
    assert (star["type"], star["original"], star["id"]) == ("unmapped", "github:star", "delivery-9")


def test_gitlab_token_times_and_deliveries() -> None:
    assert gitlab_token_valid("s3cret", "s3cret")
    assert not gitlab_token_valid("s3cret", "s3cret ")
    assert not gitlab_token_valid("s3cret", None)
    assert gitlab_time("2026-11-20 21:50:00 +0200") == "2026-11-20T19:50:00+00:00"
    assert gitlab_time("2013-12-03 17:23:34 UTC") == "2013-12-03T17:23:34+00:00"
    assert gitlab_time("2013-12-03T17:23:34Z") == "2013-12-03T17:23:34+00:00"
    assert gitlab_time("yesterday") is None
    [deployed], _ = gitlab_events(p.GITLAB_DEPLOYMENT, delivery="u1")
    deployed = canonical(deployed)
    # The full sha comes from commit_url (GitLab sends only short_sha).
    assert deployed["changes"] == [{"id": p.SHA}]
    assert deployed["time"] == "2026-11-20T19:50:00Z"
    assert deployed["service"] == "test-deployment-webhooks"
    wrong = {**p.GITLAB_DEPLOYMENT, "short_sha": "deadbeef"}
    assert gitlab_events(wrong, delivery="u2")[0][0]["changes"] == []
    running = {**p.GITLAB_DEPLOYMENT, "status": "running"}
    assert gitlab_events(running, delivery="u3")[0] == []
    [merged], _ = gitlab_events(p.GITLAB_MERGE_REQUEST, delivery="u4")
    assert canonical(merged) | {} == {
        "id": p.SHA,
        "source": "gitlab:root/test-deployment-webhooks",
        "type": "change",
        "time": "2026-11-20T18:00:00Z",
        "service": "test-deployment-webhooks",
    }
    [incident], _ = gitlab_events(p.GITLAB_INCIDENT, delivery="u5")
    assert canonical(incident)["type"] == "incident"
    [other], _ = gitlab_events(
        {"object_kind": "wiki_page", "project": p.GITLAB_DEPLOYMENT["project"]}, delivery="u6"
    )
    assert (other["type"], other["original"]) == ("unmapped", "gitlab:wiki_page")


def test_mlflow_registry_events() -> None:
    created = mlflow_event(
        "model_version",
        "created",
        {
            "name": "fraud",
            "version": "3",
            "source": "runs:/r/model",
            "run_id": "r",
            "tags": {"assay.model_card": "true", "assay.data_newest": "2026-11-01T00:00:00Z"},
            "description": None,
        },
        delivery="d1",
        time="2026-11-20T10:00:00Z",
    )
    assert created is not None
    registered = canonical(created)
    assert (registered["type"], registered["model"], registered["version"], registered["run"]) == (
        "model_registered",
        "fraud",
        "3",
        "r",
    )
    assert registered["model_card"] is True
    assert registered["explanation"] is False
    alias = mlflow_event(
        "model_version_alias",
        "created",
        {"name": "fraud", "alias": "champion", "version": "3"},
        delivery="d2",
        time="2026-11-20T11:00:00Z",
    )
    assert alias is not None
    assert canonical(alias)["environment"] == "production"
    assert (
        mlflow_event(
            "registered_model",
            "created",
            {"name": "fraud"},
            delivery="d3",
            time="2026-11-20T11:00:00Z",
        )
        is None
    )
