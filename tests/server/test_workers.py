"""``assay serve --workers N``: real server processes on PostgreSQL. Each worker listens on a
socket of its own, so that connections arriving together are spread over the workers (read
from the operating system: which process holds each accepted connection); a worker that dies
is replaced; stopping the server stops every worker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assay.server.settings import SERVE_GC_YOUNG_THRESHOLD, SETTINGS_VARIABLE
from tests.helpers.databases import POSTGRES_URL, postgres_schema
from tests.helpers.server import serve_process

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="ASSAY_TEST_POSTGRES_URL is not set"),
]
CONNECTIONS = 32


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def _workers(parent: int) -> list[int]:
    """The worker processes ``assay serve`` started (its children running a spawned worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return sorted(found)


def _accepted_by(pids: list[int], port: int) -> dict[int, int]:
    """How many established connections to ``port`` each process holds (from /proc)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                inodes.add(fields[9])
    held = {}
    for pid in pids:
        sockets = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                sockets.add(link[len("socket:[") : -1])
        held[pid] = len(sockets & inodes)
    return held


async def _connect_together(port: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """``CONNECTIONS`` clients connecting at the same moment, each answered once (so that its
    connection has been accepted by a worker)."""

    async def one() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        return reader, writer

    return list(await asyncio.gather(*(one() for _ in range(CONNECTIONS))))


def test_connections_arriving_together_are_spread_over_the_workers(
    database_url: str, tmp_path: Path
) -> None:
    with serve_process(database_url, "--workers", "2", "--no-scheduler", home=tmp_path) as (
        process,
        base,
    ):
        port = int(base.rsplit(":", 1)[1])
        workers = _workers(process.pid)
        assert len(workers) == 2

        async def count() -> dict[int, int]:
            clients = await _connect_together(port)
            try:
                return _accepted_by(workers, port)
            finally:
                for _, writer in clients:
                    writer.close()

        held = asyncio.run(count())
    assert sum(held.values()) == CONNECTIONS
    # Spread by the kernel's hash of each connection: one worker with fewer than 4 of 32 has
    # a chance of about 3 in a million; one shared socket gave one worker nearly all of them.
    assert min(held.values()) >= 4, held


def test_workers_get_the_servers_garbage_collector_settings(
    database_url: str, tmp_path: Path
) -> None:
    """Each worker builds its application from the settings ``assay serve`` hands over in its
    environment: start-up objects frozen, the youngest generation collected less often."""
    with serve_process(database_url, "--workers", "2", "--no-scheduler", home=tmp_path) as (
        process,
        _,
    ):
        workers = _workers(process.pid)
        assert len(workers) == 2
        for pid in workers:
            environment = dict(
                line.split(b"=", 1)
                for line in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                if b"=" in line
            )
            settings = json.loads(environment[SETTINGS_VARIABLE.encode()])
            assert settings["freeze_startup_objects"] is True
            assert settings["gc_young_threshold"] == SERVE_GC_YOUNG_THRESHOLD


def test_a_worker_that_dies_is_replaced_and_stopping_stops_them_all(
    database_url: str, tmp_path: Path
) -> None:
    with serve_process(database_url, "--workers", "2", "--no-scheduler", home=tmp_path) as (
        process,
        base,
    ):
        first = _workers(process.pid)
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(now := _workers(process.pid)) < 2 or first[0] in now:
            assert time.monotonic() < deadline, f"no worker replaced {first[0]}: {now}"
            time.sleep(0.1)
        for _ in range(10):  # served throughout, by whichever worker
            assert httpx.get(f"{base}/health", timeout=30).status_code == 200
        process.terminate()
        assert process.wait(timeout=60) == 0
    for pid in now:
        assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid), f"worker {pid} left"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_a_port_another_server_holds_is_refused(database_url: str, tmp_path: Path) -> None:
    from tests.helpers.running import run_process

    with serve_process(database_url, "--workers", "2", "--no-scheduler", home=tmp_path) as (
        _,
        base,
    ):
        port = base.rsplit(":", 1)[1]
        # The second server would set SO_REUSEPORT too: it must not join the first's port.
        result = run_process(
            "serve", "--workers", "2", "--port", port, "--db", database_url, timeout=60
        )
    assert result.exit_code == 2
    assert f"port {port} is in use" in result.stderr


def test_workers_stop_when_the_server_is_killed(database_url: str, tmp_path: Path) -> None:
    with serve_process(database_url, "--workers", "2", "--no-scheduler", home=tmp_path) as (
        process,
        _,
    ):
        workers = _workers(process.pid)
        assert len(workers) == 2
        process.kill()  # no chance to stop its workers
        process.wait(timeout=30)
        deadline = time.monotonic() + 60
        while left := [pid for pid in workers if _state(pid) not in ("gone", "Z")]:
            assert time.monotonic() < deadline, f"workers {left} serve on without their parent"
            time.sleep(0.2)
