"""Leader locks: one holder at a time; a dead holder's lock passes on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.storage.db import Database
from bot.storage.leader import (
    PostgresAdvisoryLock,
    SqliteFileLock,
    leader_lock_for,
)
from tests.dbfixtures import postgres_schema

KEY = 424242


async def test_postgres_lock_refuses_second_holder_until_released() -> None:
    """A second process cannot lead while the first holds the lock; after release it can."""
    async with postgres_schema(migrate=False) as db:
        other = Database(db.url)
        try:
            first, second = PostgresAdvisoryLock(db, KEY), PostgresAdvisoryLock(other, KEY)
            assert await first.try_acquire()
            assert await first.still_held()
            assert not await second.try_acquire()
            assert await first.try_acquire(), "re-acquiring a held lock is a no-op success"
            await first.release()
            assert not await first.still_held()
            assert await second.try_acquire()
            await second.release()
        finally:
            await other.dispose()


async def test_postgres_lock_passes_on_when_holder_connection_dies() -> None:
    """When the leader's connection is killed, it notices the loss and another process leads."""
    async with postgres_schema(migrate=False) as db:
        other = Database(db.url)
        try:
            first, second = PostgresAdvisoryLock(db, KEY + 1), PostgresAdvisoryLock(other, KEY + 1)
            assert await first.try_acquire()
            assert not await second.try_acquire()
            async with other.engine.connect() as conn:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks "
                        "WHERE locktype = 'advisory' AND objid = :key AND pid <> pg_backend_pid()"
                    ),
                    {"key": KEY + 1},
                )
                await conn.commit()
            assert not await first.still_held()
            assert await second.try_acquire()
            await first.release()  # harmless after the loss
            await second.release()
        finally:
            await other.dispose()


async def test_sqlite_file_lock_is_exclusive(tmp_path: Path) -> None:
    """Two holders of one lock file: the second is refused until the first releases."""
    path = tmp_path / "data" / "minbar.db.lock"
    first, second = SqliteFileLock(path), SqliteFileLock(path)
    assert await first.try_acquire()
    assert await first.still_held()
    assert not await second.try_acquire()
    assert not await second.still_held()
    await first.release()
    assert await second.try_acquire()
    await second.release()


async def test_lock_for_picks_by_backend(tmp_path: Path) -> None:
    """SQLite files get a lock file beside them; in-memory databases always lead."""
    file_db = Database(f"sqlite+aiosqlite:///{tmp_path / 'minbar.db'}")
    memory_db = Database("sqlite+aiosqlite:///:memory:")
    pg_db = Database("postgresql+asyncpg://u@127.0.0.1/db")
    try:
        lock = leader_lock_for(file_db, KEY)
        assert isinstance(lock, SqliteFileLock)
        assert await lock.try_acquire()
        assert (tmp_path / "minbar.db.lock").exists()
        assert not await leader_lock_for(file_db, KEY).try_acquire()
        await lock.release()
        memory_lock = leader_lock_for(memory_db, KEY)
        assert await memory_lock.try_acquire()
        assert await memory_lock.still_held()
        assert isinstance(leader_lock_for(pg_db, KEY), PostgresAdvisoryLock)
    finally:
        for handle in (file_db, memory_db, pg_db):
            await handle.dispose()
