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
    """The overall bucket plus one bucket per chat, and the chats' pending retry_after."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._overall = TokenBucket(limits.overall_rate, limits.overall_burst, clock)
        self._chats: dict[int, TokenBucket] = {}
        self._retry_until: dict[int, float] = {}

    def pending_retry_after(self, chat_id: int) -> int | None:
        """Return the seconds still to wait for a chat already told to wait, else None."""
        until = self._retry_until.get(chat_id)
        if until is None:
            return None
        left = until - self._clock()
        if left <= 0:
            del self._retry_until[chat_id]
            return None
        return max(1, math.ceil(left))

    def admit(self, chat_id: int, is_private: bool) -> int | None:
        """Take a token for one message; return the retry_after in seconds when refused."""
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
        wait = max(self._overall.wait_time(), bucket.wait_time())
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self._retry_until[chat_id] = self._clock() + retry_after
            return retry_after
        self._overall.take()
        bucket.take()
        return None
