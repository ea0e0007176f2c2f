"""Scheduled broadcasts (promotions); their messages go through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.core.clock import Clock, SystemClock
from bot.domain.broadcasts import Broadcast
from bot.storage.db import Database
from bot.storage.models import BroadcastRow


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
        row = BroadcastRow(
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
            await session.flush()
            return _broadcast(row)

    async def get(self, id: int) -> Broadcast | None:
        """Return one broadcast."""
        async with self._db.read() as session:
            row = await session.get(BroadcastRow, id)
            return _broadcast(row) if row is not None else None

    async def due(self, now: datetime) -> list[Broadcast]:
        """Return scheduled broadcasts whose send time has come, oldest first."""
        stmt = (
            select(BroadcastRow)
            .where(BroadcastRow.status == "scheduled", BroadcastRow.send_at <= now)
            .order_by(BroadcastRow.send_at, BroadcastRow.id)
        )
        async with self._db.read() as session:
            return [_broadcast(r) for r in (await session.scalars(stmt)).all()]

    async def pending(self) -> list[Broadcast]:
        """Return every broadcast still scheduled (the scheduler re-adds them at start)."""
        stmt = (
            select(BroadcastRow).where(BroadcastRow.status == "scheduled").order_by(BroadcastRow.id)
        )
        async with self._db.read() as session:
            return [_broadcast(r) for r in (await session.scalars(stmt)).all()]

    async def set_status(self, id: int, status: str, *, expected: str | None = None) -> bool:
        """Move a broadcast to ``status`` (only from ``expected`` when given); True if moved."""
        stmt = update(BroadcastRow).where(BroadcastRow.id == id).values(status=status)
        if expected is not None:
            stmt = stmt.where(BroadcastRow.status == expected)
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def save_report(self, id: int, report: dict[str, Any]) -> None:
        """Store the broadcast's delivery report."""
        async with self._db.write() as session:
            await session.execute(
                update(BroadcastRow).where(BroadcastRow.id == id).values(report=report)
            )


def _broadcast(row: BroadcastRow) -> Broadcast:
    return Broadcast(
        id=row.id,
        title=row.title,
        payload=dict(row.payload),
        send_at=row.send_at,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        audience=dict(row.audience or {}),
        whatsapp_template_kind=row.whatsapp_template_kind,
        report=dict(row.report or {}),
    )
