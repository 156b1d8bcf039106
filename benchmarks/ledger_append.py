"""Ledger throughput: assay's hash-chained append beside a plain INSERT into an unchained table.

The baseline is what an ordinary append-only audit table costs on the same database with the
same durability settings (one transaction per record, same payload text), so the ratio is the
price of the chain: the head lock, the canonical JSON and the SHA-256.

Usage: ``.venv/bin/python benchmarks/ledger_append.py [--count N] [--postgres URL]``.
Prints a Markdown table and writes it to ``benchmarks/results/ledger_append.md``.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from scratch_schema import scratch_schema
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert

from assay.store import Store, open_store
from assay.store.canonical import canonical_json
from assay.store.config import DatabaseChoice

RESULTS = Path(__file__).parent / "results" / "ledger_append.md"


def payload(i: int) -> dict[str, object]:
    return {"spec": "credit-model", "measurement": "accuracy", "value": i / 997, "run": i}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(store: Store, count: int) -> dict[str, float]:
    baseline = Table(
        f"plain_audit_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("payload", Text, nullable=False),
    )
    with store.database.writing() as conn:
        baseline.create(conn)

    def plain_inserts() -> None:
        for i in range(count):
            with store.database.writing() as conn:
                conn.execute(insert(baseline).values(payload=canonical_json(payload(i))))

    def chained_appends() -> None:
        for i in range(count):
            store.ledger.append("measurement.result", payload(i))

    def chained_batch() -> None:
        store.ledger.append_many([("measurement.result", payload(i)) for i in range(count)])

    results = {
        "plain insert, 1 per transaction": timed(plain_inserts),
        "ledger append, 1 per transaction": timed(chained_appends),
        f"ledger append_many, {count} in 1 transaction": timed(chained_batch),
    }
    entries = store.ledger.count()
    results[f"ledger verify ({entries} entries)"] = timed(store.ledger.verify)
    with store.database.writing() as conn:
        baseline.drop(conn)
    return results


def run_backend(name: str, url: str, count: int) -> list[str]:
    store = open_store(DatabaseChoice(url, "benchmark"))
    try:
        results = measure(store, count)
    finally:
        store.close()
    plain = results["plain insert, 1 per transaction"]
    rows = []
    for label, seconds in results.items():
        per_second = (2 * count if label.startswith("ledger verify") else count) / seconds
        ratio = seconds / plain if "per transaction" in label else float("nan")
        ratio_text = f"{ratio:.2f}" if ratio == ratio else ""
        rows.append(f"| {name} | {label} | {seconds:.3f} | {per_second:,.0f} | {ratio_text} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database may be written to")
    args = parser.parse_args()
    lines = [
        f"Ledger throughput, {args.count} records per run, {platform.python_version()}, "
        f"{platform.machine()}, {time.strftime('%Y-%m-%d')}",
        "",
        "| database | operation | seconds | records/s | time vs plain insert |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as directory:
        lines += run_backend(
            "SQLite (WAL, synchronous=FULL)", f"sqlite:///{directory}/b.db", args.count
        )
    if args.postgres:
        with scratch_schema(args.postgres) as url:
            lines += run_backend("PostgreSQL", url, args.count)
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
