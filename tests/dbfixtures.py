"""Database fixtures shared by every test package: migrated SQLite files and PostgreSQL schemas.

Import the fixtures into a conftest (``from tests.dbfixtures import db, db_twin, memory_db``).
``db`` runs each test on both backends; PostgreSQL tests skip with the reason when the server
at ``MINBAR_TEST_PG_URL`` is down.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.storage.db import Database
from bot.storage.migrate import upgrade_database

PG_URL_ENV = "MINBAR_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

_reachability: dict[str, str | None] = {}


def pg_url() -> str:
    """Return the PostgreSQL URL the tests use."""
    return os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)


async def pg_unreachable_reason(url: str | None = None) -> str | None:
    """Return why PostgreSQL cannot be used, or None when it answers (checked once per run)."""
    url = url or pg_url()
    if url not in _reachability:
        shown = make_url(url).render_as_string(hide_password=True)
        probe = Database(url, connect_args={"timeout": 3})
        try:
            async with probe.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            _reachability[url] = None
        except Exception as exc:  # any failure means "skip", with the reason shown
            _reachability[url] = f"PostgreSQL not reachable at {shown}: {exc!r}"
        finally:
            await probe.dispose()
    return _reachability[url]


async def require_pg() -> str:
    """Return the PostgreSQL URL, or skip the test with the reason it is unusable."""
    reason = await pg_unreachable_reason()
    if reason is not None:
        pytest.skip(reason)
    return pg_url()


@contextlib.asynccontextmanager
async def sqlite_database(path: Path) -> AsyncIterator[Database]:
    """Yield a migrated SQLite file database at ``path``."""
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_database(url)
    db = Database(url)
    try:
        yield db
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def postgres_schema(*, migrate: bool = True) -> AsyncIterator[Database]:
    """Yield a Database on a fresh, private PostgreSQL schema (dropped afterwards)."""
    url = await require_pg()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = Database(url)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = Database(url, connect_args={"server_settings": {"search_path": schema}})
        try:
            if migrate:
                await upgrade_database(db)
            yield db
        finally:
            await db.dispose()
            async with admin.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@contextlib.asynccontextmanager
async def database_for(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """Yield a migrated database of the given backend (``sqlite`` or ``postgresql``)."""
    if backend == "sqlite":
        async with sqlite_database(tmp_path / "minbar.db") as db:
            yield db
    else:
        async with postgres_schema() as db:
            yield db


@contextlib.asynccontextmanager
async def memory_database() -> AsyncIterator[Database]:
    """Yield an in-memory SQLite database with every table created (fast unit tests)."""
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        await upgrade_database(db)
        yield db
    finally:
        await db.dispose()


def twin_of(db: Database) -> Database:
    """Return a second, independent Database on the same data (another 'process')."""
    return Database(db.url, connect_args=db.connect_args)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """Return a freshly migrated database, once on SQLite (file) and once on PostgreSQL."""
    async with database_for(request.param, tmp_path) as database:
        yield database


@pytest.fixture
async def db_twin(db: Database) -> AsyncIterator[Callable[[], Database]]:
    """Return a factory of extra Database handles on ``db``'s data; all disposed at the end."""
    made: list[Database] = []

    def make() -> Database:
        twin = twin_of(db)
        made.append(twin)
        return twin

    yield make
    for twin in made:
        await twin.dispose()


@pytest.fixture
async def memory_db() -> AsyncIterator[Database]:
    """Return a migrated in-memory SQLite database."""
    async with memory_database() as database:
        yield database


__all__ = [
    "BACKENDS",
    "database_for",
    "db",
    "db_twin",
    "memory_database",
    "memory_db",
    "pg_unreachable_reason",
    "pg_url",
    "postgres_schema",
    "require_pg",
    "sqlite_database",
    "twin_of",
]
