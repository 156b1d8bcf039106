"""Signatures anyone can verify offline: envelopes written by `assay sign` are checked here by
code written from the DSSE specification (protocol.md, envelope.md) and in-toto's Statement v1,
not by assay's verifier; tampered payloads, wrong keys, swapped subjects and countersignatures."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from assay.exports.dsse import pae
from tests.helpers.running import Result, run_cli


def independent_verify(envelope: dict[str, Any], public_pem: bytes, content: bytes) -> bool:
    """DSSE protocol.md: decode the payload, compute PAE = "DSSEv1" SP LEN(type) SP type SP
    LEN(body) SP body, accept if one signature verifies; then in-toto: the statement's subject
    digest is the content's SHA-256."""
    public = serialization.load_pem_public_key(public_pem)
    payload_type = envelope["payloadType"].encode()
    body = base64.b64decode(envelope["payload"])
    message = b" ".join(
        [b"DSSEv1", str(len(payload_type)).encode(), payload_type, str(len(body)).encode(), body]
    )
    verified = False
    for signature in envelope["signatures"]:
        try:
            public.verify(base64.b64decode(signature["sig"]), message)  # type: ignore[call-arg, union-attr]
        except InvalidSignature:
            continue
        verified = True
    if not verified:
        return False
    statement = json.loads(body)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    digests = [s["digest"]["sha256"] for s in statement["subject"]]
    return hashlib.sha256(content).hexdigest() in digests


def test_pae_matches_the_specification_vector() -> None:
    # protocol.md, "Test Vectors"
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    return run_cli(capsys, *args)


def test_sign_verify_countersign_and_refusals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    report.write_text("<h1>conformant</h1>\n")
    for name in ("team", "auditor"):
        assert cli(capsys, "keys", "generate", "-o", str(tmp_path / name)).exit_code == 0
    assert stat.S_IMODE((tmp_path / "team").stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in (tmp_path / "team").read_bytes()
    assert b"BEGIN PUBLIC KEY" in (tmp_path / "team.pub").read_bytes()
    assert cli(capsys, "sign", str(report), "--key", str(tmp_path / "team")).exit_code == 0
    bundle = tmp_path / "report.html.dsse.json"
    envelope = json.loads(bundle.read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"] == "https://assay.dev/attestation/report/v1"
    assert statement["subject"][0]["name"] == "report.html"
    team_pub = (tmp_path / "team.pub").read_bytes()
    auditor_pub = (tmp_path / "auditor.pub").read_bytes()
    assert independent_verify(envelope, team_pub, report.read_bytes())
    assert not independent_verify(envelope, auditor_pub, report.read_bytes())
    assert cli(capsys, "verify", str(report), "--key", str(tmp_path / "team.pub")).exit_code == 0
    wrong_key = cli(capsys, "verify", str(report), "--key", str(tmp_path / "auditor.pub"))
    assert wrong_key.exit_code == 1
    assert "no signature of the envelope verifies" in wrong_key.stderr
    # The auditor countersigns; either key now verifies, independently too.
    countersign = cli(capsys, "sign", str(report), "--key", str(tmp_path / "auditor"), "--append")
    assert countersign.exit_code == 0, countersign.stderr
    envelope = json.loads(bundle.read_text())
    assert len(envelope["signatures"]) == 2
    assert independent_verify(envelope, auditor_pub, report.read_bytes())
    assert independent_verify(envelope, team_pub, report.read_bytes())
    again = cli(capsys, "sign", str(report), "--key", str(tmp_path / "auditor"), "--append")
    assert again.exit_code == 2
    assert "signed this envelope already" in again.stderr
    fresh = cli(capsys, "sign", str(report), "--key", str(tmp_path / "team"))
    assert fresh.exit_code == 2
    assert "--append" in fresh.stderr


def test_tampering_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "certificate.json"
    target.write_text('{"status": "certified"}\n')
    cli(capsys, "keys", "generate", "-o", str(tmp_path / "k"))
    cli(capsys, "sign", str(target), "--key", str(tmp_path / "k"), "--kind", "certificate")
    bundle = tmp_path / "certificate.json.dsse.json"
    original = json.loads(bundle.read_text())
    public = str(tmp_path / "k.pub")
    # A swapped subject: the file changed after signing.
    target.write_text('{"status": "revoked"}\n')
    swapped = cli(capsys, "verify", str(target), "--key", public)
    assert swapped.exit_code == 1
    assert "not the signed subject" in swapped.stderr
    target.write_text('{"status": "certified"}\n')
    # A payload rewritten to name the new content: the signature no longer holds.
    statement = json.loads(base64.b64decode(original["payload"]))
    statement["subject"][0]["digest"]["sha256"] = hashlib.sha256(b"other").hexdigest()
    forged = dict(original, payload=base64.b64encode(json.dumps(statement).encode()).decode())
    bundle.write_text(json.dumps(forged))
    assert cli(capsys, "verify", str(target), "--key", public).exit_code == 1
    # A payload type changed: PAE binds it, so the signature fails.
    bundle.write_text(json.dumps(dict(original, payloadType="application/json")))
    assert cli(capsys, "verify", str(target), "--key", public).exit_code == 1
    bundle.write_text(json.dumps(original))
    assert cli(capsys, "verify", str(target), "--key", public).exit_code == 0


def test_unusable_input_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    target.write_text("x")
    cli(capsys, "keys", "generate", "-o", str(tmp_path / "k"))
    os.chmod(tmp_path / "k", 0o644)
    loose = cli(capsys, "sign", str(target), "--key", str(tmp_path / "k"))
    assert loose.exit_code == 2
    assert "readable by others" in loose.stderr
    os.chmod(tmp_path / "k", 0o600)
    again = cli(capsys, "keys", "generate", "-o", str(tmp_path / "k"))
    assert again.exit_code == 2
    assert "exists already" in again.stderr
    missing = cli(capsys, "verify", str(target), "--key", str(tmp_path / "k.pub"))
    assert missing.exit_code == 2
    assert "no signature bundle" in missing.stderr
    (tmp_path / "r.txt.dsse.json").write_text(
        '{"payloadType": "x", "payload": "!!", "signatures": []}'
    )
    broken = cli(capsys, "verify", str(target), "--key", str(tmp_path / "k.pub"))
    assert broken.exit_code == 2
    assert "signatures must be a non-empty list" in broken.stderr
    private_as_public = cli(capsys, "verify", str(target), "--key", str(tmp_path / "k"))
    assert private_as_public.exit_code == 2
    assert "Traceback" not in private_as_public.stderr


def test_an_unwritable_envelope_is_one_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "r.txt"
    target.write_text("x")
    cli(capsys, "keys", "generate", "-o", str(tmp_path / "k"))
    bundle = tmp_path / "missing-dir" / "r.dsse.json"
    result = cli(capsys, "sign", str(target), "--key", str(tmp_path / "k"), "--bundle", str(bundle))
    assert result.exit_code == 2
    assert "cannot write the envelope" in result.stderr
    directory = run_cli(
        capsys, "verify", str(target), "--key", str(tmp_path / "k.pub"), "--bundle", str(tmp_path)
    )
    assert directory.exit_code == 2
    assert "cannot read the envelope" in directory.stderr
