"""Token-bucket flood control for the fake Telegram server, shaped like the published limits."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Rates in tokens per second and bursts in tokens; defaults follow the Bots FAQ."""

    overall_rate: float = 30.0
    overall_burst: float = 30.0
    private_rate: float = 1.0
    private_burst: float = 3.0
    group_rate: float = 20.0 / 60.0
    # Telegram allows no real burst in groups; a small one keeps tests of 2-part messages simple.
    group_burst: float = 3.0
    enabled: bool = True


class TokenBucket:
    """A bucket refilled continuously at ``rate`` tokens/s up to ``burst`` tokens."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self) -> float:
        """Return the seconds until one token is available (0 when one is available now)."""
        self._refill()
        if self._tokens >= 1:
            return 0.0
        return (1 - self._tokens) / self.rate

    def take(self) -> None:
        """Consume one token; call only after ``wait_time()`` returned 0."""
        self._refill()
        self._tokens -= 1


class FloodControl:
    """The overall bucket plus one bucket per chat, and the pending retry_after windows.

    Like Telegram, an exhausted overall bucket refuses every chat (a bot-wide window), while
    an exhausted chat bucket refuses only that chat. A send inside a window already announced
    is a violation; for a bot-wide window, requests that arrive within ``in_flight_grace`` of
    the announcement were already on their way and are not the client's fault.
    """

    def __init__(
        self,
        limits: RateLimits,
        clock: Callable[[], float] = time.monotonic,
        *,
        in_flight_grace: float = 0.25,
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._overall = TokenBucket(limits.overall_rate, limits.overall_burst, clock)
        self._chats: dict[int, TokenBucket] = {}
        self._retry_until: dict[int, float] = {}
        self._bot_until = -math.inf
        self._bot_announced = -math.inf
        self._bot_imposed: int | None = None
        self.in_flight_grace = in_flight_grace

    def impose_bot_wide(self, retry_after: int) -> None:
        """Refuse the next send to any chat with a bot-wide ``retry_after`` (a shared token)."""
        self._bot_imposed = retry_after

    def pending_retry_after(self, chat_id: int) -> tuple[int, bool] | None:
        """Return the seconds left in a window over the chat and if sending now is a violation."""
        now = self._clock()
        until = self._retry_until.get(chat_id)
        if until is not None and until <= now:
            del self._retry_until[chat_id]
            until = None
        if until is not None:
            return max(1, math.ceil(until - now)), True
        if self._bot_until > now:
            late = now - self._bot_announced > self.in_flight_grace
            return max(1, math.ceil(self._bot_until - now)), late
        return None

    def admit(self, chat_id: int, is_private: bool) -> int | None:
        """Take a token for one message; return the retry_after in seconds when refused."""
        if self._bot_imposed is not None:
            retry_after, self._bot_imposed = self._bot_imposed, None
            return self._open_bot_window(retry_after)
        if not self.limits.enabled:
            return None
        bucket = self._chats.get(chat_id)
        if bucket is None:
            rate, burst = (
                (self.limits.private_rate, self.limits.private_burst)
                if is_private
                else (self.limits.group_rate, self.limits.group_burst)
            )
            bucket = self._chats[chat_id] = TokenBucket(rate, burst, self._clock)
        overall_wait = self._overall.wait_time()
        if overall_wait > 0:
            return self._open_bot_window(max(1, math.ceil(overall_wait)))
        wait = bucket.wait_time()
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self._retry_until[chat_id] = self._clock() + retry_after
            return retry_after
        self._overall.take()
        bucket.take()
        return None

    def _open_bot_window(self, retry_after: int) -> int:
        now = self._clock()
        self._bot_until = now + retry_after
        self._bot_announced = now
        return retry_after
