"""``probe``: a measurement computed from data files by one of assay's probes.

``{kind: probe, probe: drift.psi, reference: ref.parquet, current: cur.parquet, column: income}``.
Files are relative to the spec. Within a process, each file is read once and each pair of
data sets is compared once, however many measurements use them.

``engine`` chooses how: ``memory`` (the default: the files are read into memory), ``duckdb``
(DuckDB scans the files and aggregates out of core, for data sets larger than memory; the
drift and data-quality probes), ``spark`` (Spark, in local mode or on the cluster pyspark is
pointed at; the same probes) or ``auto`` (duckdb when the probe has it and the data sets
would take more than half of the machine's memory, or ``ASSAY_PROBE_MEMORY_BUDGET`` bytes).
Every engine gives the same figures.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from threading import Lock
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, field_validator

from assay.collectors.base import CollectContext, CollectionError, Parameters, Traced
from assay.collectors.confinement import Confinement
from assay.files.tables import TableError, parquet_parts, read_table
from assay.files.tables import file_digest as _digest
from assay.probes.catalog import PROBES, ProbeError, ProbeInputs, drift_columns
from assay.probes.drift import DatasetDrift
from assay.probes.table import ColumnError, Table

__all__ = [
    "DUCKDB_PROBES",
    "ENGINES",
    "ENGINE_PROBES",
    "Engine",
    "ProbeCollector",
    "ProbeParameters",
    "choose_engine",
    "compute_probe",
    "engine_functions",
]

Engine = Literal["memory", "duckdb", "spark", "auto"]
ENGINES: tuple[str, ...] = ("memory", "duckdb", "spark", "auto")
_DRIFT_BY_DUCKDB = (
    "drift.ks_statistic",
    "drift.ks_p_value",
    "drift.wasserstein",
    "drift.wasserstein_normalized",
    "drift.psi",
    "drift.jensen_shannon",
    "drift.chi2_p_value",
    "drift.unseen_categories",
    "drift.drifted",
    "drift.share",
    "drift.dataset",
    "drift.prediction",
)
_QUALITY_BY_DUCKDB = (
    "quality.rows",
    "quality.missing_ratio",
    "quality.duplicate_ratio",
    "quality.outlier_ratio",
    "quality.constant_columns",
)
DUCKDB_PROBES = frozenset(_DRIFT_BY_DUCKDB + _QUALITY_BY_DUCKDB)
# The probes each engine other than memory computes (memory computes them all).
ENGINE_PROBES: dict[str, frozenset[str]] = {"duckdb": DUCKDB_PROBES, "spark": DUCKDB_PROBES}

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
    engine: Engine = "memory"

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
        # A directory's parts each: a part rewritten in place leaves the directory's own
        # time and size as they were.
        stamps = tuple(
            (str(part.resolve()), (stat := part.stat()).st_mtime_ns, stat.st_size)
            for part in parquet_parts(path)
        )
    except OSError:
        raise CollectionError(f"no such file: {path}") from None
    except TableError as error:
        raise CollectionError(str(error)) from None

    def read() -> Table:
        try:
            return read_table(path)
        except TableError as error:
            raise CollectionError(str(error)) from None

    found: Table = _once(_tables, ("table", stamps), read)
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


BUDGET_VARIABLE = "ASSAY_PROBE_MEMORY_BUDGET"


def _memory_budget() -> int:
    """The bytes the memory engine may use: ``ASSAY_PROBE_MEMORY_BUDGET`` when set, else half
    of the machine's physical memory."""
    configured = os.environ.get(BUDGET_VARIABLE, "").strip()
    if configured.isdigit():
        return int(configured)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def choose_engine(engine: str, name: str, files: Mapping[str, Path | None]) -> str:
    """The engine that runs probe ``name``: ``engine``, or for ``auto`` duckdb when the probe
    has it and the files would take more than the memory budget (half of the memory, or
    ``ASSAY_PROBE_MEMORY_BUDGET`` bytes) at about three times their uncompressed size (the
    columns, their sorted copies, the merge), memory otherwise."""
    if engine not in ENGINES:
        raise CollectionError(f"unknown engine {engine!r}; expected {', '.join(ENGINES)}")
    if engine in ENGINE_PROBES and name not in ENGINE_PROBES[engine]:
        raise CollectionError(
            f"{name} has no {engine} engine (it has: the drift probes and quality.rows, "
            "missing_ratio, duplicate_ratio, outlier_ratio, constant_columns); use memory"
        )
    if engine != "auto":
        return engine
    if name not in DUCKDB_PROBES:
        return "memory"
    from assay.files.duckdb_tables import estimated_memory

    try:
        needed = 3 * sum(estimated_memory(path) for path in files.values() if path is not None)
    except (OSError, ValueError):
        return "memory"  # the memory engine reports the unreadable file
    return "duckdb" if needed > _memory_budget() else "memory"


