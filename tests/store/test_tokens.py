"""``assay token``: tokens stored hashed, shown once, checked in constant time, revocable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.store import open_store
from assay.store.config import DatabaseChoice
from assay.store.tokens import Role, find_token
from tests.helpers.running import run_cli


def test_token_life_cycle(
    capsys: pytest.CaptureFixture[str], assay_home: Path, database_url: str
) -> None:
    db = ("--db", database_url)
    created = run_cli(
        capsys,
        "token",
        "create",
        "--role",
        "auditor",
        "--name",
        "ACME audit",
        "--internal",
        "--scope",
        "credit-model",
        *db,
    )
    assert created.exit_code == 0, created
    text = created.stdout.strip()
    assert text.startswith("assay_")
    assert "shown only now" in created.stderr
    listed = json.loads(run_cli(capsys, "token", "list", *db, "-f", "json").stdout)
    assert [(t["name"], t["role"], t["scope"], t["internal"], t["revoked"]) for t in listed] == [
        ("ACME audit", "auditor", "credit-model", True, None)
    ]
    token_id = listed[0]["id"]
    secret = text.split("_", 2)[2]
    table = run_cli(capsys, "token", "list", *db).stdout
    assert secret not in table
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        found = find_token(store, text)
        assert found is not None
        assert (found.id, found.role, found.internal) == (token_id, Role.auditor, True)
        assert find_token(store, text[:-1] + ("A" if text[-1] != "A" else "B")) is None
        assert find_token(store, f"assay_0000000000000000_{secret}") is None
        assert find_token(store, "Bearer nonsense") is None
        exported = "\n".join(json.dumps(e.payload) for e in store.ledger.entries())
        assert secret not in exported
        assert "secret_hash" not in exported
    finally:
        store.close()
    revoked = run_cli(capsys, "token", "revoke", token_id, *db)
    assert revoked.exit_code == 0, revoked
    again = run_cli(capsys, "token", "revoke", token_id, *db)
    assert again.exit_code == 2
    assert f"token {token_id} was revoked at" in again.stderr
    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        assert find_token(store, text) is None, "a revoked token stops working"
        events = [(e.payload or {}).get("event") for e in store.ledger.entries(kind="api.token")]
        assert events == ["created", "revoked"]
        assert store.ledger.verify().ok
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--role", "superuser", "--name", "x"], "'superuser' is not one of"),
        (["create", "--role", "auditee", "--name", " "], "the token name is empty"),
        (["create", "--role", "auditee", "--name", "ci\x1b[31m"], "control characters"),
        (["create", "--role", "auditee", "--name", "two\nlines"], "control characters"),
        (["create", "--role", "auditee", "--name", "x" * 201], "at most 200 characters"),
        (["create", "--role", "auditee", "--name", "x", "--internal"], "only auditor tokens"),
        (["revoke", "0123456789abcdef"], "no token '0123456789abcdef'"),
    ],
)
def test_bad_token_commands(
    capsys: pytest.CaptureFixture[str], assay_home: Path, args: list[str], message: str
) -> None:
    result = run_cli(capsys, "token", *args)
    assert result.exit_code == 2, result
    assert message in result.stderr, result.stderr
    if (assay_home / "assay.db").exists():
        listed = json.loads(run_cli(capsys, "token", "list", "-f", "json").stdout)
        assert listed == [], "nothing stored"
