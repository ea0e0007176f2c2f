"""Relay destinations: configured chats that receive forum topics, with their health."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, text

from bot.core.clock import Clock, SystemClock
from bot.storage.db import Database
from bot.storage.models import Destination, ServiceState

logger = logging.getLogger(__name__)

MIGRATIONS_KEY = "chat_migrations"
"""service_state key: ``{"<channel>:<old chat id>": "<new chat id>"}`` of migrated groups."""

_SYNC_LOCK_KEY = 0x6D696E6261720002
"""pg_advisory_xact_lock id: NULL thread ids escape the unique constraint, so syncs take turns."""


@dataclass(frozen=True)
class DestinationSpec:
    """One destination as the configuration describes it."""

    channel: str
    chat_id: str
    chat_kind: str
    thread_id: int | None = None
    name: str = ""
    boards: tuple[int | str, ...] = ()


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
                for d in (await session.scalars(select(Destination))).all()
            }
            state = await session.get(ServiceState, MIGRATIONS_KEY)
            moves: dict[str, str] = dict(state.value) if state is not None else {}
            listed: list[Destination] = []
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
                    row = Destination(
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
        return listed

    async def active_for_board(
        self, board_id: int | None, board_name: str | None = None
    ) -> list[Destination]:
        """Return active destinations that take topics from this board (no boards = all).

        A board is matched by id; some feed formats give only its name, which matches a
        destination that lists the name instead (case-insensitive).
        """
        name = board_name.casefold() if board_name else None
        return [
            d
            for d in await self._select(active_only=True)
            if not d.boards or _lists_board(d.boards, board_id, name)
        ]

    async def all(self) -> list[Destination]:
        """Return every destination, active or not."""
        return await self._select(active_only=False)

    async def unhealthy(self) -> list[Destination]:
        """Return destinations whose last send failed."""
        return [d for d in await self._select(active_only=False) if d.error_key is not None]

    async def _select(self, *, active_only: bool) -> list[Destination]:
        stmt = select(Destination).order_by(Destination.id)
        if active_only:
            stmt = stmt.where(Destination.active.is_(True))
        async with self._db.read() as session:
            return list((await session.scalars(stmt)).all())


def _lists_board(boards: list[Any], board_id: int | None, name: str | None) -> bool:
    for entry in boards:
        if isinstance(entry, str):
            if name is not None and entry.casefold() == name:
                return True
        elif board_id is not None and entry == board_id:
            return True
    return False
