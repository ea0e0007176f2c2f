"""Storage tests run on every backend through the shared database fixtures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.clock import FrozenClock
from tests.dbfixtures import db, db_twin, memory_db

__all__ = ["clock", "db", "db_twin", "memory_db"]

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    """Return a clock frozen at 2026-03-01 09:00 UTC that moves only when told."""
    return FrozenClock(START)
