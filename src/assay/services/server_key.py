"""The server's own signing key: loaded from its configured file, generated there on first
start when absent, refused when others may read it; every key the server has signed with is a
``signing.key`` ledger entry, so a rotation is on the record and old signatures stay
checkable with the key that was current then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assay.errors import InvalidInputError
from assay.files.keys import generate_key, key_id, load_private_key, public_pem
from assay.store import Store

__all__ = [
    "KEY_KIND",
    "ServerKey",
    "load_server_key",
    "record_key",
    "rotate_key",
    "signing_keys",
]

KEY_KIND = "signing.key"


@dataclass(frozen=True)
class ServerKey:
    """A loaded signing key: the private key, its id and its public key as PEM."""

    private: Ed25519PrivateKey
    keyid: str
    public_pem: str

    @classmethod
    def of(cls, private: Ed25519PrivateKey) -> ServerKey:
        """The key with its id and public PEM worked out."""
        return cls(private, key_id(private.public_key()), public_pem(private))


def load_server_key(path: Path) -> tuple[ServerKey, bool]:
    """The key in ``path``, generated there (mode 0600, public key beside it) when the file does
    not exist; returns it and whether it was generated. A file readable by others, or not an
    Ed25519 key, is refused with :class:`InvalidInputError`."""
    generated = False
    if not path.exists():
        if not path.parent.is_dir():
            raise InvalidInputError(
                "the directory of the signing key does not exist",
                source=str(path),
                expected="a path in an existing directory",
            )
        generate_key(path)
        generated = True
    return ServerKey.of(load_private_key(path)), generated


def signing_keys(store: Store) -> list[dict[str, Any]]:
    """Every key recorded in the ledger, oldest first: key id, public key (PEM), since (the
    entry's time), the ledger entry's number, why it was recorded, and whether it is current
    (the last recorded)."""
    rows = [
        {
            "keyid": payload["keyid"],
            "public_key": payload["public_key"],
            "algorithm": payload.get("algorithm", "ed25519"),
            "since": entry.ts,
            "seq": entry.seq,
            "reason": payload.get("reason"),
            "current": False,
        }
        for entry in store.ledger.entries(kind=KEY_KIND)
        if (payload := entry.payload or {})
    ]
    if rows:
        rows[-1]["current"] = True
    return rows


def record_key(store: Store, key: ServerKey, *, reason: str) -> bool:
    """Append a ``signing.key`` entry for ``key`` unless it is the key recorded last; returns
    whether an entry was appended. The entry names the key it replaces."""
    with store.database.writing() as conn:
        latest = next(iter(store.ledger.entries_in(conn, kind=KEY_KIND, newest_first=True)), None)
        recorded = (latest.payload or {}).get("keyid") if latest is not None else None
        if recorded == key.keyid:
            return False
        store.ledger.append_in(
            conn,
            [
                (
                    KEY_KIND,
                    {
                        "keyid": key.keyid,
                        "algorithm": "ed25519",
                        "public_key": key.public_pem,
                        "replaces": recorded,
                        "reason": reason,
                    },
                )
            ],
        )
    return True


def rotate_key(store: Store, path: Path) -> tuple[ServerKey, Path | None]:
    """Replace the key in ``path`` with a new one and record it: the old key file is kept
    beside it as ``KEY.<date>.retired`` (returned), so what it signed stays checkable."""
    retired: Path | None = None
    if path.exists():
        load_private_key(path)  # refuses a key file that is not one, before anything moves
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        retired = path.with_name(f"{path.name}.{stamp}.retired")
        path.rename(retired)
        public = path.with_name(path.name + ".pub")
        if public.exists():
            public.rename(retired.with_name(retired.name + ".pub"))
    key, _ = load_server_key(path)
    record_key(store, key, reason="rotated")
    return key, retired
