"""The DuckDB probe engine beyond memory: drift and data quality on N rows x 20 numeric + 5
categorical columns (reference and current, the same distributions as bench_probes.py),
generated in chunks into Parquet files that never sit in memory whole, then measured in a
process of its own: seconds, peak resident memory, and the largest size DuckDB's spill
directory reached. The files are deleted afterwards.

    python benchmarks/bench_probes_out_of_core.py [--rows 100000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from bench_probes import CATEGORICAL, NUMERIC, data_set

CHUNK = 1_000_000
RESULTS = Path(__file__).parent / "results" / "probes-out-of-core.md"


def write(path: Path, rows: int, shifted: bool, seed: int) -> None:
    """The data set in chunks of a million rows (the distributions of bench_probes.frames)."""
    rng = np.random.default_rng(seed)
    writer: pq.ParquetWriter | None = None
    for start in range(0, rows, CHUNK):
        table = data_set(rng, min(CHUNK, rows - start), shifted)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def child(directory: Path) -> None:
    """Run the engine here and print seconds, peak RSS and the peak spill as JSON."""
    from assay.files.duckdb_tables import duck_tables
    from assay.probes.duckdb_engine import duck_drift

    peak_spill = [0]
    running = [True]

    def watch() -> None:
        while running[0]:
            for spill in Path(tempfile.gettempdir()).glob("assay-duckdb-*"):
                size = sum(f.stat().st_size for f in spill.rglob("*") if f.is_file())
                peak_spill[0] = max(peak_spill[0], size)
            time.sleep(1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    files = {role: directory / f"{role}.parquet" for role in ("reference", "current")}
    with duck_tables(files) as tables:
        reference, current = tables["reference"], tables["current"]
        drift = duck_drift(reference, current)
        numeric = [c for c in current.columns if current.is_numeric(c)]
        current.missing_ratios()
        current.duplicate_ratio()
        for column in numeric:
            current.outlier_ratio(column)
        current.constant_columns()
    seconds = time.perf_counter() - started
    running[0] = False
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "peak_spill_mib": peak_spill[0] / (1 << 20),
                "drifted_columns": sum(c.drifted for c in drift.columns),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    directory = Path(tempfile.mkdtemp(prefix="assay-bench-ooc-"))
    try:
        started = time.perf_counter()
        write(directory / "reference.parquet", args.rows, False, 7)
        write(directory / "current.parquet", args.rows, True, 8)
        generated = time.perf_counter() - started
        size = sum(f.stat().st_size for f in directory.iterdir()) / (1 << 30)
        print(
            f"generated {2 * args.rows:,} rows ({size:.1f} GiB Parquet) in {generated:.0f} s",
            flush=True,
        )
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(directory)],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ.copy(),
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(directory)
    from assay.files.duckdb_tables import memory_limit

    text = (
        f"DuckDB engine, drift + data quality on {args.rows:,} rows x {NUMERIC} numeric + "
        f"{CATEGORICAL} categorical columns (reference and current, {size:.1f} GiB of Parquet), "
        f"memory limit {memory_limit()}, {time.strftime('%Y-%m-%d')}\n\n"
        "| seconds | peak RSS (MiB) | peak spill (MiB) | drifted columns |\n|---|---|---|---|\n"
        f"| {row['seconds']:.0f} | {row['peak_mib']:.0f} | {row['peak_spill_mib']:.0f} "
        f"| {row['drifted_columns']} |\n"
    )
    print(text)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
