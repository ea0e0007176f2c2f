"""Scheduled broadcasts (promotions); their messages go through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.core.clock import Clock, SystemClock
from bot.storage.db import Database
from bot.storage.models import Broadcast


class BroadcastRepo:
    """Create, find and move broadcasts through their statuses."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def create(
        self,
        *,
        title: str,
        payload: dict[str, Any],
        send_at: datetime,
        created_by: str,
        audience: dict[str, Any] | None = None,
        whatsapp_template_kind: str | None = None,
    ) -> Broadcast:
        """Schedule a broadcast and return it with its id."""
        row = Broadcast(
            title=title[:200],
            payload=payload,
            audience=audience or {},
            send_at=send_at,
            status="scheduled",
            whatsapp_template_kind=whatsapp_template_kind,
            created_by=created_by[:64],
            created_at=self._clock.now(),
            report={},
        )
        async with self._db.write() as session:
            session.add(row)
        return row

    async def get(self, id: int) -> Broadcast | None:
        """Return one broadcast."""
        async with self._db.read() as session:
            return await session.get(Broadcast, id)

    async def due(self, now: datetime) -> list[Broadcast]:
        """Return scheduled broadcasts whose send time has come, oldest first."""
        stmt = (
            select(Broadcast)
            .where(Broadcast.status == "scheduled", Broadcast.send_at <= now)
            .order_by(Broadcast.send_at, Broadcast.id)
        )
        async with self._db.read() as session:
            return list((await session.scalars(stmt)).all())

    async def pending(self) -> list[Broadcast]:
        """Return every broadcast still scheduled (the scheduler re-adds them at start)."""
        stmt = select(Broadcast).where(Broadcast.status == "scheduled").order_by(Broadcast.id)
        async with self._db.read() as session:
            return list((await session.scalars(stmt)).all())

    async def set_status(self, id: int, status: str, *, expected: str | None = None) -> bool:
        """Move a broadcast to ``status`` (only from ``expected`` when given); True if moved."""
        stmt = update(Broadcast).where(Broadcast.id == id).values(status=status)
        if expected is not None:
            stmt = stmt.where(Broadcast.status == expected)
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def save_report(self, id: int, report: dict[str, Any]) -> None:
        """Store the broadcast's delivery report."""
        async with self._db.write() as session:
            await session.execute(update(Broadcast).where(Broadcast.id == id).values(report=report))
