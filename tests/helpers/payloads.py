"""Webhook and event payloads shaped as the providers document them (field names and values
from the public examples of CDEvents v0.4, GitHub's webhook reference and GitLab's webhook
events page), for the adapters' tests."""

from __future__ import annotations

from typing import Any

SHA = "279484c09fbe69ededfced8c1bb6e6d24616b468"
ARTIFACT = "pkg:oci/myapp@sha256%3A0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427"


def cdevent(
    kind: str,
    subject: dict[str, Any],
    *,
    id: str = "271069a8-fc18-44f1-b38f-9d70a1695819",
    timestamp: str = "2026-11-20T14:27:05.315384Z",
    custom: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A CDEvent v0.4 (the CloudEvent's data)."""
    event: dict[str, Any] = {
        "context": {
            "version": "0.4.1",
            "id": id,
            "source": "/event/source/123",
            "type": kind,
            "timestamp": timestamp,
        },
        "subject": subject,
    }
    if custom is not None:
        event["customData"] = custom
        event["customDataContentType"] = "application/json"
    return event


def structured(data: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvent (structured mode) carrying a CDEvent."""
    context = data["context"]
    return {
        "specversion": "1.0",
        "id": context["id"],
        "source": context["source"],
        "type": context["type"],
        "time": context["timestamp"],
        "datacontenttype": "application/json",
        "data": data,
    }


SERVICE_DEPLOYED = cdevent(
    "dev.cdevents.service.deployed.0.2.0",
    {
        "id": "service/myservice",
        "source": "/event/source/123",
        "type": "service",
        "content": {
            "environment": {"id": "production"},
            "artifactId": ARTIFACT,
        },
    },
    custom={"changes": [{"id": SHA, "time": "2026-11-20T10:27:05Z"}]},
)
SERVICE_ROLLEDBACK = cdevent(
    "dev.cdevents.service.rolledback.0.2.0",
    {
        "id": "service/myservice",
        "source": "/event/source/123",
        "type": "service",
        "content": {
            "environment": {"id": "production"},
            "artifactId": "pkg:oci/myapp@sha256%3Aold",
        },
    },
    id="rb-1",
    timestamp="2026-11-20T15:27:05Z",
)
INCIDENT_DETECTED = cdevent(
    "dev.cdevents.incident.detected.0.1.0",
    {
        "id": "incident-123",
        "source": "/monitoring/prod1",
        "type": "incident",
        "content": {
            "description": "Response time above 10ms",
            "environment": {"id": "production", "source": "/iaas/geo1"},
            "service": {"id": "service/myservice", "source": "/clusterA/namespaceB"},
            "artifactId": ARTIFACT,
        },
    },
    id="inc-det-1",
    timestamp="2026-11-20T14:57:05Z",
    custom={"deployment": "271069a8-fc18-44f1-b38f-9d70a1695819"},
)
INCIDENT_RESOLVED = cdevent(
    "dev.cdevents.incident.resolved.0.1.0",
    {
        "id": "incident-123",
        "source": "/monitoring/prod1",
        "type": "incident",
        "content": {
            "description": "Response time restored below 10ms",
            "environment": {"id": "production"},
            "service": {"id": "service/myservice"},
        },
    },
    id="inc-res-1",
    timestamp="2026-11-20T16:27:05Z",
)
PIPELINE_FINISHED = cdevent(
    "dev.cdevents.pipelinerun.finished.0.1.1",
    {
        "id": "mySubject123",
        "source": "/event/source/123",
        "type": "pipelineRun",
        "content": {
            "pipelineName": "myPipeline",
            "url": "https://www.example.com/mySubject123",
            "outcome": "failure",
            "errors": "Something went wrong",
        },
    },
    id="pr-1",
)
CHANGE_MERGED = cdevent(
    "dev.cdevents.change.merged.0.1.2",
    {
        "id": "mySubject123",
        "source": "/event/source/123",
        "type": "change",
        "content": {"repository": {"id": "TestRepo/TestOrg", "source": "https://example.org"}},
    },
    id="cm-1",
    custom={"commit": SHA},
)
TICKET_CLOSED = cdevent(
    "dev.cdevents.ticket.closed.0.1.0",
    {
        "id": "ticket-123",
        "source": "/ticketing/system",
        "type": "ticket",
        "content": {
            "summary": "New CVE-123 detected",
            "ticketType": "bug",
            "resolution": "completed",
            "uri": "https://example.com/ticket-123",
            "updatedBy": "Bob",
        },
    },
    id="tc-1",
)
BRANCH_CREATED = cdevent(
    "dev.cdevents.branch.created.0.1.2",
    {
        "id": "feature-x",
        "source": "/repo",
        "type": "branch",
        "content": {"repository": {"id": "r"}},
    },
    id="br-1",
)

DEPLOYMENTS = "https://api.github.com/repos/Codertocat/Hello-World/deployments"
GITHUB_DEPLOYMENT_STATUS: dict[str, Any] = {
    "action": "created",
    "deployment_status": {
        "url": f"{DEPLOYMENTS}/326191728/statuses/344314227",
        "id": 344314227,
        "node_id": "MDE2OkRlcGxveW1lbnRTdGF0dXMzNDQzMTQyMjc=",
        "state": "success",
        "description": "",
        "environment": "production",
        "target_url": "",
        "created_at": "2026-11-20T14:30:00Z",
        "updated_at": "2026-11-20T14:30:00Z",
    },
    "deployment": {
        "url": f"{DEPLOYMENTS}/326191728",
        "id": 326191728,
        "sha": SHA,
        "ref": "main",
        "task": "deploy",
        "environment": "production",
        "created_at": "2026-11-20T14:20:00Z",
        "updated_at": "2026-11-20T14:30:00Z",
    },
    "repository": {"id": 186853002, "name": "Hello-World", "full_name": "Codertocat/Hello-World"},
    "sender": {"login": "Codertocat", "id": 21031067},
}
GITHUB_PUSH: dict[str, Any] = {
    "ref": "refs/heads/main",
    "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    "after": SHA,
    "created": False,
    "deleted": False,
    "forced": False,
    "commits": [
        {
            "id": "a" * 40,
            "message": "Fix",
            "timestamp": "2026-11-20T11:00:00+01:00",
            "author": {"name": "Codertocat"},
        },
        {
            "id": SHA,
            "message": "Update README.md",
            "timestamp": "2026-11-20T12:00:00+01:00",
            "author": {"name": "Codertocat"},
        },
    ],
    "head_commit": {"id": SHA, "timestamp": "2026-11-20T12:00:00+01:00"},
    "repository": {"id": 186853002, "name": "Hello-World", "full_name": "Codertocat/Hello-World"},
}
GITHUB_PULL_REQUEST_MERGED: dict[str, Any] = {
    "action": "closed",
    "number": 2,
    "pull_request": {
        "id": 279147437,
        "number": 2,
        "state": "closed",
        "merged": True,
        "merged_at": "2026-11-20T12:05:00Z",
        "merge_commit_sha": "c4295bd74fb0f4d2b6a4b2d8f2b9b0a1b2c3d4e5",
        "head": {"sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821"},
    },
    "repository": {"id": 186853002, "name": "Hello-World", "full_name": "Codertocat/Hello-World"},
}
GITHUB_ISSUE_OPENED: dict[str, Any] = {
    "action": "opened",
    "issue": {
        "id": 444500041,
        "number": 7,
        "title": "Checkout fails",
        "state": "open",
        "labels": [{"id": 1362934389, "name": "incident", "color": "d73a4a"}],
        "created_at": "2026-11-20T15:00:00Z",
        "updated_at": "2026-11-20T15:00:00Z",
        "closed_at": None,
    },
    "repository": {"id": 186853002, "name": "Hello-World", "full_name": "Codertocat/Hello-World"},
}

GITLAB_DEPLOYMENT: dict[str, Any] = {
    "object_kind": "deployment",
    "status": "success",
    "status_changed_at": "2026-11-20 21:50:00 +0200",
    "deployment_id": 15,
    "deployable_id": 796,
    "deployable_url": "http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796",
    "environment": "production",
    "environment_tier": "production",
    "environment_slug": "production",
    "environment_external_url": "https://example.com",
    "project": {
        "id": 30,
        "name": "test-deployment-webhooks",
        "web_url": "http://10.126.0.2:3000/root/test-deployment-webhooks",
        "path_with_namespace": "root/test-deployment-webhooks",
    },
    "short_sha": "279484c0",
    "user": {"id": 1, "name": "Administrator", "username": "root"},
    "user_url": "http://10.126.0.2:3000/root",
    "commit_url": f"http://10.126.0.2:3000/root/test-deployment-webhooks/-/commit/{SHA}",
    "commit_title": "Add new file",
}
GITLAB_MERGE_REQUEST: dict[str, Any] = {
    "object_kind": "merge_request",
    "event_type": "merge_request",
    "project": GITLAB_DEPLOYMENT["project"],
    "object_attributes": {
        "id": 99,
        "iid": 1,
        "state": "merged",
        "action": "merge",
        "merge_commit_sha": SHA,
        "updated_at": "2026-11-20 18:00:00 UTC",
        "last_commit": {
            "id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
            "timestamp": "2026-11-20T17:00:00+00:00",
        },
    },
}
GITLAB_INCIDENT: dict[str, Any] = {
    "object_kind": "issue",
    "event_type": "issue",
    "project": GITLAB_DEPLOYMENT["project"],
    "object_attributes": {
        "id": 301,
        "iid": 23,
        "title": "Checkout fails",
        "issue_type": "incident",
        "action": "open",
        "state": "opened",
        "created_at": "2026-11-20 20:00:00 UTC",
        "updated_at": "2026-11-20 20:00:00 UTC",
    },
    "labels": [{"id": 206, "title": "API"}],
}
