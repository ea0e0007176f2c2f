"""What the service reports about itself (/status), as neutral data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ChannelOutage:
    """A channel that could not start and is being retried in the background."""

    channel: str
    since: datetime
    """When its first start attempt failed."""
    error_key: str
    """The neutral reason of the last failure (``network``, ``rate_limited``)."""
    attempts: int
    """Start attempts so far, all failed."""
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IntakeStatus:
    """The last intake check of one channel (``handlers.intake_health``)."""

    ok: bool
    detail: str
    checked_at: str


@dataclass(frozen=True, slots=True)
class InboxStatus:
    """What the inbox holds: waiting, dead-lettered and unreadable inbound items."""

    pending: int = 0
    dead: int = 0
    unreadable: int = 0
    oldest_pending_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DestinationHealth:
    """One relay destination as /status shows it."""

    ref: str
    """How admins name it: ``channel:chat_id[/thread]``."""
    state: str
    """``ok``, ``failing``, ``paused`` or ``off``."""
    error_key: str | None = None


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """What /status reports about the running service."""

    started_at: datetime
    database_ok: bool
    channels: Mapping[str, bool]
    outbox_depth: Mapping[str, int]
    last_poll: Mapping[str, object] | None
    destinations: tuple[DestinationHealth, ...] = ()
    """Every relay destination, in id order."""
    is_leader: bool = True
    channel_outages: Mapping[str, ChannelOutage] = field(default_factory=dict)
    """Channels that are down because they could not start yet, by name."""
    inbox: InboxStatus = field(default_factory=InboxStatus)
    intake: Mapping[str, IntakeStatus] = field(default_factory=dict)
    """The last intake check of each channel that can tell, by name."""


class StatusProvider(Protocol):
    """Gives a fresh snapshot of the service for /status."""

    async def snapshot(self) -> StatusSnapshot:
        """Return the current status."""
        ...
