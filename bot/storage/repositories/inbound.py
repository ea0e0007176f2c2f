"""Inbound dedupe: webhooks are retried, so each platform message is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from bot.core.clock import Clock, SystemClock
from bot.storage.db import Database, table_of
from bot.storage.models import InboundSeenRow

_T = table_of(InboundSeenRow)


class InboundDedupRepo:
    """Remember platform message ids already handled."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def first_time(self, message_ref: str) -> bool:
        """Record ``message_ref``; True only for the first caller ever to see it."""
        stmt = (
            self._db.insert(_T)
            .values(message_ref=message_ref[:120], seen_at=self._clock.now())
            .on_conflict_do_nothing(index_elements=[_T.c.message_ref])
            .returning(_T.c.message_ref)
        )
        async with self._db.write() as session:
            return (await session.execute(stmt)).first() is not None

    async def prune(self, older_than: datetime) -> int:
        """Forget ids seen before ``older_than``; return how many."""
        async with self._db.write() as session:
            result = await session.execute(delete(_T).where(_T.c.seen_at < older_than))
        return int(result.rowcount)  # type: ignore[attr-defined]
