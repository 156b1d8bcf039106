"""DSSE envelopes (secure-systems-lab/dsse, v1.0) holding in-toto Statements (v1), as values.

A signature covers the pre-authentication encoding ``PAE(type, body) = "DSSEv1" SP LEN(type)
SP type SP LEN(body) SP body`` (LEN: the byte length in ASCII decimal), so the payload type is
part of what is signed. No I/O and no keys here: the signing and the checking of a signature
are handed in as functions.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "IN_TOTO_PAYLOAD_TYPE",
    "PREDICATE_TYPES",
    "STATEMENT_TYPE",
    "Envelope",
    "EnvelopeError",
    "Signature",
    "pae",
    "statement",
    "subjects_of",
]

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
# One predicate type per kind of thing assay signs.
PREDICATE_TYPES = {
    "report": "https://assay.dev/attestation/report/v1",
    "certificate": "https://assay.dev/attestation/certificate/v1",
    "checkpoint": "https://assay.dev/attestation/ledger-checkpoint/v1",
    "file": "https://assay.dev/attestation/file/v1",
}


class EnvelopeError(ValueError):
    """The text is not a DSSE envelope (or not one assay can read); the message says why."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """The bytes a DSSE signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def statement(name: str, sha256: str, predicate_type: str, predicate: Mapping[str, Any]) -> bytes:
    """An in-toto Statement v1 with one subject, as canonical JSON bytes (sorted keys)."""
    document = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": sha256}}],
        "predicateType": predicate_type,
        "predicate": dict(predicate),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Signature:
    """One signature of an envelope: the signer's key id and the signature bytes."""

    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope: the payload, its type and one or more signatures."""

    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    @classmethod
    def signed(
        cls, payload_type: str, payload: bytes, keyid: str, sign: Callable[[bytes], bytes]
    ) -> Envelope:
        """A new envelope with one signature made by ``sign`` over the PAE."""
        return cls(payload_type, payload, (Signature(keyid, sign(pae(payload_type, payload))),))

    def countersigned(self, keyid: str, sign: Callable[[bytes], bytes]) -> Envelope:
        """This envelope with one more signature over the same PAE."""
        added = Signature(keyid, sign(pae(self.payload_type, self.payload)))
        return Envelope(self.payload_type, self.payload, (*self.signatures, added))

    def verified_by(self, keyid: str, verify: Callable[[bytes, bytes], bool]) -> bool:
        """Whether any signature checks with ``verify(signature, pae)``; the key id is a hint
        only (signatures with another key id are tried too, as the specification allows)."""
        message = pae(self.payload_type, self.payload)
        ordered = sorted(self.signatures, key=lambda s: s.keyid != keyid)
        return any(verify(signature.sig, message) for signature in ordered)

    def statement(self) -> dict[str, Any]:
        """The payload read as an in-toto Statement v1; :class:`EnvelopeError` otherwise."""
        if self.payload_type != IN_TOTO_PAYLOAD_TYPE:
            raise EnvelopeError(f"payloadType is {self.payload_type!r}, not {IN_TOTO_PAYLOAD_TYPE}")
        try:
            document = json.loads(self.payload)
        except ValueError:
            raise EnvelopeError("the payload is not JSON") from None
        if not isinstance(document, dict) or document.get("_type") != STATEMENT_TYPE:
            raise EnvelopeError(f"the payload is not an in-toto Statement ({STATEMENT_TYPE})")
        subjects = document.get("subject")
        if not isinstance(subjects, list) or not subjects:
            raise EnvelopeError("the statement names no subject")
        return document

    def to_json(self) -> dict[str, Any]:
        """The envelope's JSON form (base64 standard encoding, as the specification writes)."""
        return {
            "payloadType": self.payload_type,
            "payload": base64.b64encode(self.payload).decode(),
            "signatures": [
                {"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode()} for s in self.signatures
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> Envelope:
        """Read an envelope's JSON form; :class:`EnvelopeError` says what is wrong."""
        if not isinstance(data, dict):
            raise EnvelopeError("not a JSON object")
        payload_type, payload = data.get("payloadType"), data.get("payload")
        signatures = data.get("signatures")
        if not isinstance(payload_type, str) or not isinstance(payload, str):
            raise EnvelopeError("payloadType and payload must be strings")
        if not isinstance(signatures, list) or not signatures:
            raise EnvelopeError("signatures must be a non-empty list")
        read: list[Signature] = []
        for index, item in enumerate(signatures):
            if not isinstance(item, dict) or not isinstance(item.get("sig"), str):
                raise EnvelopeError(f"signatures[{index}] has no sig")
            keyid = item.get("keyid", "")
            read.append(Signature(keyid if isinstance(keyid, str) else "", _b64(item["sig"])))
        return cls(payload_type, _b64(payload), tuple(read))


def _b64(text: str) -> bytes:
    """Standard base64, or URL-safe base64 (both are allowed by the specification)."""
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError("a value is not base64") from None


def subjects_of(document: Mapping[str, Any]) -> Sequence[tuple[str, str]]:
    """The (name, sha256) of each subject of a statement that names a SHA-256 digest."""
    found = []
    for subject in document.get("subject", []):
        if isinstance(subject, dict) and isinstance(subject.get("digest"), dict):
            digest = subject["digest"].get("sha256")
            if isinstance(digest, str):
                found.append((str(subject.get("name", "")), digest.lower()))
    return found
