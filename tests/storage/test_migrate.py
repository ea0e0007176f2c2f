"""Migrations: head matches the models, is repeatable, safe concurrently; 0003 moves data."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.db import WRITE_OPTION, Database
from bot.storage.migrate import alembic_config, current_revision, head_revision, upgrade_database
from bot.storage.models import Base
from bot.storage.repositories.dialogs import DialogRepo
from tests.dbfixtures import BACKENDS, postgres_schema


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


# --- 0003: dialogs remember their options; pending offers move into dialog rows ---------------

_DIALOGS = sa.table(
    "dialogs",
    sa.column("channel", sa.String),
    sa.column("chat_id", sa.String),
    sa.column("flow", sa.String),
    sa.column("step", sa.String),
    sa.column("data", sa.JSON),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)
_STATE = sa.table(
    "service_state",
    sa.column("key", sa.String),
    sa.column("value", sa.JSON),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


async def _upgrade_to(db: Database, revision: str) -> None:
    """Migrate ``db`` to ``revision`` exactly as bot.storage.migrate does for the head."""
    config = alembic_config()

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with db.engine.connect() as conn:
        await conn.execution_options(**{WRITE_OPTION: True})
        async with conn.begin():
            await conn.run_sync(upgrade)


@contextlib.asynccontextmanager
async def _unmigrated(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
        try:
            yield db
        finally:
            await db.dispose()
    else:
        async with postgres_schema(migrate=False) as db:
            yield db


@pytest.mark.parametrize("backend", BACKENDS)
async def test_migration_0003_moves_offers_into_dialogs_and_expires_old_board_menus(
    backend: str, tmp_path: Path
) -> None:
    """Pending ``choices:`` offers become flow-less dialog rows; old board menus expire at once."""
    async with _unmigrated(backend, tmp_path) as db:
        await _upgrade_to(db, "0002")
        assert await current_revision(db) == "0002"
        now = datetime.now(UTC)
        sqlite = db.dialect == "sqlite"

        def stored(moment: datetime) -> datetime:
            return moment.replace(tzinfo=None) if sqlite else moment

        later = now + timedelta(hours=3)
        offer = {
            "choices": [
                {"label": "Umrah", "data": "pkg:umrah"},
                {"label": "Open", "data": None},
                {"label": "Hajj", "data": "pkg:hajj"},
            ],
            "until": later.isoformat(),
        }
        stale = {"choices": [{"label": "Old", "data": "pkg:old"}], "until": "2020-01-01T00:00:00"}
        async with db.engine.begin() as conn:
            await conn.execute(
                sa.insert(_STATE),
                [
                    {"key": "choices:whatsapp:+2341", "value": offer, "updated_at": stored(now)},
                    {"key": "choices:whatsapp:+2342", "value": stale, "updated_at": stored(now)},
                    {"key": "choices:whatsapp:+2343", "value": offer, "updated_at": stored(now)},
                    {"key": "choices:broken", "value": {"x": 1}, "updated_at": stored(now)},
                    {"key": "forum:last_poll", "value": {"at": "t"}, "updated_at": stored(now)},
                ],
            )
            await conn.execute(
                sa.insert(_DIALOGS),
                [
                    {  # a board menu of the old numbering (0 = all boards)
                        "channel": "whatsapp",
                        "chat_id": "+2344",
                        "flow": "boards",
                        "step": "choose",
                        "data": {"options": [2, 4]},
                        "updated_at": stored(now),
                        "expires_at": stored(later),
                    },
                    {  # another flow's dialog in a chat that also had an offer: it stays
                        "channel": "whatsapp",
                        "chat_id": "+2343",
                        "flow": "enquiry",
                        "step": "dates",
                        "data": {"package": "umrah"},
                        "updated_at": stored(now),
                        "expires_at": stored(later),
                    },
                ],
            )
        assert await upgrade_database(db) == head_revision()

        repo = DialogRepo(db)
        moved = await repo.get("whatsapp", "+2341")
        assert moved is not None
        assert (moved.flow, moved.step, moved.data, moved.is_flow) == ("", "", {}, False)
        assert [(c.label, c.data) for c in moved.options] == [
            ("Umrah", "pkg:umrah"),
            ("Hajj", "pkg:hajj"),
        ]
        assert moved.expires_at is not None
        assert abs(moved.expires_at - later) < timedelta(seconds=1)
        assert await repo.get("whatsapp", "+2342") is None  # its offer had run out

        kept = await repo.get("whatsapp", "+2343")
        assert kept is not None
        assert (kept.flow, kept.step, kept.data, kept.options) == (
            "enquiry",
            "dates",
            {"package": "umrah"},
            (),
        )
        assert not kept.is_expired(datetime.now(UTC))

        board_menu = await repo.get("whatsapp", "+2344")
        assert board_menu is not None
        assert (board_menu.flow, board_menu.options) == ("boards", ())
        assert board_menu.is_expired(datetime.now(UTC))

        options = sa.table("dialogs", sa.column("options")).c.options
        async with db.engine.connect() as conn:
            keys = set((await conn.execute(sa.select(_STATE.c.key))).scalars())
            nulls = await conn.scalar(sa.select(sa.func.count()).where(options.is_(None)))
        assert keys == {"forum:last_poll"}  # every offer left service_state, broken ones too
        assert nulls == 0
