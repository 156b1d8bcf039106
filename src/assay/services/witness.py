"""Checking the ledger's history rather than trusting it: an export against a signed
checkpoint, and a witness that keeps the last checkpoint a server showed and requires every
later one to extend it (RFC 9162 consistency), so a rewritten or forked history is caught."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from assay.errors import InvalidInputError, VerificationFailedError
from assay.exports.checkpoint import CheckpointNote, NoteError, parse_checkpoint
from assay.files.keys import key_id, load_public_key, parse_public_key, public_pem, raw_public_key
from assay.files.keys import verifier as signature_check
from assay.integrations.audit_api import AuditApiClient
from assay.store.merkle import leaf_hash, tree_root, verify_consistency

__all__ = ["WitnessReport", "check_export", "read_checkpoint", "witness"]

STATE_FORMAT = "assay.witness/1"
KEY_PATH = "/.well-known/assay/signing-key.pub"


def read_checkpoint(text: str, source: str) -> CheckpointNote:
    """The checkpoint in ``text``; unusable input (exit 2) when it is not one."""
    try:
        return parse_checkpoint(text)
    except NoteError as error:
        raise InvalidInputError(
            str(error), source=source, expected="a checkpoint from assay ledger checkpoint"
        ) from None


def _check_signature(note: CheckpointNote, public: Ed25519PublicKey, source: str) -> str:
    keyid = key_id(public)
    names = {name for name, _, _ in note.signatures}
    if not any(
        note.signed_by(name, raw_public_key(public), signature_check(public)) for name in names
    ):
        raise VerificationFailedError(
            f"no signature of the checkpoint verifies with the key {keyid[:16]}…",
            source=source,
        )
    return keyid


def check_export(
    export: Path, since: int, hashes: Sequence[str], checkpoint: Path, key: Path | None
) -> dict[str, Any]:
    """Whether the first entries of the export (starting at entry ``since``, its entry
    ``hashes`` in hex, as :func:`verify_export` read them) make the tree the checkpoint
    states (same size, same root), and, with ``key``, whether the checkpoint is signed by it.
    Raises :class:`VerificationFailedError` when not; the chain is checked by the caller."""
    try:
        text = checkpoint.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInputError(
            f"cannot read the checkpoint ({error})", source=str(checkpoint)
        ) from None
    note = read_checkpoint(text, str(checkpoint))
    signer = _check_signature(note, load_public_key(key), str(checkpoint)) if key else None
    if since != 1:
        raise InvalidInputError(
            f"the export starts at entry {since}",
            source=str(export),
            expected="an export from entry 1 (assay ledger export without --since)",
        )
    if len(hashes) < note.size:
        raise VerificationFailedError(
            f"the export holds {len(hashes)} entries, the checkpoint states a tree of {note.size}",
            source=str(export),
        )
    root = tree_root([leaf_hash(bytes.fromhex(digest)) for digest in hashes[: note.size]])
    if root != note.root:
        raise VerificationFailedError(
            f"the export's first {note.size} entries have the root {root.hex()}, the "
            f"checkpoint states {note.root.hex()}: the histories differ",
            source=str(export),
        )
    return {
        "checkpoint": {"origin": note.origin, "tree_size": note.size, "root": note.root.hex()},
        "export_entries": len(hashes),
        "signed_by": signer,
    }


@dataclass(frozen=True)
class WitnessReport:
    """What a witness run saw: the new checkpoint, the one before it (if any), and the key."""

    url: str
    size: int
    root: str
    previous_size: int | None
    previous_root: str | None
    keyid: str
    first: bool

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "url": self.url,
            "tree_size": self.size,
            "root": self.root,
            "previous": None
            if self.previous_size is None
            else {"tree_size": self.previous_size, "root": self.previous_root},
            "key_id": self.keyid,
            "first": self.first,
        }


def _load_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInputError(
            f"cannot read the witness state ({error})",
            source=str(path),
            expected="a state file written by assay ledger witness",
        ) from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise InvalidInputError(
            "not a witness state file",
            source=str(path),
            expected=f'a JSON object with "format": "{STATE_FORMAT}"',
        )
    seen = state.get("checkpoint")
    if (
        not isinstance(state.get("public_key"), str)
        or not isinstance(seen, dict)
        or not isinstance(seen.get("tree_size"), int)
        or not isinstance(seen.get("root"), str)
        or len(seen["root"]) != 64
        or any(c not in "0123456789abcdef" for c in seen["root"])
    ):
        raise InvalidInputError(
            "the witness state is incomplete or damaged",
            source=str(path),
            expected="the file assay ledger witness wrote (public_key, checkpoint.tree_size, "
            "checkpoint.root)",
        )
    return state


def _save_state(path: Path, state: dict[str, Any]) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise InvalidInputError(
            f"cannot write the witness state ({error.strerror})", source=str(path)
        ) from None


def witness(url: str, state_path: Path, *, token: str | None, key: Path | None) -> WitnessReport:
    """Fetch the server's checkpoint, check its signature (with ``key``, else the key pinned in
    the state, else the server's published key, which is then pinned) and that it extends the
    last checkpoint the state holds; store it. A checkpoint that does not verify, a smaller
    tree, a different root at the same size or a failed consistency proof raise
    :class:`VerificationFailedError` naming both checkpoints, and the state is not changed."""
    state = _load_state(state_path)
    with AuditApiClient(url, token) as api:
        if key is not None:
            public = load_public_key(key)
        elif state is not None:
            public = parse_public_key(state["public_key"].encode(), str(state_path))
        else:
            public = parse_public_key(api.text(KEY_PATH).encode(), f"{api.url}{KEY_PATH}")
        answer = api.json("/api/v1/ledger/checkpoint")
        source = f"{api.url}/api/v1/ledger/checkpoint"
        note = read_checkpoint(str(answer.get("note", "")), source)
        keyid = _check_signature(note, public, source)
        new = f"checkpoint of {note.size} entries, root {note.root.hex()}"
        if state is not None and state.get("origin") != note.origin:
            raise InvalidInputError(
                f"the state file follows the log {state.get('origin')!r}, the server serves "
                f"{note.origin!r}",
                source=str(state_path),
                expected="one state file per log",
            )
        previous = state["checkpoint"] if state is not None else None
        if previous is not None:
            old_size, old_root = int(previous["tree_size"]), bytes.fromhex(previous["root"])
            old = f"checkpoint of {old_size} entries, root {old_root.hex()}"
            if note.size < old_size:
                raise VerificationFailedError(f"the log shrank: {new} after {old}", source=source)
            if note.size == old_size and note.root != old_root:
                raise VerificationFailedError(
                    f"the history was rewritten: {new} after {old}", source=source
                )
            if note.size > old_size:
                proof = api.json(
                    "/api/v1/ledger/consistency", **{"from": old_size, "to": note.size}
                )
                nodes = [bytes.fromhex(node) for node in proof.get("proof", [])]
                if not verify_consistency(old_size, note.size, nodes, old_root, note.root):
                    raise VerificationFailedError(
                        f"the history forked: {new} does not extend {old} (the consistency "
                        "proof fails)",
                        source=source,
                    )
    _save_state(
        state_path,
        {
            "format": STATE_FORMAT,
            "url": url,
            "origin": note.origin,
            "public_key": public_pem(public),
            "key_id": keyid,
            "checkpoint": {
                "tree_size": note.size,
                "root": note.root.hex(),
                "note": note.text,
                "seen_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            "seen": (state or {}).get("seen", 0) + 1,
        },
    )
    return WitnessReport(
        url,
        note.size,
        note.root.hex(),
        None if previous is None else int(previous["tree_size"]),
        None if previous is None else str(previous["root"]),
        keyid,
        state is None,
    )
