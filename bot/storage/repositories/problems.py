"""Delivery problems: written where failures are recorded, read by the admin alert job."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import cast

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock, SystemClock
from bot.core.ids import ChannelName, ChatId
from bot.domain.problems import DeliveryProblem, ProblemKind
from bot.storage.db import Database
from bot.storage.models import DeliveryProblemRow, DestinationRow

_Row = DeliveryProblemRow


class ProblemRepo:
    """The ``delivery_problems`` table: kept until alerted, pruned after a while."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def unalerted(self, limit: int = 1000) -> list[DeliveryProblem]:
        """Return the oldest problems the admins have not been told about."""
        stmt = select(_Row).where(_Row.alerted.is_(False)).order_by(_Row.id).limit(limit)
        async with self._db.read() as session:
            return [_to_problem(r) for r in (await session.scalars(stmt)).all()]

    async def mark_alerted(self, ids: Collection[int]) -> None:
        """Note that these problems were told (or judged not worth telling)."""
        if not ids:
            return
        async with self._db.write() as session:
            await session.execute(update(_Row).where(_Row.id.in_(sorted(ids))).values(alerted=True))

    async def prune(self, before: datetime) -> int:
        """Delete told problems older than ``before``; return how many."""
        stmt = delete(_Row).where(_Row.alerted.is_(True), _Row.at < before)
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]


async def add_problem(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    kind: ProblemKind,
    error_key: str,
    detail: str,
    at: datetime,
    message_kind: str | None = None,
) -> None:
    """Store one problem in the caller's transaction, linked to its destination if it is one."""
    destination_id = await session.scalar(
        select(DestinationRow.id)
        .where(DestinationRow.channel == channel, DestinationRow.chat_id == chat_id)
        .order_by(DestinationRow.id)
        .limit(1)
    )
    session.add(
        _Row(
            channel=channel,
            chat_id=chat_id,
            destination_id=destination_id,
            kind=kind,
            message_kind=message_kind,
            error_key=error_key[:64],
            detail=detail[:500],
            at=at,
            alerted=False,
        )
    )


def _to_problem(row: DeliveryProblemRow) -> DeliveryProblem:
    return DeliveryProblem(
        id=row.id,
        channel=ChannelName(row.channel),
        chat_id=ChatId(row.chat_id),
        destination_id=row.destination_id,
        kind=cast(ProblemKind, row.kind),
        message_kind=row.message_kind,
        error_key=row.error_key,
        detail=row.detail,
        at=row.at,
    )
