"""Small named facts kept between runs (last poll, raised alerts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.core.clock import Clock, SystemClock
from bot.storage.db import Database, table_of
from bot.storage.models import ServiceStateRow

_T = table_of(ServiceStateRow)


class StateRepo:
    """A tiny key → JSON document store."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def get(self, key: str) -> dict[str, Any] | None:
        """Return the value stored under ``key``."""
        async with self._db.read() as session:
            value = await session.scalar(select(_T.c.value).where(_T.c.key == key))
        return dict(value) if value is not None else None

    async def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` under ``key``, replacing what was there."""
        now = self._clock.now()
        stmt = (
            self._db.insert(_T)
            .values(key=key, value=value, updated_at=now)
            .on_conflict_do_update(
                index_elements=[_T.c.key], set_={"value": value, "updated_at": now}
            )
        )
        async with self._db.write() as session:
            await session.execute(stmt)
