"""The ledger's transparency through the Audit API, checked from the specifications and not by
assay's own verifier: the server's key (generated at first start, published, recorded in the
ledger, refused when others can read it), its signed checkpoint (C2SP signed note), inclusion
and consistency proofs (RFC 9162), and reports and certificates signed in a header (DSSE,
in-toto). On SQLite and the CI PostgreSQL, through the real application in process."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from assay.errors import InvalidInputError
from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.exports.test_dsse import independent_verify
from tests.helpers.reference import oscal_validator
from tests.helpers.running import run_cli
from tests.helpers.server import Api, prepared, push, running_api
from tests.store.test_merkle import rfc_mth, rfc_verify_consistency, rfc_verify_inclusion


def note_verifies(note: str, public_pem: bytes) -> bool:
    """c2sp.org/signed-note: the text before the blank line, signature lines '— name
    base64(keyid[4] || sig)', keyid = SHA-256(name || 0x0A || 0x01 || raw key)[:4]."""
    public = serialization.load_pem_public_key(public_pem)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text, _, lines = note.partition("\n\n")
    for line in lines.splitlines():
        name, encoded = line.removeprefix("\u2014 ").split(" ")
        blob = base64.b64decode(encoded)
        if blob[:4] != hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]:
            continue
        try:
            public.verify(blob[4:], (text + "\n").encode())  # type: ignore[call-arg, union-attr]
        except InvalidSignature:
            continue
        return True
    return False


def leaves(url: str) -> list[bytes]:
    store = open_store(DatabaseChoice(url, "test"))
    try:
        return [
            hashlib.sha256(b"\x00" + bytes.fromhex(e.hash)).digest() for e in store.ledger.entries()
        ]
    finally:
        store.close()


