"""``probe``: a measurement computed from data files by one of assay's probes.

``{kind: probe, probe: drift.psi, reference: ref.parquet, current: cur.parquet, column: income}``.
Files are relative to the spec. Within a process, each file is read once and each pair of
data sets is compared once, however many measurements use them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from threading import Lock
from typing import Any, ClassVar

from pydantic import ConfigDict, field_validator

from assay.collectors.base import CollectContext, CollectionError, Parameters, Traced
from assay.collectors.confinement import Confinement
from assay.files.tables import TableError, read_table
from assay.files.tables import file_digest as _digest
from assay.probes.catalog import PROBES, ProbeError, ProbeInputs
from assay.probes.drift import DatasetDrift
from assay.probes.table import ColumnError, Table

__all__ = ["ProbeCollector", "ProbeParameters", "compute_probe"]

_CACHE_SIZE = 16
_tables: OrderedDict[tuple[Any, ...], Table] = OrderedDict()
_drifts: OrderedDict[tuple[Any, ...], DatasetDrift] = OrderedDict()
_lock = Lock()
_key_locks: dict[tuple[Any, ...], Lock] = {}
ROLES = ("reference", "current", "predictions")


class ProbeParameters(Parameters):
    """``probe`` (a name from ``assay probe list``), the data files (``reference``,
    ``current``, ``predictions``) and the probe's own parameters (``column``, ``sensitive``,
    ``label``, …)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    probe: str
    reference: str | None = None
    current: str | None = None
    predictions: str | None = None
    model: str | None = None

    @field_validator("probe")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in PROBES:
            raise ValueError(f"unknown probe {name!r} (see assay probe list)")
        return name

    def probe_parameters(self) -> dict[str, Any]:
        """The parameters meant for the probe itself."""
        return dict(self.model_extra or {})


def _once(cache: OrderedDict[Any, Any], key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """``cache[key]``, computed by ``compute`` the first time. Measurements are collected in
    parallel: a second thread asking for the same key waits for the first one's result
    instead of computing it again."""
    with _lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        key_lock = _key_locks.setdefault(key, Lock())
    with key_lock:
        with _lock:
            if key in cache:
                return cache[key]
        value = compute()
        with _lock:
            cache[key] = value
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
            _key_locks.pop(key, None)
    return value


def _table(path: Path) -> Table:
    try:
        stat = path.stat()
    except OSError:
        raise CollectionError(f"no such file: {path}") from None

    def read() -> Table:
        try:
            return read_table(path)
        except TableError as error:
            raise CollectionError(str(error)) from None

    found: Table = _once(
        _tables, ("table", str(path.resolve()), stat.st_mtime_ns, stat.st_size), read
    )
    return found


def _model(path: Path) -> Any:
    """A model saved with joblib or pickle. Loading runs code from the file: only load models
    you trust (the same holds for joblib and pickle everywhere)."""
    import joblib

    try:
        return joblib.load(path)
    except FileNotFoundError:
        raise CollectionError(f"no such file: {path}") from None
    except Exception as error:  # unpickling raises whatever the pickled code raises
        raise CollectionError(
            f"cannot load the model {path}: {type(error).__name__}: {error}"
        ) from None


def compute_probe(
    name: str,
    files: dict[str, Path | None],
    parameters: dict[str, Any],
    model: Path | None = None,
) -> Traced:
    """Run probe ``name`` on the data files by role with ``parameters``; the inputs (and what
    they compute once, such as the drift of every column) are shared with earlier calls on the
    same files and parameters. :class:`CollectionError` says what went wrong."""
    probe = PROBES.get(name)
    if probe is None:
        raise CollectionError(f"unknown probe {name!r} (see assay probe list)")
    unknown = sorted(set(parameters) - set(probe.parameters))
    if unknown:
        takes = ", ".join(probe.parameters) or "none"
        raise CollectionError(f"{name} takes no parameter {', '.join(unknown)} (it takes {takes})")
    tables = {role: _table(path) for role, path in files.items() if path is not None}
    reference, current, predictions = (tables.get(role) for role in ROLES)
    loaded_model = _model(model) if model is not None else None
    inputs = ProbeInputs(reference, current, predictions, parameters, model=loaded_model)
    try:
        if probe.family == "drift":
            key = (
                *(tables[role].sha256 if role in tables else "" for role in ROLES),
                tuple(parameters.get("columns") or ()),
            )
            known = _once(_drifts, key, lambda: inputs.drift)
            inputs = ProbeInputs(reference, current, predictions, parameters, known, loaded_model)
        value = probe.compute(inputs)
    except (ProbeError, ColumnError, ValueError, KeyError) as error:
        raise CollectionError(f"{name}: {error}") from None
    inputs_used: dict[str, Any] = {
        role: {"path": table.source, "sha256": table.sha256, "rows": table.rows}
        for role, table in tables.items()
    }
    if model is not None:
        inputs_used["model"] = {"path": str(model), "sha256": _digest(model)}
    return Traced(value, {"probe": name, "inputs": inputs_used, "parameters": parameters})


class ProbeCollector:
    """Computes a probe on data files beside the spec."""

    kind: ClassVar[str] = "probe"
    parameters: ClassVar[type[Parameters]] = ProbeParameters

    def collect(self, parameters: ProbeParameters, context: CollectContext) -> Any:
        """The probe's value."""
        if context.confinement is not None:
            context.confined(
                self.confinement_problem(parameters, context.confinement, context.environ)
            )
        files = {
            role: context.resolve(value) if (value := getattr(parameters, role)) else None
            for role in ROLES
        }
        model = context.resolve(parameters.model) if parameters.model else None
        return compute_probe(parameters.probe, files, parameters.probe_parameters(), model)

    def confinement_problem(
        self, parameters: ProbeParameters, confinement: Confinement, environ: Mapping[str, str]
    ) -> str | None:
        """A data file outside the spec directory, or a pickled model not allowed."""
        if parameters.model is not None and (problem := confinement.model_problem()):
            return problem
        for role in (*ROLES, "model"):
            written = getattr(parameters, role)
            if written is not None and (problem := confinement.path_problem(written)):
                return problem
        return None

    def describe(self, parameters: ProbeParameters) -> str:
        """``probe:NAME(file, …; parameter=value, …)``."""
        files = [getattr(parameters, r) for r in (*ROLES, "model") if getattr(parameters, r)]
        extra = [f"{k}={v}" for k, v in sorted(parameters.probe_parameters().items())]
        inside = ", ".join(files) + ("; " + ", ".join(extra) if extra else "")
        return f"probe:{parameters.probe}({inside})"
