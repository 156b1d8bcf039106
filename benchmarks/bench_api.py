"""Evidence ingestion over loopback: assay's Audit API against MLflow's tracking server.

In one run, both servers are started on 127.0.0.1 with SQLite stores in a temporary directory
(with ``--postgres URL``, each with a fresh database of its own on that PostgreSQL server,
dropped afterwards):

- assay: ``assay serve`` (one process); N measurement values pushed to ``POST /api/v1/evidence``
  in batches (each batch is evaluated against the spec and stored in the hash-chained ledger
  in one transaction, as a run with its measurement entries);
- MLflow: ``mlflow server`` (one worker); the same number of metric values logged with
  ``MlflowClient.log_batch`` in batches of the same size (MLflow's limit is 1,000 per call).

Both clients send one request at a time on a kept-alive connection. Prints throughput, p50 and
p99 latency per request and errors, the throughput ratio, and whether assay's ledger verifies
afterwards; writes the table to ``benchmarks/results/api.md``.

    python benchmarks/bench_api.py [--values 100000] [--batch 1000] [--postgres URL]
        [--confidential K] [--before SRC]

``--confidential K`` marks K of the spec's measurements confidential (their values are sealed in
the ledger). ``--before SRC`` also runs assay from another source tree (an earlier commit
checked out with ``git worktree add``), in the same run, so that the cost of a change is
measured side by side.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results" / "api.md"
MEASUREMENTS = 10
BIN = Path(sys.executable).parent


@dataclass
class Outcome:
    """What one contender did: values stored, seconds, latency per request, errors."""

    name: str
    values: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def throughput(self) -> float:
        return self.values / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(command: list[str], health: str, env: dict[str, str]) -> Iterator[None]:
    """A server process, once ``health`` answers; terminated afterwards."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(health, timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None:
                    problem = process.communicate()[1]
                    raise SystemExit(f"{command[0]} did not start: {problem}") from None
                if time.monotonic() > deadline:
                    raise SystemExit(f"{command[0]} did not answer in 120 s") from None
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # still busy with a backlog of requests
            process.kill()
            process.wait(timeout=30)


