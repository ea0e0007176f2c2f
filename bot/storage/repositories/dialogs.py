"""Conversation state per chat, shared by every platform, with an expiry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.core.clock import Clock, SystemClock
from bot.storage.db import Database, table_of
from bot.storage.models import Dialog

_T = table_of(Dialog)


@dataclass(frozen=True)
class DialogState:
    """Where a chat is in a multi-step flow."""

    channel: str
    chat_id: str
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    expires_at: datetime | None = None


class DialogRepo:
    """Load, save and forget conversation state."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def get(self, channel: str, chat_id: str) -> DialogState | None:
        """Return the chat's live state; an expired one is deleted and None returned."""
        now = self._clock.now()
        stmt = select(Dialog).where(Dialog.channel == channel, Dialog.chat_id == chat_id)
        async with self._db.read() as session:
            row = (await session.scalars(stmt)).one_or_none()
        if row is None:
            return None
        if row.expires_at <= now:
            await self._delete(channel, chat_id, expired_before=now)
            return None
        return DialogState(
            channel=row.channel,
            chat_id=row.chat_id,
            flow=row.flow,
            step=row.step,
            data=dict(row.data),
            updated_at=row.updated_at,
            expires_at=row.expires_at,
        )

    async def save(
        self,
        channel: str,
        chat_id: str,
        flow: str,
        step: str,
        data: dict[str, Any],
        ttl_seconds: float,
    ) -> None:
        """Store the chat's state, replacing any earlier one, valid for ``ttl_seconds``."""
        now = self._clock.now()
        values = {
            "flow": flow,
            "step": step,
            "data": data,
            "updated_at": now,
            "expires_at": now + timedelta(seconds=ttl_seconds),
        }
        stmt = (
            self._db.insert(_T)
            .values(channel=channel, chat_id=chat_id, **values)
            .on_conflict_do_update(index_elements=[_T.c.channel, _T.c.chat_id], set_=values)
        )
        async with self._db.write() as session:
            await session.execute(stmt)

    async def clear(self, channel: str, chat_id: str) -> None:
        """Forget the chat's state."""
        await self._delete(channel, chat_id)

    async def prune_expired(self) -> int:
        """Delete every expired state; return how many."""
        stmt = delete(_T).where(_T.c.expires_at <= self._clock.now())
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _delete(
        self, channel: str, chat_id: str, *, expired_before: datetime | None = None
    ) -> None:
        stmt = delete(_T).where(_T.c.channel == channel, _T.c.chat_id == chat_id)
        if expired_before is not None:
            # Another task may have saved a fresh state since we read the expired one.
            stmt = stmt.where(_T.c.expires_at <= expired_before)
        async with self._db.write() as session:
            await session.execute(stmt)
