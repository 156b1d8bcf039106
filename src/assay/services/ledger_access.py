"""What each reader of the evidence ledger receives: the trust rules of docs/server.md applied
to ledger entries, wherever they leave assay (the Audit API, exports, the dashboard).

- A reader with internal access (an administrator, an auditor token made with ``--internal``,
  the local command line) receives every entry with the disclosures of its sealed values.
- Any other reader receives sealed values sealed: the entry verifies, the value stays secret.
  Entries written before sealing existed (format 1) that hold a confidential value are served
  as stubs, since nothing in them is sealed.
- A reader limited to one spec or target (a scoped token) receives the entries of that spec or
  target; every other entry is a stub (its place in the chain and its hashes, no content).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from assay.audit.confidentiality import (
    ATTESTATION_SECRET_KEYS,
    hidden_elements,
    hidden_run_paths,
    hidden_spec_paths,
    measurement_paths,
)
from assay.store import Store
from assay.store.audit_log import (
    ATTESTATION,
    MEASUREMENT,
    MEASUREMENT_BATCH,
    RUN,
    SPEC,
    AuditLog,
)
from assay.store.chain import LedgerEntry
from assay.store.tokens import Role, Token

__all__ = ["FULL_ACCESS", "LedgerReader", "entry_subject", "ledger_view"]


@dataclass(frozen=True)
class LedgerReader:
    """Who reads: whether they may see confidential values, and the one spec or target they
    are limited to (None: all)."""

    internal: bool
    scope: str | None = None

    @classmethod
    def of(cls, token: Token) -> LedgerReader:
        """The reader a token stands for (administrators see everything)."""
        return cls(token.role is Role.admin or token.internal, token.scope)

    @property
    def redacted(self) -> bool:
        """This reader receives less than everything."""
        return not self.internal or self.scope is not None


FULL_ACCESS = LedgerReader(internal=True)


def entry_subject(kind: str, payload: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """The (spec, target) an entry is about; (None, None) for entries about neither
    (maturity rounds, tokens). Read from fields that are never sealed."""
    if not isinstance(payload, Mapping):
        return None, None
    if kind == SPEC:
        spec_id = payload.get("id")
        return (spec_id if isinstance(spec_id, str) else None), None
    spec = payload.get("spec")
    if isinstance(spec, Mapping):
        spec = spec.get("id")
    target = payload.get("target")
    if kind == "mlflow.alias" and payload.get("model") is not None:
        target = f"{payload.get('model')}@{payload.get('audited_version')}"
    return (
        spec if isinstance(spec, str) else None,
        target if isinstance(target, str) else None,
    )


def _in_scope(reader: LedgerReader, entry: LedgerEntry) -> bool:
    if reader.scope is None:
        return True
    spec, target = entry_subject(entry.kind, entry.payload)
    return reader.scope in (spec, target)


class _FormatOneSecrets:
    """Whether an entry of format 1 holds a confidential value, by the same rules that seal
    the values of newer entries; element records are judged by every stored version of their
    spec (an element confidential in any version counts as confidential)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._hidden: dict[str, set[str]] | None = None

    def hidden(self, spec_id: Any) -> set[str]:
        if self._hidden is None:
            self._hidden = {}
            for _, payload in AuditLog(self._store.ledger).payloads(SPEC):
                document = payload.get("document")
                if isinstance(document, Mapping):
                    found = self._hidden.setdefault(str(payload.get("id")), set())
                    found |= hidden_elements(document)
        return self._hidden.get(str(spec_id), set())

    def holds_secrets(self, entry: LedgerEntry) -> bool:
        payload = entry.payload
        if payload is None:
            return False
        if entry.kind == RUN:
            return bool(hidden_run_paths(payload))
        if entry.kind == SPEC:
            document = payload.get("document")
            return isinstance(document, Mapping) and bool(hidden_spec_paths(document))
        if entry.kind in (MEASUREMENT, MEASUREMENT_BATCH):
            return bool(measurement_paths(payload, self.hidden(payload.get("spec"))))
        if entry.kind == ATTESTATION:
            hidden = self.hidden(payload.get("spec"))
            return bool(measurement_paths(payload, hidden, ATTESTATION_SECRET_KEYS))
        return False


def ledger_view(store: Store, reader: LedgerReader) -> Callable[[LedgerEntry], LedgerEntry]:
    """A function that turns each entry of ``store``'s ledger into what ``reader`` receives
    (see the module)."""
    format_one = _FormatOneSecrets(store)

    def view(entry: LedgerEntry) -> LedgerEntry:
        if not _in_scope(reader, entry):
            return entry.stub()
        if reader.internal:
            return entry
        if entry.payload_hash is None and format_one.holds_secrets(entry):
            return entry.stub()
        return entry.sealed_only()

    return view
