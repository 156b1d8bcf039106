"""Runs started by events: a CloudEvent names an event type and a target; a model registry
names a model and its new version. Each starts the registered specs that listen.

- A spec listens to an event when one of its requirements names it in ``frequency.on``
  (``model_registered``); a CloudEvent type matches the name itself or ends with ``.NAME``
  (``io.mlflow.model_registered``).
- A registration that follows a model (``model: NAME``) runs on every new version of it, on the
  target ``NAME@VERSION``, registered with the same mode when it is first seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assay.audit.spec import Requirement, walk
from assay.collectors.confinement import Confinement
from assay.files.spec import LoadedSpec
from assay.services.audit_runs import RunRecord, run_audit
from assay.services.registrations import Registration, register_target, registrations, stored_spec
from assay.store import Store

__all__ = ["event_matches", "listens_to", "run_triggered"]


def event_matches(event_type: str, name: str) -> bool:
    """A CloudEvent ``type`` stands for the event ``name``."""
    return event_type == name or event_type.endswith("." + name)


def listens_to(loaded: LoadedSpec, event_type: str) -> bool:
    """Some requirement of the spec is evaluated on this event."""
    return any(
        event_matches(event_type, name)
        for _, element in walk(loaded.spec)
        if isinstance(element, Requirement)
        for name in element.events
    )


def run_triggered(
    store: Store,
    spec_dir: Path,
    event_type: str,
    *,
    target: str | None,
    model: str | None = None,
    trigger: Mapping[str, Any],
    confinement: Confinement | None = None,
) -> list[tuple[Registration, RunRecord]]:
    """Run every registered spec that this event starts (see the module) on its target, once
    per spec (within ``confinement`` on the server); each registration with the record of its
    run, in registration order."""
    started: dict[str, tuple[Registration, LoadedSpec]] = {}
    for registration in registrations(store):
        if registration.spec in started:
            continue
        loaded = stored_spec(store, registration.spec, registration.spec_hash, spec_dir)
        follows_model = model is not None and registration.model == model
        listens = registration.target == target and listens_to(loaded, event_type)
        if follows_model or listens:
            started[registration.spec] = (registration, loaded)
    records = []
    for registration, loaded in started.values():
        run_target = target or registration.target
        if run_target != registration.target:
            register_target(
                store,
                loaded,
                run_target,
                mode=registration.mode,
                model=registration.model,
                by=f"event {event_type}",
                now=datetime.now(UTC),
                promote=registration.promote,
                rollback=registration.rollback,
            )
        record = run_audit(
            store, loaded, run_target, trigger=dict(trigger), confinement=confinement
        )
        records.append((registration, record))
    return records
