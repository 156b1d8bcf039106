"""Many pipelines pushing evidence at once: a load test of ``POST /api/v1/evidence`` over
loopback, side by side with MLflow's ``log-batch``.

C clients (default 32), each on a kept-alive connection of its own, push small batches
(default 10 values) one after the other for D seconds (default 60); every push is an audit
run evaluated and chained into the ledger. The clients are asyncio streams in one process
sending pre-encoded requests, so that the load generator takes little of the CPU the servers
need. Afterwards assay's ledger is verified (``GET /api/v1/ledger/verify``) and the runs
stored are counted against the pushes answered 201.

MLflow gets the same load (``POST /api/2.0/mlflow/runs/log-batch`` with the same number of
metric values per request, one run per client) on its own database; with ``--postgres`` both
servers use PostgreSQL, each its own database (created, and dropped afterwards).

Prints and writes ``benchmarks/results/api-load.md``: pushes/s, values/s, p50/p99 latency,
errors (non-2xx answers and failed connections), the ledger's verdict.

    python benchmarks/bench_api_load.py [--clients 32] [--seconds 60] [--values 10]
        [--workers 2] [--postgres URL] [--only assay]
        [--before SRC [--before-name NAME] [--rounds N]]

``--before SRC`` also runs assay from another source tree (an earlier commit checked out with
``git worktree add``) in the same run, so that a change is measured side by side. On a machine
whose speed drifts (a shared virtual machine), ``--rounds N`` runs each tree N times in ABBA
order and compares the means: the tree run second gained 18% in one run of two identical
trees here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_api import MEASUREMENTS, assay_server, bench_spec, database, mlflow_server

RESULTS = Path(__file__).parent / "results" / "api-load.md"


@dataclass
class Load:
    """What the clients saw: latency of each answered request, answers by status, failures."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def errors(self) -> int:
        return self.failures + sum(n for s, n in self.statuses.items() if not 200 <= s < 300)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def _request(port: int, path: str, token: str | None, body: bytes) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    if token:
        head.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_answer(reader: asyncio.StreamReader) -> int:
    """The status of one HTTP/1.1 answer, its body read (Content-Length or chunked)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(length)
    return status


async def _client(port: int, requests: list[bytes], stop: float, load: Load) -> None:
    number = 0
    writer = None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop:
            request = requests[number % len(requests)]
            number += 1
            before = time.perf_counter()
            try:
                writer.write(request)
                await writer.drain()
                status = await asyncio.wait_for(_read_answer(reader), timeout=120)
            except (OSError, ConnectionError, asyncio.IncompleteReadError, TimeoutError):
                load.failures += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            load.latencies.append(time.perf_counter() - before)
            load.statuses[status] = load.statuses.get(status, 0) + 1
    finally:
        if writer is not None:
            writer.close()


async def _drive(port: int, per_client: list[list[bytes]], seconds: float) -> Load:
    load = Load()
    started = time.perf_counter()
    stop = started + seconds
    await asyncio.gather(*(_client(port, requests, stop, load) for requests in per_client))
    load.seconds = time.perf_counter() - started
    return load


def drive(port: int, per_client: list[list[bytes]], seconds: float) -> Load:
    """Each client sends its requests round and round until ``seconds`` have passed."""
    return asyncio.run(_drive(port, per_client, seconds))


def _evidence(client: int, push: int, values: int) -> bytes:
    return json.dumps(
        {
            "spec": "bench",
            "target": f"model-{client}@1",
            "values": [
                {
                    "measurement": f"m{i % MEASUREMENTS}",
                    "value": (push * values + i) / 1000,
                    "provenance": {"commit": "load", "client": client},
                }
                for i in range(values)
            ],
        }
    ).encode()


def run_assay(
    options: argparse.Namespace, directory: Path, source: Path | None = None
) -> tuple[Load, dict[str, object]]:
    """The load on ``assay serve``: this checkout's, or the one in ``source``."""
    with database(options.postgres, "assay_bench_load") as url:
        store = url or f"sqlite:///{directory / 'assay.db'}"
        workers = options.workers if url is not None else 1
        with assay_server(directory, store, source, workers) as (base, tokens):
            auditee, admin = tokens["auditee"], tokens["admin"]
            port = int(base.rsplit(":", 1)[1])
            headers = {"Authorization": f"Bearer {auditee}"}
            httpx.post(
                f"{base}/api/v1/specs", json=bench_spec(), headers=headers, timeout=60
            ).raise_for_status()
            per_client = [
                [
                    _request(port, "/api/v1/evidence", auditee, _evidence(c, p, options.values))
                    for p in range(8)
                ]
                for c in range(options.clients)
            ]
            load = drive(port, per_client, options.seconds)
            as_admin = {"Authorization": f"Bearer {admin}"}
            verified = httpx.get(
                f"{base}/api/v1/ledger/verify", headers=as_admin, timeout=900
            ).json()
            runs = httpx.get(f"{base}/api/v1/runs", headers=headers, timeout=300)
            if runs.status_code != 200:
                raise SystemExit(f"listing the runs: {runs.status_code} {runs.text[:2000]}")
    return load, {
        "verified": bool(verified.get("ok")),
        "entries": verified.get("entries"),
        "runs": len(runs.json()),
    }


