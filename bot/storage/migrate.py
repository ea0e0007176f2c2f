"""Bring the schema to the newest Alembic revision; safe at every start and from two processes."""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.storage.db import WRITE_OPTION, Database

_HERE = Path(__file__).resolve().parent
MIGRATION_LOCK_KEY = 0x6D696E6261720001
"""pg_advisory lock id that serialises migrations across processes ("minbar" + 1)."""


# Alembic's `context` and `op` are process-wide proxies: two migrations interleaving in one
# event loop would run each other's operations. Keyed by loop because an asyncio.Lock
# belongs to the loop it first ran on.
_IN_PROCESS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def alembic_config() -> Config:
    """Return the Alembic config with the scripts inside this package."""
    config = Config(str(_HERE / "alembic.ini"))
    config.set_main_option("script_location", str(_HERE / "migrations"))
    return config


def head_revision() -> str:
    """Return the newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no Alembic revisions found")
    return head


async def upgrade_database(url: str | Database) -> str:
    """Upgrade the database to the head revision and return that revision."""
    db, owned = (Database(url), True) if isinstance(url, str) else (url, False)
    config = alembic_config()
    turn = _IN_PROCESS.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    try:
        async with turn, db.engine.connect() as conn:
            # SQLite: BEGIN IMMEDIATE makes a second migrating process wait its turn.
            await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                if db.dialect == "postgresql":
                    # Held until commit: a concurrent start waits, then finds the schema at head.
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                await conn.run_sync(_upgrade, config)
                revision = await conn.run_sync(_revision_of)
    finally:
        if owned:
            await db.dispose()
    if revision is None:
        raise RuntimeError("migration finished without a revision")
    return revision


async def current_revision(url: str | Database) -> str | None:
    """Return the revision the database is at, or None when it was never migrated."""
    db, owned = (Database(url), True) if isinstance(url, str) else (url, False)
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(_revision_of)
    finally:
        if owned:
            await db.dispose()


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
