"""Subscribers: people and groups who asked for alerts, with opt-in/opt-out and the 24-h window."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, select

from bot.core.clock import Clock, SystemClock
from bot.storage.db import Database, table_of
from bot.storage.models import Subscriber

NOT_SUBSCRIBED = "not_subscribed"
UNSUBSCRIBED = "unsubscribed"
OPTED_OUT = "opted_out"

_T = table_of(Subscriber)


DELIVERY_ERRORS = frozenset(
    {"blocked", "deactivated", "kicked", "not_member", "chat_deleted", "not_started", "forbidden"}
)
"""Reasons a send failed for good that end when the person writes to us again."""

Delivery = Literal["instant", "digest"]


@dataclass(frozen=True, slots=True)
class SubscriberSettings:
    """A subscriber's choices, read from the ``settings`` JSON with defaults for missing keys."""

    topic_alerts: bool = True
    promotions: bool = True
    delivery: Delivery = "instant"
    boards: tuple[int, ...] = ()
    """Board ids to hear about; empty means every board."""

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> SubscriberSettings:
        """Read stored settings, ignoring malformed values (the JSON predates validation)."""
        raw = raw or {}
        delivery: Delivery = "digest" if raw.get("delivery") == "digest" else "instant"
        boards = raw.get("boards")
        return cls(
            topic_alerts=raw.get("topic_alerts", True) is not False,
            promotions=raw.get("promotions", True) is not False,
            delivery=delivery,
            boards=tuple(
                sorted({int(b) for b in boards if isinstance(b, int) and not isinstance(b, bool)})
            )
            if isinstance(boards, list)
            else (),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the JSON stored in ``subscribers.settings``."""
        return {
            "topic_alerts": self.topic_alerts,
            "promotions": self.promotions,
            "delivery": self.delivery,
            "boards": list(self.boards),
        }

    def wants_board(self, board_id: int | None) -> bool:
        """Return whether a topic on ``board_id`` passes this subscriber's board filter."""
        return not self.boards or board_id in self.boards


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
        """Stop alerts for a chat; return the row, or None when it never subscribed."""
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
        return row

    async def get(self, channel: str, chat_id: str) -> Subscriber | None:
        """Return one chat's subscriber row."""
        stmt = _one(channel, chat_id)
        async with self._db.read() as session:
            return (await session.scalars(stmt)).one_or_none()

    async def active_for(
        self, channel: str | None = None, *, setting: str | None = None
    ) -> list[Subscriber]:
        """Return active, not opted-out subscribers, optionally of one channel or setting."""
        stmt = (
            select(Subscriber)
            .where(Subscriber.active.is_(True), Subscriber.opted_out_at.is_(None))
            .order_by(Subscriber.id)
        )
        if channel is not None:
            stmt = stmt.where(Subscriber.channel == channel)
        async with self._db.read() as session:
            rows = list((await session.scalars(stmt)).all())
        if setting is not None:
            # JSON paths differ per backend; subscriber counts are small enough to filter here.
            rows = [r for r in rows if r.settings.get(setting)]
        return rows

    async def update_settings(
        self, channel: str, chat_id: str, **settings: Any
    ) -> Subscriber | None:
        """Merge ``settings`` into a chat's settings; return the row, or None if unknown."""
        stmt = _one(channel, chat_id).with_for_update()
        async with self._db.write() as session:
            row = (await session.scalars(stmt)).one_or_none()
            if row is None:
                return None
            row.settings = {**row.settings, **settings}
            row.updated_at = self._clock.now()
        return row

    async def for_topic_alerts(self, board_id: int | None) -> list[Subscriber]:
        """Return active subscribers who want an instant alert for a topic on ``board_id``."""
        wanted = []
        for row in await self.active_for():
            prefs = SubscriberSettings.from_json(row.settings)
            if prefs.topic_alerts and prefs.delivery == "instant" and prefs.wants_board(board_id):
                wanted.append(row)
        return wanted

    async def digest_subscribers(self) -> list[Subscriber]:
        """Return active subscribers who chose one daily digest instead of instant alerts."""
        return [
            row
            for row in await self.active_for()
            if (prefs := SubscriberSettings.from_json(row.settings)).topic_alerts
            and prefs.delivery == "digest"
        ]

    async def by_ids(self, ids: Collection[int]) -> list[Subscriber]:
        """Return the subscribers with these ids, in id order (unknown ids are left out)."""
        if not ids:
            return []
        stmt = select(Subscriber).where(Subscriber.id.in_(sorted(set(ids)))).order_by(Subscriber.id)
        async with self._db.read() as session:
            return list((await session.scalars(stmt)).all())

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
            row = await session.get(Subscriber, row_id, populate_existing=True)
        if row is None:
            raise RuntimeError(f"subscriber {channel}:{chat_id} vanished during upsert")
        return row

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
        return row


def _one(channel: str, chat_id: str) -> Select[Subscriber]:
    return select(Subscriber).where(Subscriber.channel == channel, Subscriber.chat_id == chat_id)
