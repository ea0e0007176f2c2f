"""A real handler context for scheduler tests; no job here touches the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.channel import ChannelRegistry
from bot.core.clock import FrozenClock
from bot.core.commands import CommandRegistry
from bot.outbox.port import OutboxPort
from bot.storage.db import Database
from bot.storage.repositories import Repositories
from bot.storage.repositories.outbox import OutboxRepo
from handlers.context import AdminPolicy, HandlerContext, StatusSnapshot
from handlers.settings import FeatureSettings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
"""A Friday, 10:00 in Lagos."""


class NoStatus:
    """A status provider nobody asks."""

    async def snapshot(self) -> StatusSnapshot:
        """Refuse: scheduler tests never ask for the status."""
        raise AssertionError("not asked in scheduler tests")


def context_for(db: Database, settings: FeatureSettings | None = None) -> HandlerContext:
    """Return a handler context with ``settings`` and a clock frozen at ``NOW``."""
    clock = FrozenClock(NOW)
    return HandlerContext(
        repos=Repositories.open(db, clock),
        outbox=OutboxPort(OutboxRepo(db, clock)),
        clock=clock,
        admins=AdminPolicy(),
        commands=CommandRegistry(),
        status=NoStatus(),
        channels=ChannelRegistry(),
        settings=settings or FeatureSettings(),
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """Return a database handle that is never connected to (no job here reads it)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    yield database
    await database.dispose()


@pytest.fixture
def ctx(db: Database) -> HandlerContext:
    """Return a handler context with the default settings (Lagos, digest at 20:00)."""
    return context_for(db)