def run_mlflow(options: argparse.Namespace, directory: Path) -> Load:
    from mlflow.tracking import MlflowClient

    workers = options.workers if options.postgres else 1
    with (
        database(options.postgres, "mlflow_bench_load") as url,
        mlflow_server(directory, url, workers) as base,
    ):
        port = int(base.rsplit(":", 1)[1])
        client = MlflowClient(tracking_uri=base)
        experiment = client.create_experiment("load")
        runs = [client.create_run(experiment).info.run_id for _ in range(options.clients)]
        now = int(time.time() * 1000)
        per_client = [
            [
                _request(
                    port,
                    "/api/2.0/mlflow/runs/log-batch",
                    None,
                    json.dumps(
                        {
                            "run_id": run,
                            "metrics": [
                                {
                                    "key": f"m{i % MEASUREMENTS}",
                                    "value": (p * options.values + i) / 1000,
                                    "timestamp": now,
                                    "step": p * options.values + i,
                                }
                                for i in range(options.values)
                            ],
                        }
                    ).encode(),
                )
                for p in range(8)
            ]
            for run in runs
        ]
        return drive(port, per_client, options.seconds)


def _trees(options: argparse.Namespace) -> list[tuple[str, Path | None]]:
    """The assay trees to run, in order: this checkout's, and with ``--before`` the earlier
    one first, both ``--rounds`` times in ABBA order (before, now, now, before, …), so that a
    drift of the machine's speed during the runs weighs on both alike."""
    now: tuple[str, Path | None] = ("assay", None)
    if options.before is None:
        return [now]
    before: tuple[str, Path | None] = (options.before_name, options.before.resolve())
    order: list[tuple[str, Path | None]] = []
    for number in range(options.rounds):
        order += [before, now] if number % 2 == 0 else [now, before]
    return order


def _mean_rates(rows: list[tuple[str, Load]]) -> dict[str, float]:
    """Pushes answered per second of each server, the mean of its runs."""
    runs: dict[str, list[float]] = {}
    for name, load in rows:
        runs.setdefault(name, []).append(load.ok / load.seconds)
    return {name: sum(rates) / len(rates) for name, rates in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--values", type=int, default=10, help="values per push")
    parser.add_argument("--workers", type=int, default=2, help="server processes (PostgreSQL)")
    parser.add_argument("--postgres", help="a PostgreSQL URL: both servers get a database there")
    parser.add_argument("--only", choices=["assay", "mlflow"], action="append")
    parser.add_argument(
        "--before", type=Path, help="also run assay from this source tree (an earlier commit)"
    )
    parser.add_argument(
        "--before-name",
        default="assay before",
        help="with --before: the earlier tree's name in the table (such as its commit)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --before: run both trees this many times each, in ABBA order",
    )
    options = parser.parse_args()
    if options.rounds < 1:
        parser.error(f"--rounds must be 1 or more, not {options.rounds}")
    if options.before_name in ("assay", "MLflow"):
        parser.error(
            f"--before-name must differ from the other servers' names, not {options.before_name!r}"
        )
    chosen = options.only or ["assay", "mlflow"]
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        for number, (name, source) in enumerate(_trees(options) if "assay" in chosen else []):
            load, ledger = run_assay(options, directory / f"assay-{number}", source)
            rows.append((name, load))
            print(
                f"{name}: {load.ok / load.seconds:.1f} pushes/s, {load.errors} errors", flush=True
            )
            notes.append(
                f"{name}: ledger afterwards {ledger['entries']} entries, verifies: "
                f"{'yes' if ledger['verified'] else 'NO'}; runs stored: "
                f"{ledger['runs']} for {load.ok} pushes answered 201."
            )
        if "mlflow" in chosen:
            (directory / "mlflow").mkdir()
            rows.append(("MLflow", run_mlflow(options, directory / "mlflow")))
    store = "PostgreSQL, one database each" if options.postgres else "SQLite"
    workers = f"{options.workers} worker processes each" if options.postgres else "one process"
    lines = [
        f"{options.clients} clients pushing {options.values} values per request for "
        f"{options.seconds:.0f} s over loopback; {store}; {workers}; this machine "
        f"({os.cpu_count()} cores, the load generator on the same cores).",
        "",
        "| server | pushes answered | pushes/s | values/s | p50 | p99 | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, load in rows:
        lines.append(
            f"| {name} | {load.ok:,} | {load.ok / load.seconds:,.1f} | "
            f"{load.ok * options.values / load.seconds:,.0f} | {load.percentile(0.5):.0f} ms | "
            f"{load.percentile(0.99):.0f} ms | {load.errors} |"
        )
    rates = _mean_rates(rows)
    if rates.get("MLflow") and "assay" in rates:
        notes.append(f"assay / MLflow pushes per second: {rates['assay'] / rates['MLflow']:.1f}x.")
    if rates.get(options.before_name) and "assay" in rates:
        rounds = f" (means of {options.rounds} runs each)" if options.rounds > 1 else ""
        notes.append(
            f"assay now / {options.before_name}: "
            f"{rates['assay'] / rates[options.before_name]:.2f}x{rounds}."
        )
    text = "\n".join([*lines, "", *notes]) + "\n"
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
