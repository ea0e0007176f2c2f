"""What /status, /healthz and /readyz report about this process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.channel import ChannelRegistry
from bot.core.clock import Clock
from bot.core.status import (
    ChannelOutage,
    DestinationHealth,
    InboxStatus,
    IntakeStatus,
    StatusSnapshot,
)
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.inbox import InboxRepo
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
    inbox: InboxRepo | None = None
    poll_state_key: str = "forum.last_poll"
    """Where the forum poller stores its last result (given by ``bot.app``)."""
    intake_state_key: Callable[[str], str] | None = None
    """Where the intake check stores a channel's verdict (given by ``bot.app``)."""
    started_at: datetime | None = None
    is_leader: bool = False
    notes: list[str] = field(default_factory=list)
    outages: dict[str, ChannelOutage] = field(default_factory=dict)
    """Channels that could not start yet, kept current by the runtime's channel supervisor."""

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

    def channels_down(self) -> dict[str, ChannelOutage]:
        """Return the channels that are down because they could not start yet, by name."""
        return dict(self.outages)

    async def snapshot(self) -> StatusSnapshot:
        """Return a fresh status snapshot for /status."""
        db_ok = await self.database_ok()
        depth: dict[str, int] = {}
        last_poll = None
        destinations: tuple[DestinationHealth, ...] = ()
        inbox = InboxStatus()
        intake: dict[str, IntakeStatus] = {}
        if db_ok:
            if self.inbox is not None:
                inbox = await self.inbox.counts()
            if self.intake_state_key is not None:
                for name in self.channels.names():
                    verdict = await self.state.get(self.intake_state_key(name))
                    if verdict:
                        intake[name] = IntakeStatus(
                            bool(verdict.get("ok")),
                            str(verdict.get("detail", "")),
                            str(verdict.get("checked_at", "")),
                        )
            depth = await self.outbox.depth_by_status()
            last_poll = await self.state.get(self.poll_state_key)
            destinations = tuple(
                DestinationHealth(d.ref, d.state, d.error_key)
                for d in await self.destinations.all()
            )
        return StatusSnapshot(
            started_at=self.started_at or self.clock.now(),
            database_ok=db_ok,
            channels=self.channels_started(),
            outbox_depth=depth,
            last_poll=last_poll,
            destinations=destinations,
            is_leader=self.is_leader,
            channel_outages=self.channels_down(),
            inbox=inbox,
            intake=intake,
        )
