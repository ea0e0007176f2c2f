"""Subscribers: people and groups who asked for alerts, with opt-in/opt-out and the 24-h window."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from bot.core.clock import Clock, SystemClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind
from bot.domain.subscribers import (
    DELIVERY_ERRORS,
    NOT_SUBSCRIBED,
    OPTED_OUT,
    UNSUBSCRIBED,
    Subscriber,
    SubscriberSettings,
)
from bot.storage.db import Database, table_of
from bot.storage.models import SubscriberRow

__all__ = ["DELIVERY_ERRORS", "SubscriberRepo", "to_subscriber"]

_T = table_of(SubscriberRow)


def to_subscriber(row: SubscriberRow) -> Subscriber:
    """Return the domain record of a subscriber row."""
    return Subscriber(
        id=row.id,
        channel=ChannelName(row.channel),
        chat_id=ChatId(row.chat_id),
        chat_kind=ChatKind.parse(row.chat_kind),
        display_name=row.display_name,
        active=row.active,
        inactive_reason=row.inactive_reason,
        opted_out_at=row.opted_out_at,
        opt_in_at=row.opt_in_at,
        opt_in_source=row.opt_in_source,
        last_inbound_at=row.last_inbound_at,
        settings=SubscriberSettings.from_json(row.settings),
    )


class SubscriberRepo:
    """Track who may receive what, and when each chat last wrote to us."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def upsert_inbound(
        self, channel: str, chat_id: str, chat_kind: str, display_name: str | None, at: datetime
    ) -> Subscriber:
        """Note an inbound message (opens WhatsApp's 24-h window); never subscribes anyone."""
        updates: dict[str, Any] = {"last_inbound_at": at, "chat_kind": str(chat_kind)}
        if display_name:
            updates["display_name"] = display_name[:200]
        row = await self._upsert(
            channel,
            chat_id,
            updates,
            new={"active": False, "inactive_reason": NOT_SUBSCRIBED},
            at=at,
        )
        if row.inactive_reason in DELIVERY_ERRORS:
            # They wrote to us, so they unblocked the bot: their subscription resumes.
            back = await self._update(
                channel, chat_id, {"active": True, "inactive_reason": None}, at
            )
            return back or row
        return row

    async def subscribe(
        self, channel: str, chat_id: str, chat_kind: str, source: str, at: datetime
    ) -> Subscriber:
        """Subscribe a chat (an explicit ask, so it also lifts an earlier opt-out)."""
        return await self._upsert(
            channel,
            chat_id,
            {
                "chat_kind": str(chat_kind),
                "active": True,
                "inactive_reason": None,
                "opted_out_at": None,
                "opt_in_at": at,
                "opt_in_source": source[:64],
            },
            at=at,
        )

    async def close_window(self, channel: str, chat_id: str) -> None:
        """Forget the last inbound time: the platform says its reply window is closed."""
        await self._update(channel, chat_id, {"last_inbound_at": None}, self._clock.now())

    async def unsubscribe(self, channel: str, chat_id: str, at: datetime) -> Subscriber | None:
        """Stop alerts for a chat; return the record, or None when it never subscribed."""
        return await self._update(
            channel, chat_id, {"active": False, "inactive_reason": UNSUBSCRIBED}, at
        )

    async def opt_out(self, channel: str, chat_id: str, at: datetime) -> Subscriber:
        """Record a STOP: nothing may be sent to this chat until it opts in again."""
        return await self._upsert(
            channel,
            chat_id,
            {"active": False, "inactive_reason": OPTED_OUT, "opted_out_at": at},
            at=at,
        )

    async def opt_in(
        self, channel: str, chat_id: str, at: datetime, *, source: str = "START"
    ) -> Subscriber | None:
        """Lift an opt-out (START), recording when and how; alerts need a separate subscribe."""
        stmt = _one(channel, chat_id)
        async with self._db.write() as session:
            row = (await session.scalars(stmt)).one_or_none()
            if row is None:
                return None
            row.opted_out_at = None
            row.opt_in_at = at
            row.opt_in_source = source[:64]
            if row.inactive_reason == OPTED_OUT:
                row.inactive_reason = NOT_SUBSCRIBED
            row.updated_at = at
            return to_subscriber(row)

    async def get(self, channel: str, chat_id: str) -> Subscriber | None:
        """Return one chat's subscriber record."""
        stmt = _one(channel, chat_id)
        async with self._db.read() as session:
            row = (await session.scalars(stmt)).one_or_none()
            return to_subscriber(row) if row is not None else None

    async def active_for(
        self, channel: str | None = None, *, setting: str | None = None
    ) -> list[Subscriber]:
        """Return active, not opted-out subscribers, optionally of one channel or setting."""
        stmt = (
            select(SubscriberRow)
            .where(SubscriberRow.active.is_(True), SubscriberRow.opted_out_at.is_(None))
            .order_by(SubscriberRow.id)
        )
        if channel is not None:
            stmt = stmt.where(SubscriberRow.channel == channel)
        async with self._db.read() as session:
            found = [to_subscriber(r) for r in (await session.scalars(stmt)).all()]
        if setting is not None:
            # JSON paths differ per backend; subscriber counts are small enough to filter here.
            found = [s for s in found if s.settings.to_json().get(setting)]
        return found

    async def update_settings(
        self, channel: str, chat_id: str, **changes: Any
    ) -> Subscriber | None:
        """Merge ``changes`` into a chat's settings; return the record, or None if unknown."""
        stmt = _one(channel, chat_id).with_for_update()
        async with self._db.write() as session:
            row = (await session.scalars(stmt)).one_or_none()
            if row is None:
                return None
            merged = SubscriberSettings.from_json({**row.settings, **changes})
            row.settings = merged.to_json()
            row.updated_at = self._clock.now()
            return to_subscriber(row)

    async def set_language(
        self, channel: str, chat_id: str, chat_kind: str, language: str
    ) -> Subscriber:
        """Store the language a chat chose; a chat never seen before is noted, not subscribed."""
        found = await self.update_settings(channel, chat_id, language=language)
        if found is not None:
            return found
        await self._upsert(
            channel,
            chat_id,
            {},
            new={"active": False, "inactive_reason": NOT_SUBSCRIBED, "chat_kind": chat_kind},
        )
        updated = await self.update_settings(channel, chat_id, language=language)
        if updated is None:
            raise RuntimeError(f"subscriber {channel}:{chat_id} vanished while choosing a language")
        return updated

    async def save_settings(
        self, channel: str, chat_id: str, settings: SubscriberSettings
    ) -> Subscriber | None:
        """Store a chat's settings whole; return the record, or None if unknown."""
        return await self.update_settings(channel, chat_id, **settings.to_json())

    async def for_topic_alerts(self, board_id: int | None) -> list[Subscriber]:
        """Return active subscribers who want an instant alert for a topic on ``board_id``."""
        return [
            s
            for s in await self.active_for()
            if s.settings.wants_instant_alerts and s.settings.wants_board(board_id)
        ]

    async def digest_subscribers(self) -> list[Subscriber]:
        """Return active subscribers who chose one daily digest instead of instant alerts."""
        return [s for s in await self.active_for() if s.settings.wants_digest]

    async def by_ids(self, ids: Collection[int]) -> list[Subscriber]:
        """Return the subscribers with these ids, in id order (unknown ids are left out)."""
        if not ids:
            return []
        stmt = (
            select(SubscriberRow)
            .where(SubscriberRow.id.in_(sorted(set(ids))))
            .order_by(SubscriberRow.id)
        )
        async with self._db.read() as session:
            return [to_subscriber(r) for r in (await session.scalars(stmt)).all()]

    async def _upsert(
        self,
        channel: str,
        chat_id: str,
        values: dict[str, Any],
        *,
        new: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> Subscriber:
        now = at or self._clock.now()
        insert_values = {
            "channel": channel,
            "chat_id": chat_id,
            "chat_kind": "private",
            "active": True,
            "settings": {},
            "created_at": now,
            **(new or {}),
            **values,
            "updated_at": now,
        }
        stmt = (
            self._db.insert(_T)
            .values(**insert_values)
            .on_conflict_do_update(
                index_elements=[_T.c.channel, _T.c.chat_id], set_={**values, "updated_at": now}
            )
            .returning(_T.c.id)
        )
        async with self._db.write() as session:
            row_id = (await session.execute(stmt)).scalar_one()
            row = await session.get(SubscriberRow, row_id, populate_existing=True)
            if row is None:
                raise RuntimeError(f"subscriber {channel}:{chat_id} vanished during upsert")
            return to_subscriber(row)

    async def _update(
        self, channel: str, chat_id: str, values: dict[str, Any], at: datetime
    ) -> Subscriber | None:
        stmt = _one(channel, chat_id)
        async with self._db.write() as session:
            row = (await session.scalars(stmt)).one_or_none()
            if row is None:
                return None
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = at
            return to_subscriber(row)


def _one(channel: str, chat_id: str) -> Select[SubscriberRow]:
    return select(SubscriberRow).where(
        SubscriberRow.channel == channel, SubscriberRow.chat_id == chat_id
    )
