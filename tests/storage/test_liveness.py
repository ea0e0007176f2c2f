"""Worker liveness: a lock per process start, seen alive by others until its process dies."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import Database
from bot.storage.liveness import LockLiveness, advisory_key, new_worker_id
from tests.dbfixtures import postgres_schema

ROOT = Path(__file__).resolve().parents[2]
HOLD_AND_WAIT = """
import asyncio, sys
from bot.storage.db import Database
from bot.storage.liveness import LockLiveness

async def main():
    live = LockLiveness(Database(sys.argv[1]))
    await live.hold(sys.argv[2])
    print("held", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_worker_ids_differ_between_process_starts_with_the_same_pid() -> None:
    """pid 1 in two containers on hosts of one name still gives two ids."""
    first = new_worker_id("web", 1)
    second = new_worker_id("web", 1)
    assert first != second
    assert first.startswith("web:1:")
    assert len(new_worker_id("h" * 300, 123456)) <= 64  # fits outbox.claimed_by


async def _spawn_holder(url: str, worker_id: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLD_AND_WAIT,
        url,
        worker_id,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), timeout=30)) == b"held\n"
    return proc


async def test_sqlite_worker_is_alive_until_killed(tmp_path: Path) -> None:
    """Another process's worker is alive while it runs and dead the moment it is SIGKILLed."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'minbar.db'}")
    probe = LockLiveness(db)
    proc = await _spawn_holder(db.url, "host:1:aa")
    try:
        assert await probe.is_alive("host:1:aa")
        assert not await probe.is_alive("host:1:bb")  # never started
    finally:
        proc.kill()
        await proc.wait()
    assert not await probe.is_alive("host:1:aa")
    await db.dispose()


async def test_sqlite_own_lock_is_held_and_released(tmp_path: Path) -> None:
    """A worker sees itself alive, another holder of its id is refused, a release frees it."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'minbar.db'}")
    mine, other = LockLiveness(db), LockLiveness(db)
    await mine.hold("w:1:01")
    assert await mine.is_alive("w:1:01")
    assert await other.is_alive("w:1:01")
    assert await mine.ensure_held()
    with pytest.raises(RuntimeError, match="already held"):
        await other.hold("w:1:01")
    await mine.release()
    assert not await other.is_alive("w:1:01")
    lock_dir = tmp_path / "minbar.db.workers"
    assert list(lock_dir.iterdir()) == []  # a clean stop leaves no file
    await db.dispose()


async def test_in_memory_database_has_no_other_live_workers() -> None:
    """On an in-memory database only this process's worker can be alive."""
    db = Database("sqlite+aiosqlite:///:memory:")
    live = LockLiveness(db)
    await live.hold("me:1:00")
    assert await live.is_alive("me:1:00")
    assert not await live.is_alive("other:1:00")
    await live.release()
    await db.dispose()


async def test_postgres_worker_is_alive_until_its_session_dies() -> None:
    """On PostgreSQL the advisory lock dies with the holder's session (as on SIGKILL)."""
    async with postgres_schema(migrate=False) as db:
        other = Database(db.url)
        try:
            holder, probe = LockLiveness(db), LockLiveness(other)
            worker_id = new_worker_id("pg", os.getpid())
            key = advisory_key(worker_id)
            await holder.hold(worker_id)
            assert await probe.is_alive(worker_id)
            assert await probe.is_alive(worker_id), "a probe must not take the lock for itself"
            async with other.engine.connect() as conn:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = "
                        "'advisory' AND classid::bigint = :high AND objid::bigint = :low "
                        "AND pid <> pg_backend_pid()"
                    ),
                    {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
                )
                await conn.commit()
            # The server ends the session a moment after pg_terminate_backend returns.
            for _ in range(500):
                if not await probe.is_alive(worker_id):
                    break
                await asyncio.sleep(0.01)
            assert not await probe.is_alive(worker_id)
            assert not await holder.ensure_held()  # it notices the loss and takes it again
            assert await probe.is_alive(worker_id)
            await holder.release()
            assert not await probe.is_alive(worker_id)
        finally:
            await other.dispose()
