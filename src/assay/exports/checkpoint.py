"""Ledger checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

The note's text is three lines — the log's origin, the tree size in decimal, the root hash in
standard base64 — each ending in a newline; then a blank line and one signature line per key:
``— <key name> <base64(key id || signature)>``, the key id being the first four bytes of
SHA-256(key name || 0x0A || 0x01 || Ed25519 public key). No I/O: signing is handed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "CheckpointNote",
    "NoteError",
    "checkpoint_text",
    "note_key_id",
    "parse_checkpoint",
    "signed_note",
]

_DASH = "\u2014 "


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    """The checkpoint's text (the part signatures cover), ending in a newline."""
    if not origin or any(c in origin for c in "\n+ ") or not origin.isprintable():
        raise ValueError("an origin is one printable line without spaces or '+'")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def note_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 key named ``name`` (``public_key``: 32 raw bytes)."""
    return hashlib.sha256(name.encode() + b"\n\x01" + public_key).digest()[:4]


def signed_note(text: str, name: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> str:
    """``text`` signed by the key ``name``: text, blank line, signature line."""
    signature = sign(text.encode())
    encoded = base64.b64encode(note_key_id(name, public_key) + signature).decode()
    return f"{text}\n{_DASH}{name} {encoded}\n"


class NoteError(ValueError):
    """A text that is not a checkpoint note."""


@dataclass(frozen=True)
class CheckpointNote:
    """A parsed checkpoint: origin, tree size, root, the signed text and its signature lines
    as (key name, 4-byte key id, signature)."""

    origin: str
    size: int
    root: bytes
    text: str
    signatures: tuple[tuple[str, bytes, bytes], ...]

    def signed_by(
        self, name: str, public_key: bytes, verify: Callable[[bytes, bytes], bool]
    ) -> bool:
        """Whether a signature line of the key ``name`` (``public_key``: 32 raw bytes) verifies
        over the text with ``verify(signature, message)``."""
        wanted = note_key_id(name, public_key)
        return any(
            line_name == name and keyid == wanted and verify(signature, self.text.encode())
            for line_name, keyid, signature in self.signatures
        )


def parse_checkpoint(note: str) -> CheckpointNote:
    """The checkpoint in a signed note (signatures may be absent). Raises :class:`NoteError`
    naming what is wrong."""
    text, _, signature_block = note.partition("\n\n")
    if not signature_block and text.endswith("\n"):  # an unsigned note: the text alone
        text = text[:-1]
    lines = text.split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint starts with three lines: origin, tree size, root")
    origin, size_text, root_text = lines[:3]
    if (
        not size_text.isascii()
        or not size_text.isdigit()
        or (size_text.startswith("0") and size_text != "0")
    ):
        raise NoteError(f"line 2 is not a tree size in decimal: {size_text!r}")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        root = b""
    if len(root) != 32:
        raise NoteError("line 3 is not a SHA-256 root in base64")
    signatures: list[tuple[str, bytes, bytes]] = []
    for number, line in enumerate(signature_block.split("\n"), start=1):
        if not line:
            continue
        name, _, encoded = line.removeprefix(_DASH).partition(" ")
        if not line.startswith(_DASH) or not encoded:
            raise NoteError(f"signature line {number} is not '\u2014 name base64'")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"signature line {number} is not base64") from None
        if len(raw) < 5:
            raise NoteError(f"signature line {number} is too short")
        signatures.append((name, raw[:4], raw[4:]))
    return CheckpointNote(origin, int(size_text), root, text + "\n", tuple(signatures))
