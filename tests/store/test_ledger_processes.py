"""Several real processes appending at once, and a writer killed with SIGKILL mid-run."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from collections import defaultdict

from assay.store import open_store
from assay.store.config import DatabaseChoice
from tests.helpers.paths import TESTS

APPENDER = TESTS / "helpers" / "appender.py"


def start_appender(
    url: str, writer: str, count: int, start_at: float | None = 0.0
) -> subprocess.Popen[str]:
    """An appender process; with ``start_at`` None it waits, once its store is open, for a
    line on its standard input (see :mod:`tests.helpers.appender`)."""
    return subprocess.Popen(
        [
            sys.executable,
            str(APPENDER),
            url,
            writer,
            str(count),
            "-" if start_at is None else str(start_at),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def parse_acks(output: str) -> list[tuple[int, int]]:
    acks = []
    for line in output.splitlines():
        if line.startswith("ack "):
            _, seq, i = line.split()
            acks.append((int(seq), int(i)))
    return acks


def parse_window(output: str) -> tuple[float, float]:
    times = dict(line.split() for line in output.splitlines() if not line.startswith("ack "))
    return float(times["start"]), float(times["end"])


def test_four_processes_appending_at_once_form_one_chain(database_url: str) -> None:
    writers, per_writer = 4, 500
    # The database is fresh: the writers also race to create the schema. Then each says it is
    # ready and waits until all are (a barrier, however slowly the machine starts them), so
    # that all of them append at once.
    processes = {
        f"w{k}": start_appender(database_url, f"w{k}", per_writer, None) for k in range(writers)
    }
    for process in processes.values():
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n", process.communicate(timeout=60)[1]
    for process in processes.values():  # all of them, before waiting for any
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    acks: dict[str, list[tuple[int, int]]] = {}
    windows = []
    for name, process in processes.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        acks[name] = parse_acks(out)
        windows.append(parse_window(out))
    assert max(start for start, _ in windows) < min(end for _, end in windows), "no overlap"

    all_seqs = [seq for writer_acks in acks.values() for seq, _ in writer_acks]
    assert sorted(all_seqs) == list(range(1, writers * per_writer + 1))  # no gap, no duplicate

    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        result = store.ledger.verify()
        assert result.ok, result.problem
        assert result.entries == writers * per_writer
        by_writer: dict[str, list[int]] = defaultdict(list)
        for entry in store.ledger.entries():
            assert entry.payload is not None
            by_writer[str(entry.payload["writer"])].append(int(entry.payload["i"]))  # type: ignore[arg-type]
        # Every writer's entries are all there, in the order that writer appended them.
        assert dict(by_writer) == {name: list(range(per_writer)) for name in processes}
    finally:
        store.close()


def test_a_writer_killed_mid_append_loses_no_acknowledged_entry(database_url: str) -> None:
    rng = random.Random(20261124)
    acknowledged: list[tuple[int, int]] = []
    for round_number in range(3):
        # A steady writer runs beside the one that gets killed, so the kill lands while the
        # lock is contended as well as while it is free.
        steady = start_appender(database_url, f"steady{round_number}", 60)
        victim = start_appender(database_url, f"victim{round_number}", 0)
        assert victim.stdout is not None
        wanted = rng.randint(20, 80)
        seen = 0
        for line in victim.stdout:
            if not line.startswith("ack "):
                continue
            acknowledged.append(tuple(int(x) for x in line.split()[1:]))  # type: ignore[arg-type]
            seen += 1
            if seen >= wanted:
                break
        victim.send_signal(signal.SIGKILL)
        rest, victim_errors = victim.communicate(timeout=60)
        assert victim.returncode == -signal.SIGKILL, victim_errors
        acknowledged.extend(parse_acks(rest))  # acks printed before the kill took effect
        out, err = steady.communicate(timeout=120)
        assert steady.returncode == 0, err
        acknowledged.extend(parse_acks(out))

    store = open_store(DatabaseChoice(database_url, "test"))
    try:
        result = store.ledger.verify()
        assert result.ok, result.problem
        stored = {entry.seq: entry for entry in store.ledger.entries()}
        assert sorted(stored) == list(range(1, len(stored) + 1))
        for seq, i in acknowledged:
            payload = stored[seq].payload
            assert payload is not None
            assert payload["i"] == i
    finally:
        store.close()
