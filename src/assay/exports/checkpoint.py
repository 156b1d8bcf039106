"""Ledger checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

The note's text is three lines — the log's origin, the tree size in decimal, the root hash in
standard base64 — each ending in a newline; then a blank line and one signature line per key:
``— <key name> <base64(key id || signature)>``, the key id being the first four bytes of
SHA-256(key name || 0x0A || 0x01 || Ed25519 public key). No I/O: signing is handed in.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

__all__ = ["checkpoint_text", "note_key_id", "signed_note"]

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
