"""Tokens through the Audit API. On SQLite and the CI PostgreSQL, through the real application in
process."""

from __future__ import annotations

from tests.helpers.server import Api


def test_tokens_through_the_api(api: Api) -> None:
    made = api.call("admin", "POST", "/api/v1/tokens", json={"name": "ci", "role": "auditee"})
    assert made.status_code == 201
    secret = made.json()["token"]
    listed = api.call("admin", "GET", "/api/v1/tokens").json()
    assert all("token" not in token and "secret_hash" not in token for token in listed)
    assert (
        api.client.get("/api/v1/runs", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    assert api.call("admin", "DELETE", f"/api/v1/tokens/{made.json()['id']}").status_code == 200
    assert (
        api.client.get("/api/v1/runs", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
    bad_role = api.call("admin", "POST", "/api/v1/tokens", json={"name": "x", "role": "king"})
    assert bad_role.status_code == 422