@contextmanager
def database(admin_url: str | None, name: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database ``name`` next to ``admin_url``'s (dropped afterwards), or
    None without PostgreSQL."""
    if admin_url is None:
        yield None
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def bench_spec(confidential: int = 0) -> dict[str, object]:
    measurements = [
        {
            "id": f"m{i}",
            "name": f"Metric {i}",
            "comparison": "greater_or_equal",
            "target": 0.0,
            "confidential": i < confidential,
        }
        for i in range(MEASUREMENTS)
    ]
    metric = {"id": "metrics", "name": "Metrics", "measurements": measurements}
    requirement = {"id": "r", "name": "Quality", "metrics": [metric]}
    dimension = {"id": "d", "name": "Performance", "requirements": [requirement]}
    return {"spec": 1, "id": "bench", "name": "Bench", "dimensions": [dimension]}


def timed(batches: int, send: Callable[[int], bool]) -> tuple[float, list[float], int]:
    latencies, errors = [], 0
    started = time.perf_counter()
    for number in range(batches):
        before = time.perf_counter()
        if not send(number):
            errors += 1
        latencies.append(time.perf_counter() - before)
    return time.perf_counter() - started, latencies, errors


@contextmanager
def assay_server(
    directory: Path, url: str, source: Path | None = None, workers: int = 1
) -> Iterator[tuple[str, dict[str, str]]]:
    """``assay serve`` on ``url`` (this checkout's, or the one in ``source``) on a free port,
    with an auditee and an admin token: its base URL and the tokens by role."""
    directory.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ASSAY_HOME": str(directory)}
    if source is not None:
        env["PYTHONPATH"] = str(source / "src")
    assay = [sys.executable, "-m", "assay"]

    def token(role: str) -> str:
        made = subprocess.run(
            [*assay, "token", "create", "--role", role, "--name", "bench", "--db", url],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return made.stdout.strip()

    tokens = {role: token(role) for role in ("auditee", "admin")}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [*assay, "serve", "--port", str(port), "--db", url, "--no-scheduler"]
    if workers > 1:
        command += ["--workers", str(workers)]
    with server(command, f"{base}/health", env):
        yield base, tokens


def run_assay(
    directory: Path,
    values: int,
    batch: int,
    database: str | None,
    *,
    confidential: int = 0,
    source: Path | None = None,
    name: str = "assay",
) -> tuple[Outcome, bool]:
    """Push the values to ``assay serve``: this checkout's, or the one in ``source``."""
    url = database or f"sqlite:///{directory / 'assay.db'}"
    with assay_server(directory, url, source) as (base, tokens):
        auditee, admin = tokens["auditee"], tokens["admin"]
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {auditee}"}, timeout=120
        ) as client:
            client.post("/api/v1/specs", json=bench_spec(confidential)).raise_for_status()

            def send(number: int) -> bool:
                body = {
                    "spec": "bench",
                    "target": "model@1",
                    "values": [
                        {
                            "measurement": f"m{i % MEASUREMENTS}",
                            "value": (number * batch + i) / values,
                            "provenance": {"model_version": "1", "commit": "bench"},
                        }
                        for i in range(batch)
                    ],
                }
                return client.post("/api/v1/evidence", json=body).status_code == 201

            seconds, latencies, errors = timed(values // batch, send)
        verified = httpx.get(
            f"{base}/api/v1/ledger/verify",
            headers={"Authorization": f"Bearer {admin}"},
            timeout=600,
        ).json()
    return Outcome(name, values, seconds, latencies, errors), bool(verified["ok"])


@contextmanager
def mlflow_server(directory: Path, backend: str | None, workers: int = 1) -> Iterator[str]:
    """``mlflow server`` on ``backend`` (a SQLite file in ``directory`` when None) on a free
    port: its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(BIN / "mlflow"),
        "server",
        "--backend-store-uri",
        backend or f"sqlite:///{directory / 'mlflow.db'}",
        "--default-artifact-root",
        str(directory / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with server(command, f"{base}/health", {**os.environ, "MLFLOW_TRACKING_URI": base}):
        yield base


def run_mlflow(directory: Path, values: int, batch: int, backend: str | None = None) -> Outcome:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    with mlflow_server(directory, backend) as base:
        client = MlflowClient(tracking_uri=base)
        experiment = client.create_experiment("bench")
        run = client.create_run(experiment).info.run_id
        now = int(time.time() * 1000)

        def send(number: int) -> bool:
            metrics = [
                Metric(
                    f"m{i % MEASUREMENTS}", (number * batch + i) / values, now, number * batch + i
                )
                for i in range(batch)
            ]
            try:
                client.log_batch(run, metrics=metrics)
            except Exception:  # an error counts; the benchmark goes on
                return False
            return True

        seconds, latencies, errors = timed(values // batch, send)
    return Outcome("MLflow", values, seconds, latencies, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--postgres", help="run both servers on this PostgreSQL server, a database each"
    )
    parser.add_argument("--latencies", action="store_true", help="print assay's per request")
    parser.add_argument(
        "--confidential", type=int, default=0, help="how many of the measurements are confidential"
    )
    parser.add_argument(
        "--before", type=Path, help="also run assay from this source tree (an earlier commit)"
    )
    options = parser.parse_args()
    if options.before is not None and options.postgres:
        raise SystemExit("--before runs on SQLite only (one database each)")
    contenders = []
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        if options.before is not None:
            before, verified_before = run_assay(
                directory / "before",
                options.values,
                options.batch,
                None,
                confidential=options.confidential,
                source=options.before.resolve(),
                name="assay before",
            )
            contenders.append(before)
        with database(options.postgres, "assay_bench_api") as url:
            assay, verified = run_assay(
                directory / "now",
                options.values,
                options.batch,
                url,
                confidential=options.confidential,
            )
        contenders.append(assay)
        if options.latencies:
            print(" ".join(f"{latency * 1000:.0f}" for latency in assay.latencies))
        with database(options.postgres, "mlflow_bench_api") as url:
            mlflow = run_mlflow(directory, options.values, options.batch, url)
        contenders.append(mlflow)
    store = "PostgreSQL" if options.postgres else "SQLite"
    rows = [
        f"| {o.name} | {o.values:,} | {o.seconds:.2f} s | {o.throughput:,.0f} | "
        f"{o.percentile(0.5):.1f} ms | {o.percentile(0.99):.1f} ms | {o.errors} |"
        for o in contenders
    ]
    compared = ""
    if options.before is not None:
        compared = (
            f" assay now / assay before: {assay.throughput / before.throughput:.2f}x (the earlier"
            f" tree's ledger verifies: {'yes' if verified_before else 'NO'})."
        )
    table = "\n".join(
        [
            f"Values pushed in batches of {options.batch} over loopback, one request at a time; "
            f"both servers on {store} (one database each); {options.confidential} of the "
            f"{MEASUREMENTS} measurements confidential.",
            "",
            "| server | values | time | values/s | p50 | p99 | errors |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"assay / MLflow throughput: {assay.throughput / mlflow.throughput:.1f}x; "
            f"assay's ledger verifies afterwards: {'yes' if verified else 'NO'}; "
            f"mean request: assay {statistics.mean(assay.latencies) * 1000:.1f} ms, "
            f"MLflow {statistics.mean(mlflow.latencies) * 1000:.1f} ms." + compared,
        ]
    )
    print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
