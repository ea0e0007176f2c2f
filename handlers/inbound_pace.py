"""A per-chat inbound limit: a chat sending faster than a person types is paused, told once.

In memory, per process: it protects the handlers (and the agents) from a runaway script or a
flood, not the storage — every message is already in the inbox. Opt-out words still act
while a chat is paused (the dispatcher runs them first).
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)
MAX_CHATS = 50_000
"""Chats remembered at once; the quietest are forgotten first."""


class Pace(enum.Enum):
    """What the limit says about one more message from a chat."""

    OK = "ok"
    OVER = "over"
    """Over the limit: handle only opt-out words."""
    FIRST_OVER = "first_over"
    """Just went over: as OVER, and tell the chat once."""


@dataclass
class InboundPace:
    """Count each chat's messages over the last minute against ``per_minute``."""

    per_minute: int = 20
    _seen: dict[str, deque[datetime]] = field(default_factory=dict)
    _told: set[str] = field(default_factory=set)

    def note(self, chat_key: str, at: datetime) -> Pace:
        """Record one message of ``chat_key`` at ``at`` and say whether it may be handled."""
        times = self._seen.pop(chat_key, None) or deque()
        self._seen[chat_key] = times  # re-inserted: the dict's order is least recent first
        while times and at - times[0] >= WINDOW:
            times.popleft()
        times.append(at)
        if len(self._seen) > MAX_CHATS:
            oldest = next(iter(self._seen))
            self._seen.pop(oldest)
            self._told.discard(oldest)
        if len(times) <= self.per_minute:
            self._told.discard(chat_key)
            return Pace.OK
        if chat_key in self._told:
            return Pace.OVER
        self._told.add(chat_key)
        return Pace.FIRST_OVER
