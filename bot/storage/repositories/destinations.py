"""Relay destinations: configured chats that receive forum topics, with their health."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select, text

from bot.core.clock import Clock, SystemClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind
from bot.domain.destinations import Destination, DestinationSpec
from bot.storage.db import Database
from bot.storage.models import DestinationRow, ServiceStateRow

logger = logging.getLogger(__name__)

__all__ = ["MIGRATIONS_KEY", "DestinationRepo", "DestinationSpec", "to_destination"]

MIGRATIONS_KEY = "chat_migrations"
"""service_state key: ``{"<channel>:<old chat id>": "<new chat id>"}`` of migrated groups."""

_SYNC_LOCK_KEY = 0x6D696E6261720002
"""pg_advisory_xact_lock id: NULL thread ids escape the unique constraint, so syncs take turns."""


class DestinationRepo:
    """Keep destinations in step with the configuration and answer routing questions."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def sync_from_config(self, items: Sequence[DestinationSpec]) -> list[Destination]:
        """Upsert configured destinations (health kept), deactivate the rest; return the listed."""
        now = self._clock.now()
        async with self._db.write() as session:
            if self._db.dialect == "postgresql":
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_LOCK_KEY}
                )
            existing = {
                (d.channel, d.chat_id, d.thread_id): d
                for d in (await session.scalars(select(DestinationRow))).all()
            }
            state = await session.get(ServiceStateRow, MIGRATIONS_KEY)
            moves: dict[str, str] = dict(state.value) if state is not None else {}
            listed: list[DestinationRow] = []
            for spec in items:
                moved_to = moves.get(f"{spec.channel}:{spec.chat_id}")
                if moved_to is not None:
                    logger.warning(
                        "config lists %s:%s, which Telegram migrated to %s; update config.toml",
                        spec.channel,
                        spec.chat_id,
                        moved_to,
                    )
                    spec = replace(spec, chat_id=moved_to)
                key = (spec.channel, spec.chat_id, spec.thread_id)
                row = existing.pop(key, None)
                if row is None:
                    row = DestinationRow(
                        channel=spec.channel,
                        chat_id=spec.chat_id,
                        thread_id=spec.thread_id,
                        created_at=now,
                    )
                    session.add(row)
                listed.append(row)
                row.chat_kind = str(spec.chat_kind)
                row.name = spec.name
                row.boards = list(spec.boards)
                # Listing a chat in the config is the admin's intent to use it: a restart
                # after fixing the bot's rights retries a chat that an error switched off.
                row.active = True
            for row in existing.values():
                row.active = False
            await session.flush()
            return [to_destination(row) for row in listed]

    async def active(self) -> list[Destination]:
        """Return the destinations topics may go to now (active and not paused)."""
        return await self._select(active_only=True)

    async def pause(self, destination_id: int, by: str) -> Destination | None:
        """Pause a destination on an admin's word; return it, or None when unknown."""
        return await self._change(destination_id, paused_at=self._clock.now(), paused_by=by[:100])

    async def resume(self, destination_id: int) -> Destination | None:
        """Lift a pause and an error's switch-off, so the next topic is tried; return it."""
        return await self._change(
            destination_id, paused_at=None, paused_by=None, active=True, error_key=None
        )

    async def _change(self, destination_id: int, **values: object) -> Destination | None:
        async with self._db.write() as session:
            row = await session.get(DestinationRow, destination_id)
            if row is None:
                return None
            for name, value in values.items():
                setattr(row, name, value)
            await session.flush()
            return to_destination(row)

    async def get(self, destination_id: int) -> Destination | None:
        """Return one destination by id."""
        async with self._db.read() as session:
            row = await session.get(DestinationRow, destination_id)
            return to_destination(row) if row is not None else None

    async def all(self) -> list[Destination]:
        """Return every destination, active or not."""
        return await self._select(active_only=False)

    async def unhealthy(self) -> list[Destination]:
        """Return destinations whose last send failed."""
        return [d for d in await self._select(active_only=False) if d.error_key is not None]

    async def _select(self, *, active_only: bool) -> list[Destination]:
        stmt = select(DestinationRow).order_by(DestinationRow.id)
        if active_only:
            stmt = stmt.where(DestinationRow.active.is_(True), DestinationRow.paused_at.is_(None))
        async with self._db.read() as session:
            return [to_destination(r) for r in (await session.scalars(stmt)).all()]


def to_destination(row: DestinationRow) -> Destination:
    """Return the domain record of a destination row."""
    return Destination(
        id=row.id,
        channel=ChannelName(row.channel),
        chat_id=ChatId(row.chat_id),
        chat_kind=ChatKind.parse(row.chat_kind),
        thread_id=row.thread_id,
        name=row.name,
        boards=tuple(b for b in row.boards if isinstance(b, int | str)),
        active=row.active,
        error_key=row.error_key,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        last_ok_at=row.last_ok_at,
        paused_at=row.paused_at,
        paused_by=row.paused_by,
    )
