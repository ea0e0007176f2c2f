"""Leader election: only one process runs the poller and the scheduler at a time."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.db import Database

logger = logging.getLogger(__name__)


class LeaderLock(Protocol):
    """A lock at most one process holds; losing it must be noticed."""

    async def try_acquire(self) -> bool:
        """Take the lock if free; return True when this process now holds it."""
        ...

    async def still_held(self) -> bool:
        """Return True while the lock is still ours."""
        ...

    async def release(self) -> None:
        """Give the lock up (no-op when not held)."""
        ...


class PostgresAdvisoryLock:
    """A session-level ``pg_advisory_lock`` held on one dedicated connection."""

    def __init__(self, db: Database, key: int) -> None:
        self._db = db
        self._key = key
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        """Take the advisory lock without waiting."""
        if self._conn is not None:
            return await self.still_held()
        conn = await self._db.engine.connect()
        try:
            # Autocommit: the lock belongs to the session, and the connection must not sit
            # "idle in transaction" for as long as we lead.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key})
        except Exception:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def still_held(self) -> bool:
        """Probe the lock's connection; a dead connection means the server dropped the lock."""
        if self._conn is None:
            return False
        try:
            await self._conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure of that connection loses the lock
            logger.warning("Leader lock connection lost: %s", exc)
            await self._drop(invalidate=True)
            return False
        return True

    async def release(self) -> None:
        """Unlock and close the dedicated connection."""
        if self._conn is None:
            return
        try:
            await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except Exception as exc:  # a dead connection already released the lock
            logger.info("Leader unlock failed (connection gone, lock already released): %s", exc)
            await self._drop(invalidate=True)
            return
        await self._drop(invalidate=False)

    async def _drop(self, *, invalidate: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            if invalidate:
                await conn.invalidate()
            await conn.close()


class SqliteFileLock:
    """An exclusive ``flock`` on ``<db file>.lock``; with no path (in-memory db) always granted."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._fd: int | None = None
        self._held = False

    async def try_acquire(self) -> bool:
        """Take the file lock without waiting."""
        if self._held:
            return True
        if self._path is None:
            self._held = True
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        self._held = True
        return True

    async def still_held(self) -> bool:
        """Return True while we hold it (the kernel keeps it until we close the file)."""
        return self._held

    async def release(self) -> None:
        """Unlock and close the lock file."""
        fd, self._fd = self._fd, None
        self._held = False
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def leader_lock_for(db: Database, key: int) -> LeaderLock:
    """Return the leader lock that fits the database: advisory on PostgreSQL, a file on SQLite."""
    if db.dialect == "postgresql":
        return PostgresAdvisoryLock(db, key)
    if db.sqlite_path is None:
        return SqliteFileLock(None)
    return SqliteFileLock(db.sqlite_path.with_name(db.sqlite_path.name + ".lock"))
