"""A worker killed with SIGKILL mid-fan-out: its rows come back at once, few are sent twice."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

from bot.core.channel import ChannelRegistry
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_workers import OutboxWorkerRepo
from tests.outbox.conftest import item
from tests.outbox.crash_worker import FileChannel, build_worker

ROOT = Path(__file__).resolve().parents[2]
CHATS = 300
CONCURRENCY = 4  # build_worker's


def _accepted(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").split() if log.exists() else []


async def _until(predicate: object, limit: float) -> float:
    """Wait until ``predicate()`` holds; return the seconds it took (raise after ``limit``)."""
    started = time.monotonic()
    while not predicate():  # type: ignore[operator]
        if time.monotonic() - started > limit:
            raise AssertionError(f"not within {limit} s")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def test_a_killed_worker_resends_at_most_its_in_flight_rows(
    db: Database, tmp_path: Path
) -> None:
    """After kill -9 at half a fan-out, the next worker takes the dead one's leased rows back
    at once (not after the 60 s lease), nothing is lost, and the messages sent twice are at
    most the rows recorded in flight at the kill."""
    await OutboxRepo(db).enqueue([item(f"k{n}", str(n)) for n in range(CHATS)])
    log = tmp_path / "accepted.log"
    schema = db.connect_args.get("server_settings", {}).get("search_path", "-")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.outbox.crash_worker", db.url, schema, str(log), cwd=ROOT
    )
    try:
        await _until(lambda: len(_accepted(log)) >= CHATS // 2, limit=60)
    finally:
        proc.kill()
        await proc.wait()
    at_kill = len(_accepted(log))
    in_flight = await OutboxWorkerRepo(db).in_flight()

    registry = ChannelRegistry()
    registry.add(FileChannel(log))
    await registry.start_all()
    stop = asyncio.Event()
    running = asyncio.create_task(build_worker(db, registry).run(stop))
    try:
        resumed = await _until(lambda: len(_accepted(log)) > at_kill, limit=10)
        await _until(lambda: len(set(_accepted(log))) == CHATS, limit=30)
    finally:
        stop.set()
        await running
    counts = Counter(_accepted(log))
    duplicates = sum(n - 1 for n in counts.values())
    assert set(counts) == {str(n) for n in range(CHATS)}  # none lost
    assert at_kill < CHATS  # the kill came mid-fan-out
    assert duplicates <= in_flight
    # In flight: the sends holding a slot, plus finished ones whose outcome awaited its commit.
    assert in_flight <= 2 * CONCURRENCY
    assert resumed < 5.0
