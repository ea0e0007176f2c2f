"""Delivery health per chat: errors and successes recorded on destinations and subscribers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock, SystemClock
from bot.domain.subscribers import DELIVERY_ERRORS
from bot.storage.db import Database
from bot.storage.models import DestinationRow, ServiceStateRow, SubscriberRow
from bot.storage.repositories.destinations import MIGRATIONS_KEY
from bot.storage.repositories.problems import add_problem


class RecipientStateRepo:
    """Record what happened when we tried to reach a chat."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def record_error(
        self,
        channel: str,
        chat_id: str,
        error_key: str,
        detail: str,
        *,
        deactivate: bool,
        message_kind: str | None = None,
    ) -> None:
        """Store the error on the chat's destinations; with ``deactivate`` stop sending there.

        A delivery problem is stored in the same transaction, so the admins hear of it
        (``handlers.delivery_alerts``) even if the process dies right after.
        """
        now = self._clock.now()
        health = {"error_key": error_key[:64], "last_error": detail[:500], "last_error_at": now}
        if deactivate:
            health["active"] = False
        async with self._db.write() as session:
            await session.execute(
                update(DestinationRow)
                .where(DestinationRow.channel == channel, DestinationRow.chat_id == chat_id)
                .values(**health)
            )
            if deactivate:
                await session.execute(
                    update(SubscriberRow)
                    .where(
                        SubscriberRow.channel == channel,
                        SubscriberRow.chat_id == chat_id,
                        # Only a live subscription is paused: overwriting "unsubscribed" or
                        # "opted_out" would let a later message re-subscribe them.
                        SubscriberRow.active.is_(True),
                    )
                    .values(active=False, inactive_reason=error_key[:64], updated_at=now)
                )
            await add_problem(
                session,
                channel=channel,
                chat_id=chat_id,
                kind="deactivated" if deactivate else "failed",
                error_key=error_key,
                detail=detail,
                at=now,
                message_kind=message_kind,
            )

    async def record_problem(
        self,
        channel: str,
        chat_id: str,
        error_key: str,
        detail: str,
        *,
        message_kind: str | None = None,
    ) -> None:
        """Store a delivery problem no chat caused; the chat's own health is left alone."""
        async with self._db.write() as session:
            await add_problem(
                session,
                channel=channel,
                chat_id=chat_id,
                kind="failed",
                error_key=error_key,
                detail=detail,
                at=self._clock.now(),
                message_kind=message_kind,
            )

    async def record_ok(self, channel: str, chat_id: str) -> None:
        """Clear the chat's destination error and note the successful send."""
        now = self._clock.now()
        async with self._db.write() as session:
            await session.execute(
                update(DestinationRow)
                .where(DestinationRow.channel == channel, DestinationRow.chat_id == chat_id)
                .values(error_key=None, last_error=None, last_ok_at=now)
            )

    async def record_back(self, channel: str, chat_id: str) -> None:
        """Resume destinations and subscribers that errors stopped (the bot is back in the chat)."""
        now = self._clock.now()
        async with self._db.write() as session:
            await session.execute(
                update(DestinationRow)
                .where(
                    DestinationRow.channel == channel,
                    DestinationRow.chat_id == chat_id,
                    DestinationRow.error_key.in_(DELIVERY_ERRORS),
                )
                .values(active=True, error_key=None, last_error=None)
            )
            await session.execute(
                update(SubscriberRow)
                .where(
                    SubscriberRow.channel == channel,
                    SubscriberRow.chat_id == chat_id,
                    SubscriberRow.inactive_reason.in_(DELIVERY_ERRORS),
                )
                .values(active=True, inactive_reason=None, updated_at=now)
            )

    async def replace_chat_id(self, channel: str, old: str, new: str) -> None:
        """Move destinations and subscribers to a chat's new id (Telegram group migration)."""
        now = self._clock.now()
        async with self._db.write() as session:
            taken_threads = set(
                (
                    await session.scalars(
                        select(DestinationRow.thread_id).where(
                            DestinationRow.channel == channel, DestinationRow.chat_id == new
                        )
                    )
                ).all()
            )
            old_destinations = (
                await session.scalars(
                    select(DestinationRow).where(
                        DestinationRow.channel == channel, DestinationRow.chat_id == old
                    )
                )
            ).all()
            for destination in old_destinations:
                if destination.thread_id in taken_threads:
                    # The new chat is already configured: the old row is now a duplicate.
                    await session.delete(destination)
                else:
                    destination.chat_id = new
            await _remember_migration(session, channel, old, new, now)
            subscriber_exists = await session.scalar(
                select(SubscriberRow.id).where(
                    SubscriberRow.channel == channel, SubscriberRow.chat_id == new
                )
            )
            if subscriber_exists is not None:
                await session.execute(
                    delete(SubscriberRow).where(
                        SubscriberRow.channel == channel, SubscriberRow.chat_id == old
                    )
                )
            else:
                await session.execute(
                    update(SubscriberRow)
                    .where(SubscriberRow.channel == channel, SubscriberRow.chat_id == old)
                    .values(chat_id=new, updated_at=now)
                )


async def _remember_migration(
    session: AsyncSession, channel: str, old: str, new: str, now: datetime
) -> None:
    # The config may still list the old id; the next config sync reads this to follow the move.
    row = await session.get(ServiceStateRow, MIGRATIONS_KEY)
    moves = dict(row.value) if row is not None else {}
    moves[f"{channel}:{old}"] = new
    if row is None:
        session.add(ServiceStateRow(key=MIGRATIONS_KEY, value=moves, updated_at=now))
    else:
        row.value = moves
        row.updated_at = now
