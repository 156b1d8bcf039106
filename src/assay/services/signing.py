"""Signing a file (a report, a certificate, a checkpoint) into a DSSE envelope of an in-toto
statement, countersigning it, and verifying a file against an envelope and a public key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from assay import __version__
from assay.errors import InvalidInputError, VerificationFailedError
from assay.exports.dsse import (
    IN_TOTO_PAYLOAD_TYPE,
    PREDICATE_TYPES,
    Envelope,
    EnvelopeError,
    statement,
    subjects_of,
)
from assay.files.documents import JsonRefusedError, parse_json
from assay.files.keys import key_id, load_private_key, load_public_key, verifier

__all__ = [
    "BUNDLE_SUFFIX",
    "Signed",
    "Verified",
    "bundle_path",
    "envelope_of",
    "sign_file",
    "verify_file",
]

BUNDLE_SUFFIX = ".dsse.json"


def bundle_path(path: Path) -> Path:
    """Where the envelope of ``path`` is written by default: ``FILE.dsse.json``."""
    return path.with_name(path.name + BUNDLE_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        raise InvalidInputError("file not found", source=str(path)) from None
    except IsADirectoryError:
        raise InvalidInputError(
            "this is a directory", source=str(path), expected="a file"
        ) from None
    except OSError as error:
        raise InvalidInputError(
            f"cannot read the file ({error.strerror})", source=str(path)
        ) from None
    return digest.hexdigest()


def _load_envelope(path: Path) -> Envelope:
    try:
        data = parse_json(path.read_bytes())
    except FileNotFoundError:
        raise InvalidInputError(
            "no signature bundle",
            source=str(path),
            expected="the FILE.dsse.json `assay sign` wrote",
        ) from None
    except OSError as error:
        raise InvalidInputError(
            f"cannot read the envelope ({error.strerror})", source=str(path)
        ) from None
    except (JsonRefusedError, ValueError) as error:
        raise InvalidInputError(
            f"not JSON ({error})", source=str(path), expected="a DSSE envelope"
        ) from None
    try:
        return Envelope.from_json(data)
    except EnvelopeError as error:
        raise InvalidInputError(str(error), source=str(path), expected="a DSSE envelope") from None


def envelope_of(name: str, sha256: str, kind: str, key: Ed25519PrivateKey) -> Envelope:
    """A DSSE envelope, signed by ``key``, of an in-toto statement whose subject is the file
    ``name`` with digest ``sha256`` and whose predicate type follows from ``kind``."""
    predicate: dict[str, Any] = {
        "kind": kind,
        "signedAt": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "tool": {"name": "assay", "version": __version__},
    }
    payload = statement(name, sha256, PREDICATE_TYPES[kind], predicate)
    return Envelope.signed(IN_TOTO_PAYLOAD_TYPE, payload, key_id(key.public_key()), key.sign)


@dataclass(frozen=True)
class Signed:
    """What signing wrote: the envelope file, the signing key's id, how many signatures."""

    bundle: Path
    keyid: str
    signatures: int
    sha256: str


def sign_file(
    path: Path,
    key_path: Path,
    *,
    kind: str = "report",
    append: bool = False,
    bundle: Path | None = None,
    force: bool = False,
) -> Signed:
    """Sign ``path``: a new envelope (refusing to replace one unless ``force``), or, with
    ``append``, one more signature on the existing envelope, which must be for this content."""
    key = load_private_key(key_path)
    keyid = key_id(key.public_key())
    sha256 = _sha256(path)
    target = bundle or bundle_path(path)
    if append:
        envelope = _load_envelope(target)
        try:
            document = envelope.statement()
        except EnvelopeError as error:
            raise InvalidInputError(str(error), source=str(target)) from None
        if sha256 not in [digest for _, digest in subjects_of(document)]:
            raise InvalidInputError(
                f"the envelope is for other content than {path.name} (sha256 {sha256[:12]}…)",
                source=str(target),
                expected="the envelope of this very file",
            )
        if any(signature.keyid == keyid for signature in envelope.signatures):
            raise InvalidInputError(
                f"key {keyid[:16]}… has signed this envelope already", source=str(key_path)
            )
        envelope = envelope.countersigned(keyid, key.sign)
    else:
        if target.exists() and not force:
            raise InvalidInputError(
                "a signature bundle exists already",
                source=str(target),
                expected="--append to add a signature to it, or --force to replace it",
            )
        envelope = envelope_of(path.name, sha256, kind, key)
    text = json.dumps(envelope.to_json(), indent=2) + "\n"
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise InvalidInputError(
            f"cannot write the envelope ({error.strerror})", source=str(target)
        ) from None
    return Signed(target, keyid, len(envelope.signatures), sha256)


@dataclass(frozen=True)
class Verified:
    """A verified file: its digest, the key that verified, the predicate type."""

    sha256: str
    keyid: str
    predicate_type: str
    signatures: int


def verify_file(path: Path, public_path: Path, bundle: Path | None = None) -> Verified:
    """Check that a signature of the envelope verifies with the public key and that the file is
    the statement's subject. Raises :class:`VerificationFailedError` (exit 1) when either does
    not hold, :class:`InvalidInputError` (exit 2) for unusable input."""
    public = load_public_key(public_path)
    keyid = key_id(public)
    sha256 = _sha256(path)
    source = bundle or bundle_path(path)
    envelope = _load_envelope(source)
    if not envelope.verified_by(keyid, verifier(public)):
        raise VerificationFailedError(
            f"no signature of the envelope verifies with the key {keyid[:16]}…",
            source=str(source),
        )
    try:
        document = envelope.statement()
    except EnvelopeError as error:
        raise VerificationFailedError(str(error), source=str(source)) from None
    digests = [digest for _, digest in subjects_of(document)]
    if sha256 not in digests:
        raise VerificationFailedError(
            f"{path.name} has sha256 {sha256}, which is not the signed subject "
            f"({', '.join(digests) or 'none'})",
            source=str(path),
        )
    return Verified(sha256, keyid, str(document.get("predicateType")), len(envelope.signatures))
