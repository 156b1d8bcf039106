"""Where an alert goes: a signed webhook, an Alertmanager (``POST /api/v2/alerts``) or a
command the administrator configured. Each call either returns what happened or raises
:class:`ChannelFailed` (retryable unless said otherwise)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "SIGNATURE_HEADER",
    "ChannelFailed",
    "post_alertmanager",
    "post_webhook",
    "run_command",
    "signature",
]

SIGNATURE_HEADER = "X-Assay-Signature-256"
_SHOWN = 300  # characters of a peer's answer kept in a result


class ChannelFailed(Exception):
    """A channel did not take the alert; ``retryable`` when trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def signature(secret: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``body`` under ``secret`` (as GitHub signs)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> dict[str, Any]:
    import httpx  # loaded on first use: its import is a tenth of every command's start

    try:
        answer = httpx.post(url, content=body, headers=dict(headers), timeout=timeout)
    except httpx.HTTPError as error:
        raise ChannelFailed(f"{url} cannot be reached: {type(error).__name__}: {error}") from None
    if answer.status_code >= 300:
        raise ChannelFailed(
            f"{url} answered {answer.status_code}: {answer.text[:_SHOWN]}",
            retryable=answer.status_code >= 500 or answer.status_code == 429,
        )
    return {"status": answer.status_code}


def post_webhook(
    url: str, payload: Mapping[str, Any], *, secret: str | None, timeout: float
) -> dict[str, Any]:
    """POST the alert as JSON; signed in :data:`SIGNATURE_HEADER` when there is a secret."""
    body = json.dumps(payload, sort_keys=True).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    return {**_post(url, body, headers, timeout), "signed": bool(secret)}


def post_alertmanager(
    url: str,
    *,
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    starts: datetime,
    ends: datetime | None,
    timeout: float,
) -> dict[str, Any]:
    """Send one alert to an Alertmanager's v2 API; with ``ends``, the alert is resolved."""
    alert: dict[str, Any] = {
        "labels": dict(labels),
        "annotations": dict(annotations),
        "startsAt": starts.astimezone(UTC).isoformat(),
    }
    if ends is not None:
        alert["endsAt"] = ends.astimezone(UTC).isoformat()
    body = json.dumps([alert]).encode()
    endpoint = url.rstrip("/") + "/api/v2/alerts"
    return _post(endpoint, body, {"Content-Type": "application/json"}, timeout)


def run_command(
    argv: Sequence[str], payload: Mapping[str, Any], *, timeout: float
) -> dict[str, Any]:
    """Run ``argv`` with the alert as JSON on its standard input; exit status 0 is success."""
    try:
        done = subprocess.run(
            list(argv),
            input=json.dumps(payload, sort_keys=True),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise ChannelFailed(f"{argv[0]} is not found", retryable=False) from None
    except subprocess.TimeoutExpired:
        raise ChannelFailed(f"{argv[0]} did not finish within {timeout:g} s") from None
    if done.returncode != 0:
        raise ChannelFailed(
            f"{argv[0]} exited with {done.returncode}: {done.stderr.strip()[-_SHOWN:]}"
        )
    return {"exit": 0, "output": done.stdout.strip()[-_SHOWN:]}
