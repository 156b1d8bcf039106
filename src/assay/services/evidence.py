"""Pushing evidence: values an auditee measured, checked against the specification and
evaluated at once, with the values a later one of the same measurement superseded kept beside
the run (docs/server.md, "Pushing evidence")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assay.audit.datatypes import DATA_TYPES, ValueMismatchError
from assay.audit.run_model import RunModel
from assay.audit.spec import Measurement, walk
from assay.collectors.confinement import Confinement
from assay.errors import InvalidInputError
from assay.files.spec import LoadedSpec
from assay.reports.audit_json import jsonable
from assay.services.audit_runs import PushedValue, RunRecord, run_audit
from assay.store import Store
from assay.store.audit_log import BeforeRun, batch_record
from assay.store.ledger import Record

__all__ = ["MAX_PROBLEMS", "EvidenceRefusedError", "PushedEvidence", "evidence_problems", "push"]

MAX_PROBLEMS = 1000  # listed in an error; the message shows the first 20
_SHOWN = 20


@dataclass(frozen=True)
class PushedEvidence:
    """One value as an auditee pushes it: the measurement's id, the value, when it was measured
    (None: when it is received) and its provenance (model version, data hash, commit, …)."""

    measurement: str
    value: Any
    measured_at: datetime | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)


class EvidenceRefusedError(InvalidInputError):
    """A batch of pushed values was refused whole; ``problems`` says where and why."""


def evidence_problems(loaded: LoadedSpec, values: Sequence[PushedEvidence]) -> list[str]:
    """Each pushed value that names no measurement of the spec or cannot be read as its
    measurement's data type, with its place in the batch (``values[3].value: …``)."""
    measurements = {
        element.id: element for _, element in walk(loaded.spec) if isinstance(element, Measurement)
    }
    readers = {}
    for key, measurement in measurements.items():
        data_type = DATA_TYPES.get(measurement.data_type)
        assert data_type is not None  # checked when the spec was loaded
        readers[key] = (data_type, measurement.scale or [])
    problems = []
    for index, item in enumerate(values):
        reader = readers.get(item.measurement)
        if reader is None:
            problems.append(
                f"values[{index}].measurement: {item.measurement!r} is not a measurement of "
                f"{loaded.spec.id} (known: {', '.join(measurements)})"
            )
            continue
        reads, scale = reader
        try:
            reads.read(item.value, scale)
        except ValueMismatchError as error:
            problems.append(f"values[{index}].value: {error}")
    return problems


def push(
    store: Store,
    loaded: LoadedSpec,
    target: str,
    values: Sequence[PushedEvidence],
    *,
    by: str,
    confinement: Confinement | None = None,
    prior: BeforeRun | None = None,
) -> RunRecord:
    """Check every value, then evaluate the spec on ``target`` with the pushed values standing
    for their measurements, and store the run. The last value of a measurement is evaluated;
    the earlier ones are kept, with their provenance, in one ``audit.measurement_batch`` entry
    of the run. One bad value refuses the batch (:class:`EvidenceRefusedError`), and then
    nothing is stored. ``prior``: what the run reads of the ledger first, when the caller
    read it with the spec (:func:`~assay.services.registrations.audited_version`)."""
    problems = evidence_problems(loaded, values)
    if problems:
        shown = problems[:_SHOWN]
        more = f"; and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise EvidenceRefusedError(
            "; ".join(shown) + more, source="values", problems=problems[:MAX_PROBLEMS]
        )
    latest: dict[str, PushedValue] = {}
    earlier: list[tuple[str, PushedValue]] = []
    for item in values:
        pushed = _pushed(item)
        if item.measurement in latest:
            earlier.append((item.measurement, latest[item.measurement]))
        latest[item.measurement] = pushed

    def keep_earlier(run: RunModel) -> list[Record]:
        """Values superseded within the batch are evidence too: stored, not evaluated."""
        about = {"run_id": run.run_id, "spec": loaded.spec.id, "target": target}
        return [batch_record(about, _superseded(earlier), loaded.hidden)]

    return run_audit(
        store,
        loaded,
        target,
        pushed=latest,
        trigger={"kind": "push", "by": by, "values": len(values)},
        also_chained=keep_earlier if earlier else None,
        confinement=confinement,
        prior=prior,
    )


def _pushed(item: PushedEvidence) -> PushedValue:
    measured = item.measured_at
    if measured is not None and measured.tzinfo is None:
        measured = measured.replace(tzinfo=UTC)
    return PushedValue(
        jsonable(item.value),
        dict(item.provenance),
        measured.isoformat(timespec="milliseconds") if measured else None,
    )


def _superseded(earlier: list[tuple[str, PushedValue]]) -> list[dict[str, Any]]:
    """The values of the batch that a later value of the same measurement superseded, kept in
    one ledger item: chained like any entry, at a fraction of the cost of one each."""
    return [
        {
            "element": element,
            "value": pushed.value,
            "measured_at": pushed.measured_at,
            **({"metadata": pushed.provenance} if pushed.provenance else {}),
        }
        for element, pushed in earlier
    ]
