"""The Database handle: pragmas, transactions, aware UTC datetimes, ping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import StatementError

from bot.core.errors import ConfigError
from bot.storage.db import Database
from bot.storage.models import ServiceStateRow
from bot.storage.repositories.state import StateRepo
from tests.dbfixtures import memory_database, sqlite_database


async def test_dialect_is_named(db: Database) -> None:
    """The handle says which backend it talks to."""
    assert db.dialect in ("sqlite", "postgresql")
    assert await db.ping() is True


async def test_ping_fails_softly_when_unreachable(tmp_path: Path) -> None:
    """A database that cannot be opened answers ping with False instead of raising."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ok.db'}")
    db_bad = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none", connect_args={"timeout": 1})
    try:
        assert await db.ping() is True
        assert await db_bad.ping() is False
    finally:
        await db.dispose()
        await db_bad.dispose()


def test_unsupported_backend_is_a_config_error() -> None:
    """Only SQLite and PostgreSQL URLs are accepted."""
    with pytest.raises(ConfigError, match="unsupported database"):
        Database("mysql+aiomysql://u@localhost/db")


async def test_sqlite_file_gets_parent_directory_and_pragmas(tmp_path: Path) -> None:
    """A file database creates its directory and runs in WAL mode with foreign keys on."""
    path = tmp_path / "nested" / "dir" / "minbar.db"
    async with sqlite_database(path) as db:
        assert path.parent.is_dir()
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    """A datetime written in any zone is read back as the same instant, aware, in UTC."""
    cairo = timezone(timedelta(hours=2))
    written = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=cairo)
    async with db.write() as session:
        session.add(ServiceStateRow(key="k", value={}, updated_at=written))
    async with db.read() as session:
        read = await session.scalar(select(ServiceStateRow.updated_at))
    assert read == written
    assert read is not None
    assert read.tzinfo is UTC
    assert read.hour == 10


async def test_naive_datetimes_are_refused(db: Database) -> None:
    """Writing a naive datetime fails loudly instead of storing an ambiguous time."""
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.write() as session:
            session.add(ServiceStateRow(key="k", value={}, updated_at=datetime(2026, 1, 1)))


async def test_read_modify_write_from_two_handles_serialises(
    db: Database, db_twin: Callable[[], Database]
) -> None:
    """Two handles that read then write the same row both succeed, one after the other."""
    await StateRepo(db).put("counter", {"n": 0})
    handles = [db, db_twin()]

    async def bump(handle: Database) -> None:
        async with handle.write() as session:
            current = await session.scalar(
                select(ServiceStateRow.value)
                .where(ServiceStateRow.key == "counter")
                .with_for_update()
            )
            assert current is not None
            await asyncio.sleep(0.05)  # widen the window in which the other writer arrives
            await session.execute(
                update(ServiceStateRow)
                .where(ServiceStateRow.key == "counter")
                .values(value={"n": current["n"] + 1})
            )

    await asyncio.gather(*(bump(h) for h in handles for _ in range(3)))
    assert await StateRepo(db).get("counter") == {"n": 6}


async def test_memory_database_serves_concurrent_tasks() -> None:
    """Concurrent tasks on one in-memory database take turns instead of mixing transactions."""
    async with memory_database() as db:
        repo = StateRepo(db)
        await asyncio.gather(*(repo.put(f"k{i}", {"i": i}) for i in range(20)))
        assert [await repo.get(f"k{i}") for i in range(20)] == [{"i": i} for i in range(20)]
