"""Conversation state per chat, shared by every platform, with an expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.core.clock import Clock, SystemClock
from bot.core.messages import Choice
from bot.domain.dialogs import DialogState
from bot.storage.db import Database, table_of
from bot.storage.models import DialogRow

__all__ = ["DialogRepo", "DialogState"]

_T = table_of(DialogRow)


class DialogRepo:
    """Load, save and forget conversation state."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def get(self, channel: str, chat_id: str) -> DialogState | None:
        """Return the chat's state, expired or not (the caller decides what expiry means)."""
        stmt = select(DialogRow).where(DialogRow.channel == channel, DialogRow.chat_id == chat_id)
        async with self._db.read() as session:
            row = (await session.scalars(stmt)).one_or_none()
            if row is None:
                return None
            return DialogState(
                channel=row.channel,
                chat_id=row.chat_id,
                flow=row.flow,
                step=row.step,
                data=dict(row.data or {}),
                options=_choices(row.options),
                prompt_ref=row.prompt_ref,
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
        *,
        options: Sequence[Choice] = (),
        prompt_ref: str | None = None,
    ) -> None:
        """Store the chat's state, replacing any earlier one, valid for ``ttl_seconds``."""
        now = self._clock.now()
        values = {
            "flow": flow,
            "step": step,
            "data": data,
            "options": [{"label": c.label, "data": c.data} for c in options if c.data],
            "prompt_ref": prompt_ref,
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

    async def clear(
        self, channel: str, chat_id: str, *, updated_before: datetime | None = None
    ) -> None:
        """Forget the chat's state (with ``updated_before``: only a state not saved since)."""
        stmt = delete(_T).where(_T.c.channel == channel, _T.c.chat_id == chat_id)
        if updated_before is not None:
            # Another task may have saved a fresh state since the caller read this one.
            stmt = stmt.where(_T.c.updated_at <= updated_before)
        async with self._db.write() as session:
            await session.execute(stmt)

    async def prune_expired(self) -> int:
        """Delete every expired state; return how many."""
        stmt = delete(_T).where(_T.c.expires_at <= self._clock.now())
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]


def _choices(raw: object) -> tuple[Choice, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Choice(str(item["label"]), data=str(item["data"]))
        for item in raw
        if isinstance(item, dict) and item.get("label") and item.get("data")
    )
