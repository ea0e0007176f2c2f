"""Migrations: upgrade to head matches the models, is repeatable, and is safe concurrently."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.db import Database
from bot.storage.migrate import alembic_config, current_revision, head_revision, upgrade_database
from bot.storage.models import Base
from tests.dbfixtures import postgres_schema


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_head_schema_matches_the_models(db: Database) -> None:
    """After upgrade to head, Alembic finds no difference between the database and models.py."""
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(Base.metadata.tables) <= tables


async def test_upgrade_is_repeatable(db: Database) -> None:
    """Upgrading an up-to-date database changes nothing and reports the head again."""
    assert await current_revision(db) == head_revision()
    assert await upgrade_database(db) == head_revision()
    assert await upgrade_database(db) == head_revision()


async def test_fresh_database_has_no_revision_until_migrated(tmp_path: Path) -> None:
    """A new SQLite file reports no revision, then the head once upgraded by URL."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'minbar.db'}"
    assert await current_revision(url) is None
    assert await upgrade_database(url) == head_revision()
    assert await current_revision(url) == head_revision()


async def test_concurrent_upgrades_on_postgresql_both_succeed() -> None:
    """Two processes migrating one empty PostgreSQL schema at once both end at head."""
    async with postgres_schema(migrate=False) as db:
        twins = [Database(db.url, connect_args=db.connect_args) for _ in range(2)]
        try:
            results = await asyncio.gather(*(upgrade_database(t) for t in twins))
        finally:
            for twin in twins:
                await twin.dispose()
        assert results == [head_revision(), head_revision()]
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_diff) == []


async def test_concurrent_upgrades_on_sqlite_both_succeed(tmp_path: Path) -> None:
    """Two handles migrating one new SQLite file at once both end at head."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    twins = [Database(url), Database(url)]
    try:
        results = await asyncio.gather(*(upgrade_database(t) for t in twins))
    finally:
        for twin in twins:
            await twin.dispose()
    assert results == [head_revision(), head_revision()]


async def test_alembic_command_line_environment_migrates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alembic -c bot/storage/alembic.ini upgrade head` works on its own, URL from the env."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MINBAR_DATABASE_URL", url)
    # env.py runs its own event loop, as the alembic command does.
    await asyncio.to_thread(command.upgrade, alembic_config(), "head")
    assert await current_revision(url) == head_revision()
