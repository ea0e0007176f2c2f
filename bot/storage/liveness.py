"""Worker liveness: each process start holds a lock named after its worker id until it dies.

A lock, not a heartbeat, because the operating system (a closed file, a closed PostgreSQL
session) releases it the moment a process is killed: the rows a dead worker had leased can
be taken back at once instead of after their lease or a heartbeat timeout. On SQLite the lock
is an ``flock`` on ``<db>.workers/<id>.lock``; on PostgreSQL a session advisory lock keyed by
a hash of the id. Any process can probe another's lock without waiting.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import socket
import time
from pathlib import Path

from sqlalchemy import text

from bot.storage.db import Database
from bot.storage.leader import LeaderLock, PostgresAdvisoryLock, SqliteFileLock

_HOST_MAX = 40
_LITTER_AGE = 60.0


def new_worker_id(hostname: str | None = None, pid: int | None = None) -> str:
    """Return an id no other process start shares (pid 1 is in every container)."""
    host = (hostname or socket.gethostname())[:_HOST_MAX]
    return f"{host}:{pid if pid is not None else os.getpid()}:{secrets.token_hex(4)}"


def advisory_key(worker_id: str) -> int:
    """Return the signed 64-bit PostgreSQL advisory-lock key of ``worker_id``."""
    digest = hashlib.blake2b(f"minbar-worker:{worker_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class LockLiveness:
    """Liveness on the database's own kind of lock (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._own: str | None = None
        self._lock: LeaderLock | None = None

    async def hold(self, worker_id: str) -> None:
        """Take the lock of ``worker_id``; raise when someone else holds it already."""
        lock: LeaderLock
        if self._db.dialect == "postgresql":
            lock = PostgresAdvisoryLock(self._db, advisory_key(worker_id))
        else:
            lock = SqliteFileLock(self._lock_path(worker_id))
        if not await lock.try_acquire():
            raise RuntimeError(f"worker id {worker_id!r} is already held by a running process")
        self._own, self._lock = worker_id, lock

    async def is_alive(self, worker_id: str) -> bool:
        """Probe ``worker_id``'s lock without waiting: held means alive."""
        if worker_id == self._own:
            return True
        if self._db.dialect == "postgresql":
            return await self._probe_advisory(advisory_key(worker_id))
        path = self._lock_path(worker_id)
        if path is None:  # an in-memory database lives and dies with this one process
            return False
        return _probe_file(path)

    async def ensure_held(self) -> bool:
        """Re-take the lock when its PostgreSQL session was lost; return False if it was."""
        if self._lock is None or self._own is None or await self._lock.still_held():
            return True
        # Another process may already have taken back our rows (their settle writes are
        # guarded by the lease holder, so nothing is corrupted); hold the lock again from now.
        await self._lock.try_acquire()
        return False

    async def release(self) -> None:
        """Unlock; on SQLite also remove the lock file."""
        lock, self._lock = self._lock, None
        if lock is None:
            return
        await lock.release()
        path = self._lock_path(self._own) if self._own else None
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    async def _probe_advisory(self, key: int) -> bool:
        async with self._db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            if got:  # nobody held it: the worker is gone; give the probe's lock straight back
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        return not got

    def _lock_path(self, worker_id: str) -> Path | None:
        if self._db.sqlite_path is None:
            return None
        folder = self._db.sqlite_path.with_name(self._db.sqlite_path.name + ".workers")
        return folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', worker_id)}.lock"


def _probe_file(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False  # never started here, or stopped cleanly
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own lock, if it got one
    with contextlib.suppress(OSError):
        # The worker died and its file is litter. A file this young may instead belong to a
        # worker between creating it and locking it; removing that one would hide it forever.
        if time.time() - path.stat().st_mtime > _LITTER_AGE:
            path.unlink()
    return False
