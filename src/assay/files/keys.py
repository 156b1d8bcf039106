"""Ed25519 key files: a private key (PEM, PKCS#8, readable by its owner only) and its public
key beside it (``KEY.pub``, PEM, SubjectPublicKeyInfo)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from assay.errors import InvalidInputError

__all__ = [
    "generate_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "parse_public_key",
    "public_pem",
    "raw_public_key",
    "verifier",
]


def key_id(public: Ed25519PublicKey) -> str:
    """The key's id: the hex SHA-256 of its SubjectPublicKeyInfo (DER)."""
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the (public half of the) key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The (public half of the) key as PEM SubjectPublicKeyInfo, as ``KEY.pub`` holds it."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def generate_key(path: Path, *, force: bool = False) -> tuple[Path, str]:
    """Write a new private key to ``path`` (mode 0600, created so) and its public key to
    ``path.pub``; returns the public key's path and the key id. Refuses to overwrite."""
    public_path = path.with_name(path.name + ".pub")
    for existing in (path, public_path):
        if existing.exists() and not force:
            raise InvalidInputError(
                "the file exists already",
                source=str(existing),
                expected="a new file name, or --force to overwrite it",
            )
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        path.unlink(missing_ok=True)
        # Created 0600 from the start: the key is never readable by others, not even briefly.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(private_pem)
        public_path.write_bytes(public_pem)
    except OSError as error:
        raise InvalidInputError(
            f"cannot write the key ({error.strerror})", source=str(path)
        ) from None
    return public_path, key_id(key.public_key())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError("file not found", source=str(path)) from None
    except OSError as error:
        raise InvalidInputError(
            f"cannot read the file ({error.strerror})", source=str(path)
        ) from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in ``path``; refused when the file is readable by group or
    others, or is not an unencrypted PEM Ed25519 key."""
    data = _read(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidInputError(
            f"the private key is readable by others (mode {stat.S_IMODE(mode):o})",
            source=str(path),
            expected="a key file only its owner can read: chmod 600",
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise InvalidInputError(
            "not a PEM private key", source=str(path), expected="a key from `assay keys generate`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInputError(
            "not an Ed25519 key", source=str(path), expected="a key from `assay keys generate`"
        )
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in ``path`` (PEM SubjectPublicKeyInfo)."""
    return parse_public_key(_read(path), str(path))


def parse_public_key(data: bytes, source: str) -> Ed25519PublicKey:
    """The Ed25519 public key in PEM ``data`` read from ``source`` (a file or a URL)."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise InvalidInputError(
            "not a PEM public key",
            source=source,
            expected="the KEY.pub of `assay keys generate`",
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInputError(
            "not an Ed25519 public key", source=source, expected="an Ed25519 public key"
        )
    return key


def verifier(public: Ed25519PublicKey) -> Callable[[bytes, bytes], bool]:
    """A function telling whether a signature over a message checks with ``public``."""

    def check(signature: bytes, message: bytes) -> bool:
        try:
            public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    return check
