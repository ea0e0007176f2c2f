"""What the service reports about itself (/status), as neutral data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """What /status reports about the running service."""

    started_at: datetime
    database_ok: bool
    channels: Mapping[str, bool]
    outbox_depth: Mapping[str, int]
    last_poll: Mapping[str, object] | None
    unhealthy_destinations: tuple[str, ...] = ()
    is_leader: bool = True


class StatusProvider(Protocol):
    """Gives a fresh snapshot of the service for /status."""

    async def snapshot(self) -> StatusSnapshot:
        """Return the current status."""
        ...
