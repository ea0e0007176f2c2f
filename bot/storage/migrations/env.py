"""Alembic environment: runs on a connection handed in by bot.storage.migrate, or on its own."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    """Run the pending revisions on an open (sync-facing) connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone(url: str) -> None:
    """Open our own Database (same SQLite hooks as the service) and migrate it."""
    from bot.storage.db import WRITE_OPTION, Database

    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            await conn.execution_options(**{WRITE_OPTION: True})
            await conn.run_sync(run_on)
            await conn.commit()
    finally:
        await db.dispose()


def main() -> None:
    """Pick the connection: the caller's when given, else a URL from -x, env or ini."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    if context.is_offline_mode():
        raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or os.environ.get("MINBAR_DATABASE_URL")
        or config.get_main_option("sqlalchemy.url")
    )
    if not url:
        raise SystemExit("No database URL: pass -x url=... or set MINBAR_DATABASE_URL.")
    asyncio.run(run_standalone(url))


main()
