"""Long work shows progress on a terminal (a real pseudo-terminal), and nothing of it reaches a
log or a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pexpect
import pyarrow as pa
import pyarrow.parquet as pq


def data(tmp_path: Path, columns: int = 30, rows: int = 100_000) -> tuple[Path, Path]:
    rng = np.random.default_rng(7)
    paths = []
    for name, shift in (("reference", 0.0), ("current", 0.3)):
        table = pa.table({f"c{i}": rng.normal(shift, 1, rows) for i in range(columns)})
        path = tmp_path / f"{name}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    return paths[0], paths[1]


def command(reference: Path, current: Path, output: Path) -> list[str]:
    return [
        "-m",
        "assay",
        "probe",
        "report",
        "--reference",
        str(reference),
        "--current",
        str(current),
        "-o",
        str(output),
    ]


def test_the_data_report_shows_its_progress_on_a_terminal(tmp_path: Path) -> None:
    reference, current = data(tmp_path)
    child = pexpect.spawn(
        sys.executable,
        command(reference, current, tmp_path / "report.html"),
        cwd=str(tmp_path),
        env={**os.environ, "COLUMNS": "120", "ASSAY_HOME": str(tmp_path / "home")},
        encoding="utf-8",
        timeout=120,
        dimensions=(30, 120),
    )
    child.expect("charting columns")
    child.expect(r"\d+/30")
    child.expect("wrote ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "report.html").stat().st_size > 0


def test_no_progress_reaches_a_pipe(tmp_path: Path) -> None:
    reference, current = data(tmp_path, columns=3, rows=1000)
    done = subprocess.run(
        [sys.executable, *command(reference, current, tmp_path / "report.html")],
        capture_output=True,
        text=True,
        env={**os.environ, "ASSAY_HOME": str(tmp_path / "home")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"wrote {tmp_path / 'report.html'}\n"