def compute_probe(
    name: str,
    files: dict[str, Path | None],
    parameters: dict[str, Any],
    model: Path | None = None,
    engine: str = "memory",
) -> Traced:
    """Run probe ``name`` on the data files by role with ``parameters`` on ``engine``; the
    inputs (and what they compute once, such as the drift of the columns) are shared with
    earlier calls on the same files and parameters. :class:`CollectionError` says what went
    wrong."""
    probe = PROBES.get(name)
    if probe is None:
        raise CollectionError(f"unknown probe {name!r} (see assay probe list)")
    unknown = sorted(set(parameters) - set(probe.parameters))
    if unknown:
        takes = ", ".join(probe.parameters) or "none"
        raise CollectionError(f"{name} takes no parameter {', '.join(unknown)} (it takes {takes})")
    chosen = choose_engine(engine, name, files)
    if chosen != "memory":
        return _compute_on_engine(chosen, name, files, parameters)
    tables = {role: _table(path) for role, path in files.items() if path is not None}
    reference, current, predictions = (tables.get(role) for role in ROLES)
    loaded_model = _model(model) if model is not None else None
    inputs = ProbeInputs(reference, current, predictions, parameters, model=loaded_model)
    try:
        if probe.family == "drift":
            wanted = _wanted(parameters, reference, current)
            key = (*(tables[role].sha256 if role in tables else "" for role in ROLES), wanted)
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
    return Traced(
        value,
        {"probe": name, "engine": "memory", "inputs": inputs_used, "parameters": parameters},
    )


def _wanted(parameters: Mapping[str, Any], reference: Any, current: Any) -> tuple[str, ...] | None:
    """The drift columns a probe needs (:func:`~assay.probes.catalog.drift_columns`), as a
    key of the drifts computed once: None, every column, is not the empty tuple, none."""
    if reference is None or current is None:
        return None  # the probe says which data it needs
    wanted = drift_columns(parameters, reference, current)
    return None if wanted is None else tuple(wanted)


def engine_functions(engine: str) -> tuple[Callable[..., Any], Callable[..., DatasetDrift]]:
    """How ``engine`` (duckdb or spark) opens files (a context manager giving a table per
    role, :class:`~assay.files.tables.TableError` for a file it cannot read) and computes the
    drift of two of its tables."""
    if engine == "spark":
        from assay.files.spark_tables import spark_tables
        from assay.probes.spark_engine import spark_drift

        return spark_tables, spark_drift
    from assay.files.duckdb_tables import duck_tables
    from assay.probes.duckdb_engine import duck_drift

    return duck_tables, duck_drift


def _compute_on_engine(
    engine: str, name: str, files: Mapping[str, Path | None], parameters: dict[str, Any]
) -> Traced:
    given = {role: path for role, path in files.items() if path is not None}
    probe = PROBES[name]
    try:
        digests = {role: _digest(path) for role, path in given.items()}
    except OSError:
        absent = next(path for path in given.values() if not path.is_file() and not path.is_dir())
        raise CollectionError(f"no such file: {absent}") from None
    except TableError as error:
        raise CollectionError(str(error)) from None
    open_tables, drift_of = engine_functions(engine)
    try:
        with open_tables(given) as tables:
            rows = {role: table.rows for role, table in tables.items()}
            if probe.family == "drift":
                reference, current = tables.get("reference"), tables.get("current")
                if reference is None or current is None:
                    role = "reference" if reference is None else "current"
                    raise ProbeError(
                        f"this probe needs the {role} data (--{role} FILE, or {role}: in the spec)"
                    )
                wanted = _wanted(parameters, reference, current)
                key = (engine, *(digests[role] for role in ("reference", "current")), wanted)
                drift = _once(_drifts, key, lambda: drift_of(reference, current, wanted))
                value = probe.compute(ProbeInputs(parameters=parameters, known_drift=drift))
            else:
                data = tables.get("current") or tables.get("reference")
                if data is None:
                    raise ProbeError("this probe needs the current data (--current FILE)")
                value = _engine_quality(name, data, parameters)
    except TableError as error:  # a ValueError too: it names its file, not the probe
        raise CollectionError(str(error)) from None
    except (ProbeError, ColumnError, ValueError, KeyError) as error:
        raise CollectionError(f"{name}: {error}") from None
    inputs_used = {
        role: {"path": str(path), "sha256": digests[role], "rows": rows[role]}
        for role, path in given.items()
    }
    return Traced(
        value,
        {"probe": name, "engine": engine, "inputs": inputs_used, "parameters": parameters},
    )


def _engine_quality(name: str, data: Any, parameters: Mapping[str, Any]) -> Any:
    """A data-quality probe computed by an engine's table (see :data:`ENGINE_PROBES`)."""
    column = parameters.get("column")
    if name == "quality.rows":
        return data.rows
    if name == "quality.missing_ratio":
        if column is None:
            return data.missing_ratios()
        data.require([column])
        return data.missing_ratios([column])[column]
    if name == "quality.duplicate_ratio":
        return data.duplicate_ratio(parameters.get("columns"))
    if name == "quality.outlier_ratio":
        if column is None:
            raise ProbeError("this probe needs the parameter 'column'")
        data.require([column])
        return data.outlier_ratio(column, parameters.get("method") or "iqr")
    return data.constant_columns()


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
        return compute_probe(
            parameters.probe, files, parameters.probe_parameters(), model, parameters.engine
        )

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
