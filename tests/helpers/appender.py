"""A real writer process for the concurrency and crash tests.

Usage: ``python appender.py URL WRITER COUNT [START_AT]`` opens the store, waits until the
wall-clock time START_AT (seconds since the epoch) or, with ``-``, prints ``ready`` and waits
for a line on standard input (a barrier so that several writers begin at once however long
each took to start), then appends COUNT entries of kind ``test.append`` with payload
``{"writer": WRITER, "i": i}`` and prints ``ack SEQ I`` (flushed) after each append has
committed, framed by ``start TIME`` and ``end TIME`` lines. COUNT 0 means "until killed".
"""

from __future__ import annotations

import itertools
import sys
import time

from assay.store import open_store
from assay.store.config import DatabaseChoice


def run(url: str, writer: str, count: int, start_at: float | None) -> None:
    """Append entries one by one, acknowledging each on standard output once committed."""
    store = open_store(DatabaseChoice(url, "test"))
    if start_at is None:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.readline()
    else:
        time.sleep(max(0.0, start_at - time.time()))
    sys.stdout.write(f"start {time.time()}\n")
    indices = itertools.count() if count == 0 else iter(range(count))
    for i in indices:
        entry = store.ledger.append("test.append", {"writer": writer, "i": i, "x": i / 7})
        sys.stdout.write(f"ack {entry.seq} {i}\n")
        sys.stdout.flush()
    sys.stdout.write(f"end {time.time()}\n")
    store.close()


if __name__ == "__main__":
    when = sys.argv[4] if sys.argv[4:] else "0"
    run(sys.argv[1], sys.argv[2], int(sys.argv[3]), None if when == "-" else float(when))
