"""The ledger's Merkle tree at scale: checkpoint, inclusion-proof and consistency-proof time on a
ledger of 1,000,000 entries, and what keeping the tree costs each append (before/after in one
run), on SQLite and on PostgreSQL.

Beside the stored tree, in the same run: the root recomputed from every entry hash (what the
first implementation did per request), the peer being "no stored tree". The append cost is
measured on the same 1M-entry store with the tree update switched off in this process only
(:func:`tree_off`), after the proofs were measured.

    python benchmarks/bench_transparency.py [--entries 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scratch_schema import scratch_schema

from assay.services import transparency
from assay.store import Store, head_lock, open_store
from assay.store.config import DatabaseChoice
from assay.store.ledger_tree import TreeAppender
from assay.store.merkle import leaf_hash, tree_root

RESULTS = Path(__file__).parent / "results" / "transparency.md"
BATCH = 10_000
APPENDS = 1_000


def payload(i: int) -> dict[str, object]:
    return {"spec": "credit-model", "measurement": "accuracy", "value": i / 997, "run": i}


def median_seconds(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fill(store: Store, entries: int) -> float:
    start = time.perf_counter()
    for first in range(0, entries, BATCH):
        count = min(BATCH, entries - first)
        store.ledger.append_many([("measurement.result", payload(first + i)) for i in range(count)])
    return time.perf_counter() - start


def recomputed_root(store: Store) -> bytes:
    return tree_root([leaf_hash(bytes.fromhex(e.hash)) for e in store.ledger.entries()])


def appends_per_second(store: Store) -> tuple[float, float]:
    """Single-entry appends per second, then entries per second in batches of 100."""
    start = time.perf_counter()
    for i in range(APPENDS):
        store.ledger.append("measurement.result", payload(i))
    single = APPENDS / (time.perf_counter() - start)
    start = time.perf_counter()
    for first in range(0, 10 * APPENDS, 100):
        store.ledger.append_many([("measurement.result", payload(first + i)) for i in range(100)])
    batched = 10 * APPENDS / (time.perf_counter() - start)
    return single, batched


@contextmanager
def tree_off() -> Iterator[None]:
    """Appends in this process add no tree nodes and read no frontier (on PostgreSQL the head
    lock is then taken without the pipeline that reads the frontier with it)."""
    patched = [
        (TreeAppender, "nodes", lambda *args, **kwargs: []),
        (TreeAppender, "frontier", lambda *args, **kwargs: []),
        (head_lock, "pipelines", lambda conn: False),
    ]
    stored = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    for owner, name, replacement in patched:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in stored:
            setattr(owner, name, original)


def measure(name: str, url: str, entries: int) -> list[str]:
    store = open_store(DatabaseChoice(url, "benchmark"))
    rng = random.Random(6962)
    try:
        filled = fill(store, entries)
        size = store.ledger.head().seq
        checkpoint = median_seconds(lambda: transparency.checkpoint(store), 5)
        proofs = [rng.randint(1, size) for _ in range(100)]
        proof = median_seconds(lambda: transparency.prove(store, proofs.pop()), 100)
        pairs = [sorted((rng.randint(1, size), rng.randint(1, size))) for _ in range(100)]
        consistency = median_seconds(lambda: transparency.consistency(store, *pairs.pop()), 100)
        start = time.perf_counter()
        assert recomputed_root(store) == transparency.checkpoint(store).root
        recompute = time.perf_counter() - start
        with_tree = appends_per_second(store)
        with tree_off():
            without_tree = appends_per_second(store)
    finally:
        store.close()
    return rows(
        name, entries, filled, checkpoint, proof, consistency, recompute, with_tree, without_tree
    )


def rows(
    name: str,
    entries: int,
    filled: float,
    checkpoint: float,
    proof: float,
    consistency: float,
    recompute: float,
    with_tree: Sequence[float],
    without_tree: Sequence[float],
) -> list[str]:
    return [
        f"| {name} | fill {entries:,} entries (append_many, {BATCH:,} per transaction, tree on) "
        f"| {filled:.1f} s ({entries / filled:,.0f} entries/s) |",
        f"| {name} | checkpoint (size + root), median of 5 | {checkpoint * 1000:.2f} ms |",
        f"| {name} | inclusion proof of a random entry, median of 100 | {proof * 1000:.2f} ms |",
        f"| {name} | consistency proof of random sizes, median of 100 "
        f"| {consistency * 1000:.2f} ms |",
        f"| {name} | root recomputed from every entry hash (no stored tree) "
        f"| {recompute:.2f} s ({recompute / checkpoint:,.0f}x the checkpoint) |",
        f"| {name} | single appends/s at {entries // 1000:,}k entries: tree on / off "
        f"| {with_tree[0]:,.0f} / {without_tree[0]:,.0f} "
        f"({with_tree[0] / without_tree[0]:.2f}x) |",
        f"| {name} | entries/s in batches of 100: tree on / off "
        f"| {with_tree[1]:,.0f} / {without_tree[1]:,.0f} "
        f"({with_tree[1] / without_tree[1]:.2f}x) |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL whose database may be written to")
    args = parser.parse_args()
    lines = [
        f"Ledger Merkle tree at {args.entries:,} entries, {platform.python_version()}, "
        f"{platform.machine()}, {time.strftime('%Y-%m-%d')}",
        "",
        "| database | operation | result |",
        "|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as directory:
        lines += measure("SQLite", f"sqlite:///{directory}/t.db", args.entries)
        print("\n".join(lines), flush=True)
    if args.postgres:
        with scratch_schema(args.postgres) as url:
            lines += measure("PostgreSQL", url, args.entries)
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
