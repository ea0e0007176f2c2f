"""Which scope a Telegram 429 has: the chat's own pace explains it, or the whole bot is limited.

Telegram's 429 does not say which limit was hit. A chat limit (about 1 message/s in a private
chat, 20/min in a group or channel) can only be hit by a chat we were sending to that fast;
any other 429 is the bot-wide limit (a burst, or another process on the same token), and
holding only the one chat would let every other chat keep sending inside its ``retry_after``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Literal

RateScope = Literal["recipient", "channel"]

PRIVATE_WINDOW = 1.0
"""A private chat sent to at least once in the last second is at Telegram's 1/s."""
GROUP_WINDOW = 60.0
GROUP_SENDS = 20
"""A group or channel sent 20 messages in the last minute is at Telegram's 20/min."""


class ChatPace:
    """Recent send times per chat, kept only as long as they can explain a 429."""

    def __init__(
        self, monotonic: Callable[[], float] = time.monotonic, *, sweep_every: float = 60.0
    ) -> None:
        self._monotonic = monotonic
        self._sends: dict[str, deque[float]] = {}
        self._sweep_every = sweep_every
        self._last_sweep = monotonic()

    def note(self, chat_id: str, *, private: bool) -> RateScope:
        """Record a send to ``chat_id``; return the scope a 429 answering it would have."""
        now = self._monotonic()
        window, needed = (PRIVATE_WINDOW, 1) if private else (GROUP_WINDOW, GROUP_SENDS)
        sends = self._sends.setdefault(chat_id, deque())
        while sends and now - sends[0] > GROUP_WINDOW:
            sends.popleft()
        recent = sum(1 for at in sends if now - at <= window)
        sends.append(now)
        if len(sends) > GROUP_SENDS:
            sends.popleft()  # more than 20 are never needed to explain anything
        self._maybe_sweep(now)
        return "recipient" if recent >= needed else "channel"

    def __len__(self) -> int:
        """Return how many chats have send times kept."""
        return len(self._sends)

    def _maybe_sweep(self, now: float) -> None:
        if now - self._last_sweep < self._sweep_every:
            return
        self._last_sweep = now
        stale = [chat for chat, sends in self._sends.items() if now - sends[-1] > GROUP_WINDOW]
        for chat in stale:
            del self._sends[chat]