def test_checkpoint_and_proofs_check_from_the_specifications(api: Api) -> None:
    prepared(api)
    for accuracy in (0.7, 0.8, 0.9):
        push(api, accuracy)
    pem = api.call(None, "GET", "/.well-known/assay/signing-key.pub")
    assert pem.status_code == 200
    assert pem.text.startswith("-----BEGIN PUBLIC KEY-----")
    keys = api.call(None, "GET", "/.well-known/assay/keys.json").json()
    assert [(k["public_key"], k["current"]) for k in keys] == [(pem.text, True)]
    assert keys[0]["keyid"] == pem.headers["Assay-Key-Id"]

    point = api.call("scoped", "GET", "/api/v1/ledger/checkpoint")
    assert point.status_code == 200, point.text
    body = point.json()
    tree = leaves(api.url)
    assert body["tree_size"] == len(tree) > 8
    assert bytes.fromhex(body["root"]) == rfc_mth(tree)
    origin, size, root = body["note"].partition("\n\n")[0].splitlines()
    assert (origin, int(size), base64.b64decode(root)) == (
        "assay.local/ledger",
        len(tree),
        rfc_mth(tree),
    )
    assert note_verifies(body["note"], pem.text.encode())
    assert not note_verifies(body["note"].replace(f"\n{size}\n", "\n1\n"), pem.text.encode())

    for seq in (1, len(tree) // 2, len(tree)):
        proof = api.call("scoped", "GET", f"/api/v1/ledger/proof/{seq}").json()
        nodes = [bytes.fromhex(node) for node in proof["proof"]]
        assert rfc_verify_inclusion(tree[seq - 1], seq - 1, len(tree), nodes, rfc_mth(tree))
    older = api.call("auditee", "GET", "/api/v1/ledger/proof/2?tree_size=5").json()
    assert bytes.fromhex(older["root"]) == rfc_mth(tree[:5])
    consistency = api.call(
        "auditor", "GET", f"/api/v1/ledger/consistency?from=5&to={len(tree)}"
    ).json()
    assert rfc_verify_consistency(
        5,
        len(tree),
        [bytes.fromhex(node) for node in consistency["proof"]],
        rfc_mth(tree[:5]),
        rfc_mth(tree),
    )
    for bad in (
        f"/api/v1/ledger/proof/{len(tree) + 1}",
        "/api/v1/ledger/proof/0",
        "/api/v1/ledger/proof/1?tree_size=0",
        "/api/v1/ledger/consistency?from=6&to=5",
        f"/api/v1/ledger/consistency?from=1&to={len(tree) + 1}",
        "/api/v1/ledger/consistency?from=1",
    ):
        refused = api.call("auditor", "GET", bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert "error" in refused.json()


def _envelope(answer: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads(base64.b64decode(answer.headers["Assay-Signature"]))
    return envelope


def test_reports_and_certificates_are_signed_by_the_server(
    api: Api, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepared(api)
    run = push(api, 0.95)
    pem = api.call(None, "GET", "/.well-known/assay/signing-key.pub").text.encode()
    (tmp_path / "server.pub").write_bytes(pem)
    for fmt in ("html", "json", "markdown", "oscal", "oscal-plan", "sarif"):
        report = api.call("auditor", "GET", f"/api/v1/runs/{run['run_id']}/report?format={fmt}")
        assert report.status_code == 200
        envelope = _envelope(report)
        assert independent_verify(envelope, pem, report.content)
        assert not independent_verify(envelope, pem, report.content + b" ")
    oscal = api.call("auditor", "GET", f"/api/v1/runs/{run['run_id']}/report?format=oscal")
    assert list(oscal_validator("assessment-results").iter_errors(oscal.json())) == []
    plan = api.call("auditor", "GET", f"/api/v1/runs/{run['run_id']}/report?format=oscal-plan")
    href = oscal.json()["assessment-results"]["import-ap"]["href"]
    assert plan.headers["Assay-Signature"]
    assert json.loads(base64.b64decode(_envelope(plan)["payload"]))["subject"][0]["name"] == href
    assert plan.json()["assessment-plan"]["reviewed-controls"]
    refused = api.call(
        "auditor", "GET", f"/api/v1/runs/{run['run_id']}/report?format=sarif&audience=public"
    )
    assert refused.status_code == 422
    saved = tmp_path / "report.json"
    report = api.call("auditor", "GET", f"/api/v1/runs/{run['run_id']}/report?format=json")
    saved.write_bytes(report.content)
    (tmp_path / "report.json.dsse.json").write_text(json.dumps(_envelope(report)))
    ok = run_cli(capsys, "verify", str(saved), "--key", str(tmp_path / "server.pub"))
    assert ok.exit_code == 0, ok.stderr
    saved.write_bytes(report.content.replace(b"pass", b"fail"))
    assert (
        run_cli(capsys, "verify", str(saved), "--key", str(tmp_path / "server.pub")).exit_code == 1
    )

    certificate = {"spec": "quality", "target": "model@1", "valid_for": "P30D"}
    verdict = {"spec": "quality", "target": "model@1", "element": "latency", "value": "20"}
    api.call("auditor", "POST", "/api/v1/verdicts", json=verdict)
    push(api, 0.95)
    issued = api.call("certifier", "POST", "/api/v1/certificates", json=certificate)
    assert issued.status_code == 201, issued.text
    identifier = issued.json()["certificate"]
    shown = api.call("auditor", "GET", f"/api/v1/certificates/{identifier}")
    assert shown.status_code == 200
    assert json.loads(shown.content)["state"] == "active"
    envelope = _envelope(shown)
    assert independent_verify(envelope, pem, shown.content)
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"].endswith("/certificate/v1")
    assert api.call("auditor", "GET", "/api/v1/certificates/nope").status_code == 404
    assert api.call("auditee", "GET", f"/api/v1/certificates/{identifier}").status_code == 403


def test_the_server_key_is_generated_recorded_rotated_and_guarded(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "keys" / "server.key"
    key.parent.mkdir()
    with running_api(database_url, tmp_path, signing_key=str(key)) as api:
        assert (key.stat().st_mode & 0o777, key.with_name("server.key.pub").exists()) == (
            0o600,
            True,
        )
        first = api.call(None, "GET", "/.well-known/assay/signing-key.pub").text
    with running_api(database_url, tmp_path, signing_key=str(key)) as api:
        keys = api.call(None, "GET", "/.well-known/assay/keys.json").json()
        assert [k["public_key"] for k in keys] == [first], "a restart records nothing new"

    rotated = run_cli(capsys, "keys", "rotate", str(key), "--db", database_url)
    assert rotated.exit_code == 0, rotated.stderr
    assert [p.name.endswith(".retired") for p in key.parent.glob("server.key.*.retired")] == [True]
    with running_api(database_url, tmp_path, signing_key=str(key)) as api:
        keys = api.call(None, "GET", "/.well-known/assay/keys.json").json()
        assert [(k["reason"], k["current"]) for k in keys] == [
            ("generated at first start", False),
            ("rotated", True),
        ]
        assert keys[0]["public_key"] == first != keys[1]["public_key"]
        note = api.call("auditor", "GET", "/api/v1/ledger/checkpoint").json()["note"]
        assert note_verifies(note, keys[1]["public_key"].encode())
        assert not note_verifies(note, first.encode())
    listed = run_cli(capsys, "keys", "list", "--db", database_url, "-f", "json")
    assert [k["reason"] for k in json.loads(listed.stdout)] == [
        "generated at first start",
        "rotated",
    ]

    os.chmod(key, 0o644)
    refused = running_api(database_url, tmp_path, signing_key=str(key))
    with pytest.raises(InvalidInputError, match="readable by others"), refused:
        pass
