"""The async database handle: one engine, one session factory, SQLite made safe for writers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool

from bot.core.errors import ConfigError

logger = logging.getLogger(__name__)

Dialect = Literal["sqlite", "postgresql"]
WRITE_OPTION = "minbar_write"
"""Connection execution option that makes SQLite open the transaction with BEGIN IMMEDIATE."""

Upsert = postgresql.Insert | sqlite.Insert


def table_of(model: type[DeclarativeBase]) -> Table:
    """Return a mapped class's Table (typed, for Core statements)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a Table")
    return table


class Database:
    """An async engine plus session factory for SQLite (embedded) or PostgreSQL (production)."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        connect_args: Mapping[str, Any] | None = None,
    ) -> None:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise ConfigError(f"database.url: unsupported database {backend!r}")
        self.url = url
        self.connect_args: dict[str, Any] = dict(connect_args or {})
        self.dialect: Dialect = "sqlite" if backend == "sqlite" else "postgresql"
        self.sqlite_path: Path | None = None
        self.in_memory = False
        kwargs: dict[str, Any] = {"echo": echo, "connect_args": dict(self.connect_args)}
        if self.dialect == "sqlite":
            database = parsed.database or ""
            self.in_memory = database in ("", ":memory:") or "mode=memory" in database
            if self.in_memory:
                kwargs["poolclass"] = StaticPool
            else:
                self.sqlite_path = Path(database)
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = create_async_engine(parsed, **kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # An in-memory database is one shared connection: interleaved transactions from
        # two tasks would corrupt each other, so they take turns.
        self._turns: asyncio.Lock | None = asyncio.Lock() if self.in_memory else None
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """Open a short read transaction."""
        async with self._turn(), self.sessions() as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """Open a short write transaction (on SQLite it takes the write lock up front)."""
        async with self._turn(), self.sessions() as session, session.begin():
            await session.connection(execution_options={WRITE_OPTION: True})
            yield session

    def insert(self, table: Table) -> Upsert:
        """Return an INSERT that supports ``on_conflict_do_nothing``/``_do_update`` here."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def ping(self) -> bool:
        """Return True when the database answers a trivial query."""
        try:
            async with self._turn(), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver failure means "not reachable" for health checks
            logger.warning("Database ping failed: %s", exc)
            return False
        return True

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._turns is None:
            yield
            return
        async with self._turns:
            yield


def is_transient_storage_error(exc: BaseException) -> bool:
    """Return whether ``exc`` is the database being busy or away, which a retry can cure.

    A locked SQLite file, a dropped PostgreSQL connection, an exhausted pool: yes. A
    constraint violation or a bug in a handler: no, and retrying it only repeats it.
    """
    if isinstance(exc, OperationalError | PoolTimeout | TimeoutError | ConnectionError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _install_sqlite_hooks(db: Database) -> None:
    sync_engine = db.engine.sync_engine
    in_memory = db.in_memory

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop the driver's legacy transaction control (no BEGIN before SELECT/DDL);
        # the "begin" hook below emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching a new file to WAL needs a lock another
            # connection may briefly hold.
            cursor.execute("PRAGMA busy_timeout=5000")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock at BEGIN, so competing writers wait (busy_timeout)
        # instead of failing with "database is locked" when a read upgrades to a write.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")
