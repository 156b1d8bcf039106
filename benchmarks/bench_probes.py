"""Drift and data-quality probes side by side with Evidently and a bare numpy pass.

Seeded reference and current frames of N rows x 20 numeric and 5 categorical columns (the
current one shifted in some columns). In one run, each contender runs in its own process, so
that its peak memory is its own:

- assay: the drift of every column (what ``drift.share`` computes) and the data-quality probes
  (missing ratios, duplicate ratio, IQR outliers of every numeric column, constant columns,
  correlated pairs) on the current frame;
- assay-duckdb, assay-spark: the same drift and quality probes by the DuckDB and Spark
  (local mode) engines, which read the frames written as Parquet files themselves; Spark's
  JVM is started before the clock, and its peak memory (a process of its own) is listed in
  the outcome;
- Evidently: ``Report([DataDriftPreset()])`` on the same frames;
- numpy: sorting each numeric column of both frames once (the floor for rank statistics).

Prints seconds, peak resident memory and the ratios; writes the table to
``benchmarks/results/probes.md``.

    python benchmarks/bench_probes.py [--rows 1000000] [--only assay]
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NUMERIC, CATEGORICAL = 20, 5
RESULTS = Path(__file__).parent / "results" / "probes.md"


def data_set(rng: np.random.Generator, rows: int, shifted: bool) -> pa.Table:
    """Normal columns (a few shifted in the current data) and categorical columns with four to
    eight values."""
    columns: dict[str, Any] = {}
    for i in range(NUMERIC):
        shift = 0.3 * (i % 4 == 0) if shifted else 0.0
        columns[f"x{i}"] = rng.normal(shift, 1.0 + 0.1 * i, rows)
    for j in range(CATEGORICAL):
        values = np.array([f"c{k}" for k in range(4 + j)])
        weights = np.linspace(1, 2 if shifted and j == 0 else 1, values.size)
        columns[f"cat{j}"] = values[rng.choice(values.size, rows, p=weights / weights.sum())]
    return pa.table(columns)


def frames(rows: int, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    """The reference and current data sets (see :func:`data_set`)."""
    rng = np.random.default_rng(seed)
    return data_set(rng, rows, False), data_set(rng, rows, True)


def run_assay(reference: pa.Table, current: pa.Table) -> dict[str, Any]:
    from assay.probes import quality
    from assay.probes.catalog import ProbeInputs
    from assay.probes.table import Table

    ref, cur = Table(reference, "reference"), Table(current, "current")
    drift = ProbeInputs(ref, cur).drift
    numeric = [c for c in cur.columns if cur.is_numeric(c)]
    checks = {
        "missing": quality.missing_ratios(cur),
        "duplicates": quality.duplicate_ratio(cur),
        "outliers": {c: quality.outlier_ratio(cur, c) for c in numeric},
        "constant": quality.constant_columns(cur),
        "correlated": quality.correlated_pairs(cur),
    }
    return {"drifted_columns": sum(c.drifted for c in drift.columns), "checks": len(checks)}


def run_evidently(reference: pa.Table, current: pa.Table) -> dict[str, Any]:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()]).run(current.to_pandas(), reference.to_pandas())
    result = snapshot.dict()
    count = next(m for m in result["metrics"] if "DriftedColumnsCount" in m["config"]["type"])
    return {"drifted_columns": int(count["value"]["count"])}


def run_engine(engine: str, directory: Path) -> dict[str, Any]:
    """One of assay's engines over files (duckdb, spark) on the same data as Parquet files,
    read by the engine itself (the frames are never in this process's memory)."""
    from assay.collectors.probe import engine_functions

    open_tables, drift_of = engine_functions(engine)
    files = {role: directory / f"{role}.parquet" for role in ("reference", "current")}
    with open_tables(files) as tables:
        ref, cur = tables["reference"], tables["current"]
        drift = drift_of(ref, cur)
        numeric = [c for c in cur.columns if cur.is_numeric(c)]
        checks = {
            "missing": cur.missing_ratios(),
            "duplicates": cur.duplicate_ratio(),
            "outliers": {c: cur.outlier_ratio(c) for c in numeric},
            "constant": cur.constant_columns(),
        }
    return {"drifted_columns": sum(c.drifted for c in drift.columns), "checks": len(checks)}


def _jvm_peak_mib() -> float | None:
    """The peak resident memory of Spark's JVM (a process of its own), when it runs."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    process = getattr(gateway, "proc", None)
    if process is None:
        return None
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def run_numpy(reference: pa.Table, current: pa.Table) -> dict[str, Any]:
    for table in (reference, current):
        for name in table.column_names[:NUMERIC]:
            np.sort(table.column(name).to_numpy())
    return {"sorted_columns": 2 * NUMERIC}


CONTENDERS: dict[str, Any] = {
    "assay": run_assay,
    "assay-duckdb": lambda directory: run_engine("duckdb", directory),
    "assay-spark": lambda directory: run_engine("spark", directory),
    "evidently": run_evidently,
    "numpy": run_numpy,
}
# Imported before the clock starts: start-up is not what is compared.
IMPORTS = {
    "assay": [
        "assay.probes.catalog",
        "assay.probes.quality",
        "scipy.stats",  # imported on first use by the drift probes
        "scipy.spatial.distance",
    ],
    "evidently": ["evidently", "evidently.presets", "scipy.stats", "scipy.spatial.distance"],
    "numpy": [],
    "assay-duckdb": ["assay.probes.duckdb_engine", "assay.files.duckdb_tables", "scipy.stats"],
    "assay-spark": ["assay.probes.spark_engine", "assay.files.spark_tables", "scipy.stats"],
}
ON_FILES = ("assay-duckdb", "assay-spark")


def child(name: str, rows: int, directory: Path) -> None:
    """Run one contender in this process and print its timing and peak memory as JSON."""
    if name not in ON_FILES:
        reference, current = frames(rows)
    for module in IMPORTS[name]:
        importlib.import_module(module)
    if name == "assay-spark":
        from assay.files.spark_tables import spark_session

        spark_session()  # starting the JVM is start-up too
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if name in ON_FILES:
        outcome = CONTENDERS[name](directory)
    else:
        outcome = CONTENDERS[name](reference, current)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if name == "assay-spark":
        outcome["jvm_peak_mib"] = round(_jvm_peak_mib() or 0.0)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mib": peak_kib / 1024,
                "before_mib": baseline / 1024,
                "outcome": outcome,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=sorted(CONTENDERS), action="append")
    parser.add_argument("--child", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--directory", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.directory)
        return
    if args.write:
        for role, table in zip(("reference", "current"), frames(args.rows), strict=True):
            pq.write_table(table, args.directory / f"{role}.parquet")
        return
    measured: dict[str, dict[str, Any]] = {}
    directory = Path(tempfile.mkdtemp(prefix="assay-bench-probes-"))
    if set(ON_FILES) & set(args.only or CONTENDERS):
        # Written by a process of its own: a child forked from a large parent would start with
        # the parent's peak resident memory.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--write",
                "--rows",
                str(args.rows),
                "--directory",
                str(directory),
            ],
            check=True,
        )
    for name in args.only or list(CONTENDERS):
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                name,
                "--rows",
                str(args.rows),
                "--directory",
                str(directory),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        measured[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{name}: {measured[name]['seconds']:.2f} s, peak {measured[name]['peak_mib']:.0f} MiB",
            flush=True,
        )
    lines = [
        f"Drift + data quality on {args.rows:,} rows x {NUMERIC} numeric + {CATEGORICAL} "
        "categorical columns (reference and current), one process each, same machine, same run.",
        "",
        "| contender | seconds | peak RSS (MiB) | RSS before it ran: frames, imports (MiB) "
        "| outcome |",
        "|---|---|---|---|---|",
    ]
    for name, row in measured.items():
        lines.append(
            f"| {name} | {row['seconds']:.2f} | {row['peak_mib']:.0f} | {row['before_mib']:.0f} "
            f"| {json.dumps(row['outcome'])} |"
        )
    shutil.rmtree(directory)
    if "assay" in measured:
        for other in ("assay-duckdb", "assay-spark", "evidently", "numpy"):
            if other in measured:
                ratio = measured[other]["seconds"] / measured["assay"]["seconds"]
                lines.append(f"\n{other} / assay time: {ratio:.2f}")
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
