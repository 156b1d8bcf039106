"""How long ``assay scan`` takes: on this repository, and on a generated repository of 20,000
files (Python modules, notebooks, Markdown, YAML and JSON, CI and task-runner files).

In one run, beside each scan, the floor: walking the same tree and reading every file once
(``os.walk`` + ``read``), with the files already in the page cache for both. Reports the scan's
median of three runs in this process, one end-to-end ``assay scan -f json`` subprocess (start-up
included), and the ratio to the floor. Goal: under 5 s for 20,000 files.

    python benchmarks/bench_scan.py [--files 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "scan.md"
REPOSITORY = Path(__file__).resolve().parent.parent

MODULE = '''"""Module {n}: feature code."""
import numpy as np
import pandas as pd
{extra}

def transform_{n}(frame: pd.DataFrame) -> pd.DataFrame:
    """Scale and clean the columns."""
    values = frame.select_dtypes("number")
    for column in values:
        frame[column] = (frame[column] - values[column].mean()) / values[column].std()
    return frame.dropna()


class Model{n}:
    def __init__(self, alpha: float = 0.1) -> None:
        self.alpha = alpha

    def fit(self, x, y):
        self.coef_ = np.linalg.lstsq(x, y, rcond=None)[0]
        return self

    def predict(self, x):
        return x @ self.coef_
'''
EXTRAS = [
    "",
    "import mlflow\nmlflow.autolog()",
    "from sqlalchemy import create_engine",
    "# mlflow.log_metric is mentioned in a comment only",
    "import pandera as pa",
]
NOTEBOOK = (
    '{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Exploration\\n"]}, '
    '{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], '
    '"source": ["import pandas as pd\\n", "frame = pd.read_csv(\\"data.csv\\")\\n"]}], '
    '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
)
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: service-{n}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: app
          image: registry.example.org/app:{n}
"""
FIXED = {
    ".github/workflows/ci.yml": "on: [push]\njobs:\n  t:\n    steps:\n      - run: make check\n",
    "Makefile": "check: lint test\nlint:\n\truff check .\ntest:\n\tpytest -q\n",
    "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\n",
    "uv.lock": "version = 1\n",
    "pyproject.toml": '[project]\nname = "generated"\n',
    "dvc.yaml": "stages:\n  prepare:\n    cmd: python prepare.py\n",
}


def generate(root: Path, files: int) -> None:
    """Write ``files`` files under ``root`` in a few hundred directories and commit them."""
    rng = random.Random(20000)
    for relative, text in FIXED.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    kinds = ["py"] * 60 + ["md"] * 15 + ["yaml"] * 10 + ["json"] * 5 + ["ipynb"] * 3 + ["csv"] * 7
    for n in range(files - len(FIXED)):
        kind = rng.choice(kinds)
        directory = root / f"pkg{n % 300}" / ("tests" if kind == "py" and n % 10 == 0 else "src")
        directory.mkdir(parents=True, exist_ok=True)
        name = f"test_m{n}.py" if "tests" in directory.parts and kind == "py" else f"f{n}.{kind}"
        if kind == "py":
            text = MODULE.format(n=n, extra=rng.choice(EXTRAS))
        elif kind == "md":
            text = f"# Notes {n}\n\nWe use MLflow and Feast here.\n" * 5
        elif kind == "yaml":
            text = MANIFEST.format(n=n) if n % 4 == 0 else f"key: {n}\nlist: [1, 2, 3]\n"
        elif kind == "json":
            text = '{"values": [' + ", ".join(str(i) for i in range(50)) + "]}"
        elif kind == "ipynb":
            text = NOTEBOOK
        else:
            text = "a,b,c\n" + "\n".join(f"{i},{i * 2},{i * 3}" for i in range(100))
        (directory / name).write_text(text)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(root),
        **{
            f"GIT_{who}_{what}": "bench"
            for who in ("AUTHOR", "COMMITTER")
            for what in ("NAME", "EMAIL")
        },
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "generated"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def floor(root: Path) -> float:
    """Seconds to walk ``root`` (skipping .git) and read every file once."""
    start = time.perf_counter()
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [
            d for d in subdirectories if d not in (".git", ".venv", "node_modules")
        ]
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                with open(path, "rb") as stream:
                    stream.read()
    return time.perf_counter() - start


def measure(root: Path) -> dict[str, float]:
    """Scan times (in process, median of 3; one CLI process) and the floor, caches warm."""
    from assay.services.scan import scan_path

    floor(root)  # warm the page cache
    floors = [floor(root) for _ in range(3)]
    scans = []
    files = 0
    for _ in range(3):
        start = time.perf_counter()
        document = scan_path(root, project="bench")
        scans.append(time.perf_counter() - start)
        files = document["repository"]["files"]
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "assay", "scan", str(root), "-f", "json", "-o", os.devnull],
        check=True,
        capture_output=True,
    )
    cli = time.perf_counter() - start
    return {
        "files": files,
        "scan": statistics.median(scans),
        "cli": cli,
        "floor": statistics.median(floors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    options = parser.parse_args()
    rows = [("this repository", measure(REPOSITORY))]
    with tempfile.TemporaryDirectory() as scratch:
        generated = Path(scratch) / "generated"
        generated.mkdir()
        generate(generated, options.files)
        rows.append((f"generated, {options.files:,} files", measure(generated)))
    lines = [
        "| repository | files | scan (s, median of 3) | `assay scan` process (s) "
        "| floor: read every file (s) | scan / floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, figures in rows:
        lines.append(
            f"| {name} | {figures['files']:,} | {figures['scan']:.2f} | {figures['cli']:.2f} | "
            f"{figures['floor']:.3f} | {figures['scan'] / figures['floor']:.1f} |"
        )
    table = "\n".join(lines)
    print(table)
    RESULTS.write_text(
        "# assay scan\n\n`python benchmarks/bench_scan.py --files "
        f"{options.files}` (one run, this machine, 2 cores).\n\n{table}\n"
    )


if __name__ == "__main__":
    main()
