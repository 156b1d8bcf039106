"""What people record beside runs: attestations, waivers, certificates; and reading status.

Each action is checked against the specification and the ledger first and then appended as one
ledger entry; a refused action stores nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from assay.audit.datatypes import DATA_TYPES, ValueMismatchError
from assay.audit.run_model import RunModel
from assay.audit.spec import Element, Measurement, walk
from assay.audit.status import Status, conformity_status
from assay.errors import GateFailedError, InvalidInputError, shorten
from assay.files.documents import parse_yaml_value
from assay.files.spec import LoadedSpec
from assay.names import check_name, check_target
from assay.store import Store
from assay.store.audit_log import (
    CERTIFICATE,
    WAIVER,
    AuditLog,
    attestation_record,
    status_change,
)

__all__ = [
    "StatusRow",
    "attest",
    "certificate_state",
    "certify",
    "current_statuses",
    "parse_expiry",
    "revoke",
    "suspend",
    "waive",
]

_DURATION = TypeAdapter(timedelta)


def parse_expiry(text: str, now: datetime, option: str = "--expires") -> datetime:
    """An expiry given as an ISO 8601 duration from ``now`` (``P90D``) or a date or date-time
    (``2027-03-31``: the end of that day, UTC). It must lie in the future."""
    moment: datetime
    if text.upper().startswith("P"):
        try:
            moment = now + _DURATION.validate_python(text)
        except ValidationError:
            raise InvalidInputError(
                f"{shorten(text, 60)!r} is not a duration",
                source=option,
                expected="P90D, PT12H or a date",
            ) from None
        except OverflowError:
            raise InvalidInputError(
                f"{shorten(text, 60)} reaches beyond the year 9999",
                source=option,
                expected="a shorter duration, or a date",
            ) from None
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(
                f"{shorten(text, 60)!r} is not a date",
                source=option,
                expected="2027-03-31, or a duration P90D",
            ) from None
        if len(text) == 10:  # a date: valid through that day
            moment = datetime.combine(date.fromisoformat(text), time.max)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    if moment <= now:
        raise InvalidInputError(
            f"{text} is not in the future", source=option, expected="a later date or a duration"
        )
    return moment


def _element(loaded: LoadedSpec, element_id: str) -> Element:
    for _, element in walk(loaded.spec):
        if element.id == element_id:
            return element
    known = ", ".join(element.id for _, element in walk(loaded.spec))
    raise InvalidInputError(
        f"{loaded.spec.id} has no element {element_id!r}",
        source="ELEMENT",
        expected=f"one of: {known}",
    )


def _attested_value(element: Element, text: str) -> Any:
    value = parse_yaml_value(text, "--value") if text.strip() else text
    if isinstance(element, Measurement):
        data_type = DATA_TYPES.get(element.data_type)
        assert data_type is not None
        try:
            data_type.read(value, element.scale or [])
        except ValueMismatchError as error:
            raise InvalidInputError(
                str(error), source="--value", expected=f"a {data_type.name} value"
            ) from None
        return value
    boolean = DATA_TYPES.get("boolean")
    assert boolean is not None
    try:
        return "pass" if boolean.read(value, []) else "fail"
    except ValueMismatchError:
        raise InvalidInputError(
            f"{text!r} is not a verdict", source="--value", expected="pass or fail"
        ) from None


def attest(
    store: Store,
    loaded: LoadedSpec,
    element_id: str,
    *,
    by: str,
    value: str,
    evidence: list[str],
    expires: str,
    target: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Record a person's value (for a measurement) or verdict (for any other element), with
    evidence links and an expiry; returns the stored payload."""
    check_name(by, source="--by", what="name of who attests")
    if target is not None:
        check_target(target, source="--target")
    element = _element(loaded, element_id)
    payload = {
        "spec": loaded.spec.id,
        "element": element.id,
        "target": target,
        "by": by,
        "value": _attested_value(element, value),
        "evidence": evidence,
        "expires": parse_expiry(expires, now).isoformat(),
        "attested_at": now.isoformat(),
    }
    store.ledger.append_many([attestation_record(payload, loaded.hidden)])
    return payload


