"""What /status, /healthz and /readyz report about this process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.channel import ChannelRegistry
from bot.core.clock import Clock
from bot.core.status import StatusSnapshot
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.state import StateRepo

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class ServiceStatus:
    """Collects the health of the database, channels, outbox and forum poller."""

    db: Database
    channels: ChannelRegistry
    clock: Clock
    outbox: OutboxRepo
    state: StateRepo
    destinations: DestinationRepo
    poll_state_key: str = "forum.last_poll"
    """Where the forum poller stores its last result (given by ``bot.app``)."""
    started_at: datetime | None = None
    is_leader: bool = False
    notes: list[str] = field(default_factory=list)

    async def database_ok(self) -> bool:
        """Return whether the database answers a trivial query."""
        try:
            return await self.db.ping()
        except Exception as exc:
            logger.warning("Database ping failed: %s", exc)
            return False

    def channels_started(self) -> dict[str, bool]:
        """Return each registered channel's started flag."""
        return {name: self.channels.is_started(name) for name in self.channels.names()}

    async def snapshot(self) -> StatusSnapshot:
        """Return a fresh status snapshot for /status."""
        db_ok = await self.database_ok()
        depth: dict[str, int] = {}
        last_poll = None
        unhealthy: tuple[str, ...] = ()
        if db_ok:
            depth = await self.outbox.depth_by_status()
            last_poll = await self.state.get(self.poll_state_key)
            unhealthy = tuple(
                f"{d.channel}:{d.chat_id} {d.error_key}"
                for d in await self.destinations.unhealthy()
            )
        return StatusSnapshot(
            started_at=self.started_at or self.clock.now(),
            database_ok=db_ok,
            channels=self.channels_started(),
            outbox_depth=depth,
            last_poll=last_poll,
            unhealthy_destinations=unhealthy,
            is_leader=self.is_leader,
        )
