"""``assay ledger checkpoint``, ``prove`` and ``consistency`` from the command line, each
checked here from the specifications: the C2SP signed note (key id, Ed25519 over the text) and
RFC 9162 proofs against the checkpoint's root."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from assay.store import open_store
from assay.store.config import choose_database
from tests.helpers.running import run_cli
from tests.store.test_merkle import rfc_verify_consistency, rfc_verify_inclusion


def _ledger(count: int) -> list[str]:
    store = open_store(choose_database(None))
    try:
        return [store.ledger.append("test.entry", {"n": n}).hash for n in range(count)]
    finally:
        store.close()


def test_checkpoint_proofs_and_refusals(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    hashes = _ledger(11)
    assert run_cli(capsys, "keys", "generate", "-o", str(tmp_path / "log.key")).exit_code == 0
    result = run_cli(
        capsys,
        "ledger",
        "checkpoint",
        "--key",
        str(tmp_path / "log.key"),
        "--origin",
        "example.org/log",
    )
    assert result.exit_code == 0, result.stderr
    text, _, signatures = result.stdout.partition("\n\n")
    text += "\n"
    origin, size, root_b64 = text.splitlines()
    assert (origin, size) == ("example.org/log", "11")
    name, encoded = signatures.strip().removeprefix("\u2014 ").split(" ")
    blob = base64.b64decode(encoded)
    public = serialization.load_pem_public_key((tmp_path / "log.key.pub").read_bytes())
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert blob[:4] == hashlib.sha256(name.encode() + b"\n\x01" + raw).digest()[:4]
    public.verify(blob[4:], text.encode())  # type: ignore[call-arg, union-attr]
    root = base64.b64decode(root_b64)

    proof = json.loads(run_cli(capsys, "ledger", "prove", "4", "--format", "json").stdout)
    assert (proof["leaf_index"], proof["tree_size"]) == (3, 11)
    leaf = hashlib.sha256(b"\x00" + bytes.fromhex(hashes[3])).digest()
    path = [bytes.fromhex(node) for node in proof["proof"]]
    assert rfc_verify_inclusion(leaf, 3, 11, path, root)

    old = json.loads(
        run_cli(capsys, "ledger", "prove", "4", "--tree-size", "6", "-f", "json").stdout
    )
    consistency = json.loads(
        run_cli(capsys, "ledger", "consistency", "6", "11", "-f", "json").stdout
    )
    assert consistency["old_root"] == old["root"]
    assert rfc_verify_consistency(
        6,
        11,
        [bytes.fromhex(node) for node in consistency["proof"]],
        bytes.fromhex(consistency["old_root"]),
        root,
    )
    for args in (("prove", "12"), ("consistency", "7", "6"), ("consistency", "1", "12")):
        refused = run_cli(capsys, "ledger", *args)
        assert refused.exit_code == 2, args
        assert "Traceback" not in refused.stderr
    bad_origin = run_cli(capsys, "ledger", "checkpoint", "--origin", "two words")
    assert bad_origin.exit_code == 2


def test_an_export_is_checked_against_a_signed_checkpoint(
    capsys: pytest.CaptureFixture[str], assay_home: Path, tmp_path: Path
) -> None:
    _ledger(9)
    key = tmp_path / "log.key"
    run_cli(capsys, "keys", "generate", "-o", str(key))
    note = tmp_path / "checkpoint.txt"
    assert (
        run_cli(capsys, "ledger", "checkpoint", "--key", str(key), "-o", str(note)).exit_code == 0
    )
    _ledger(3)  # the ledger grows after the checkpoint: the export still holds its tree
    export = tmp_path / "ledger.jsonl"
    run_cli(capsys, "ledger", "export", "-o", str(export))
    pub = str(key) + ".pub"
    ok = run_cli(
        capsys,
        "ledger",
        "verify",
        "--file",
        str(export),
        "--checkpoint",
        str(note),
        "--key",
        pub,
        "-f",
        "json",
    )
    assert ok.exit_code == 0, ok.stderr
    checked = json.loads(ok.stdout)["checkpoint"]
    assert (checked["checkpoint"]["tree_size"], checked["export_entries"]) == (9, 12)

    other = tmp_path / "other.key"
    run_cli(capsys, "keys", "generate", "-o", str(other))
    wrong_key = run_cli(
        capsys,
        "ledger",
        "verify",
        "--file",
        str(export),
        "--checkpoint",
        str(note),
        "--key",
        str(other) + ".pub",
    )
    assert wrong_key.exit_code == 1
    assert "no signature" in wrong_key.stderr
    forged = note.read_text().splitlines()
    forged[2] = base64.b64encode(bytes(32)).decode()
    (tmp_path / "forged.txt").write_text("\n".join(forged[:3]) + "\n")
    differs = run_cli(
        capsys,
        "ledger",
        "verify",
        "--file",
        str(export),
        "--checkpoint",
        str(tmp_path / "forged.txt"),
    )
    assert differs.exit_code == 1
    assert "histories differ" in differs.stderr
    (tmp_path / "junk.txt").write_text("not a checkpoint\n")
    junk = run_cli(
        capsys,
        "ledger",
        "verify",
        "--file",
        str(export),
        "--checkpoint",
        str(tmp_path / "junk.txt"),
    )
    assert junk.exit_code == 2
    assert "Traceback" not in junk.stderr
    alone = run_cli(capsys, "ledger", "verify", "--checkpoint", str(note))
    assert alone.exit_code == 2
