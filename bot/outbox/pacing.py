"""Pacing: when a claimed row may be sent under its channel's limiter, or must go back.

A chat that must wait longer than ``hold_threshold`` is given back to the queue with a
release time spread over its own pace (its n-th waiting row at ``wait + n * spacing``), so each
later claim finds about one sendable row of it instead of its whole backlog again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from bot.domain.outbox import ClaimedItem
from bot.outbox.ratelimit import RateLimiter


class Pacing:
    """The rate limiters of every channel, asked per row."""

    def __init__(self, limiters: Mapping[str, RateLimiter], hold_threshold: float) -> None:
        self._limiters = limiters
        self.hold_threshold = hold_threshold

    def limiter(self, channel: str) -> RateLimiter | None:
        """Return the limiter of ``channel`` (None: unlimited)."""
        return self._limiters.get(channel)

    def wait_for(self, item: ClaimedItem) -> float:
        """Return the seconds until the row's chat may send again (0: now)."""
        limiter = self.limiter(item.message.recipient.channel)
        if limiter is None:
            return 0.0
        return limiter.earliest(item.rate_key, item.message.recipient.kind)

    def release_after(self, item: ClaimedItem, wait: float, released: Counter[str]) -> float:
        """Return when a row given back should be due again, spread behind its chat's others."""
        limiter = self.limiter(item.message.recipient.channel)
        queued = released[item.rate_key]
        released[item.rate_key] += 1
        if limiter is None:
            return wait
        return wait + queued * limiter.spacing(item.message.recipient.kind)