def waive(
    store: Store,
    loaded: LoadedSpec,
    element_id: str,
    *,
    by: str,
    justification: str,
    expires: str,
    target: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Record a known failure of an element as accepted until a date; returns the payload."""
    check_name(by, source="--by", what="name of who waives")
    if target is not None:
        check_target(target, source="--target")
    element = _element(loaded, element_id)
    if not justification.strip():
        raise InvalidInputError(
            "the justification is empty", source="--justification", expected="why it is accepted"
        )
    payload = {
        "spec": loaded.spec.id,
        "element": element.id,
        "target": target,
        "by": by,
        "justification": justification,
        "expires": parse_expiry(expires, now).isoformat(),
        "granted": now.isoformat(),
    }
    store.ledger.append(WAIVER, payload)
    return payload


@dataclass(frozen=True)
class StatusRow:
    """The conformity status of a (spec, target) now, why, and its certificates."""

    spec: str
    target: str
    status: Status
    reason: str
    last_run: str | None
    last_verdict: str | None
    certificates: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """As JSON."""
        return {
            "spec": self.spec,
            "target": self.target,
            "status": self.status.value,
            "reason": self.reason,
            "last_run": self.last_run,
            "last_verdict": self.last_verdict,
            "certificates": self.certificates,
        }


def current_statuses(store: Store, now: datetime, *, record: bool = True) -> list[StatusRow]:
    """The status of every (spec, target) that has runs, at ``now``; with ``record``, a status
    that has changed since it was recorded (evidence expired) is appended to the ledger."""
    log = AuditLog(store.ledger)
    # Only a recording pass takes the write lock; readers (pages, metrics) read a snapshot.
    transaction = store.database.writing() if record else store.database.snapshot()
    with transaction as conn:
        runs = log.runs(conn=conn)
        latest: dict[tuple[str, str], RunModel] = {}
        for run in runs:
            latest[(run.spec.id, run.target)] = run
        recorded = log.statuses(conn)
        certificates = log.certificates(conn)
        rows, changes = [], []
        for (spec, target), run in sorted(latest.items()):
            status, reason = conformity_status(run, now)
            before = recorded.get((spec, target))
            if before is None or before["status"] != status.value:
                previous = before["status"] if before else None
                changes.append(
                    status_change(
                        spec,
                        target,
                        status.value,
                        previous,
                        reason,
                        run.run_id,
                        now.isoformat(),
                    )
                )
            held = {
                certificate: certificate_state(state, now)
                for certificate, state in certificates.items()
                if state["spec"] == spec and state["target"] == target
            }
            rows.append(StatusRow(spec, target, status, reason, run.run_id, run.verdict, held))
        if changes and record:
            store.ledger.append_in(conn, changes)
    return rows


def certificate_state(state: dict[str, Any], now: datetime) -> str:
    """A certificate's state at ``now``: active, suspended, revoked, or expired when an active
    one has passed its validity."""
    if state["state"] == "active" and datetime.fromisoformat(state["valid_until"]) <= now:
        return "expired"
    return str(state["state"])


def certify(
    store: Store,
    loaded: LoadedSpec,
    target: str,
    *,
    valid_for: str,
    by: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Issue a certificate for ``target`` when it is conformant to this very specification (the
    last run passed, its evidence is current, and it ran this content); returns the payload."""
    if by is not None:
        check_name(by, source="--by", what="name of who certifies")
    check_target(target, source="--target")
    valid_until = parse_expiry(valid_for, now, "--valid-for")
    log = AuditLog(store.ledger)
    with store.database.writing() as conn:
        runs = log.runs(loaded.spec.id, target, conn)
        last = runs[-1] if runs else None
        status, reason = conformity_status(last, now)
        if status is not Status.conformant or last is None:
            raise GateFailedError(
                f"{target} is {status.value} to {loaded.spec.id} ({reason}); no certificate issued",
                source="assay audit certify",
                expected="a passing run with current evidence first (assay audit run)",
            )
        if last.spec.hash != loaded.hash:
            raise GateFailedError(
                f"the last run of {target} used another version of the spec "
                f"(sha256 {last.spec.hash[:12]}, this file {loaded.hash[:12]})",
                source="assay audit certify",
                expected="a run of this specification first",
            )
        payload = {
            "event": "issued",
            "certificate": f"cert-{uuid.uuid4().hex[:12]}",
            "spec": loaded.spec.id,
            "spec_hash": loaded.hash,
            "target": target,
            "run_id": last.run_id,
            "issued_by": by,
            "valid_until": valid_until.isoformat(),
            "at": now.isoformat(),
        }
        store.ledger.append_in(conn, [(CERTIFICATE, payload)])
    return payload


def revoke(store: Store, certificate: str, *, reason: str, now: datetime) -> dict[str, Any]:
    """Revoke a certificate (active or suspended) for a stated reason; returns the payload."""
    return _certificate_event(
        store, certificate, "revoked", {"active", "suspended"}, {"reason": reason}, now
    )


def suspend(
    store: Store, certificate: str, *, reason: str, by: str | None, now: datetime
) -> dict[str, Any]:
    """Suspend an active certificate for a stated reason (a certifier's decision, or the
    server's when the target stops conforming); returns the payload."""
    return _certificate_event(
        store, certificate, "suspended", {"active"}, {"reason": reason, "by": by}, now
    )


def _certificate_event(
    store: Store,
    certificate: str,
    event: str,
    allowed_from: set[str],
    details: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Append ``event`` for ``certificate`` if its state now is one of ``allowed_from``."""
    log = AuditLog(store.ledger)
    with store.database.writing() as conn:
        state = log.certificates(conn).get(certificate)
        if state is None:
            raise InvalidInputError(
                f"no certificate {certificate!r}",
                source="CERTIFICATE",
                expected="an id listed by assay audit certificates",
            )
        if state["state"] not in allowed_from:
            raise InvalidInputError(
                f"{certificate} is {state['state']} already"
                if state["state"] == event
                else f"{certificate} is {state['state']}",
                source="CERTIFICATE",
                expected=f"an {' or '.join(sorted(allowed_from))} certificate",
            )
        payload = {
            "event": event,
            "certificate": certificate,
            "spec": state["spec"],
            "target": state["target"],
            **details,
            "at": now.isoformat(),
        }
        store.ledger.append_in(conn, [(CERTIFICATE, payload)])
    return payload
