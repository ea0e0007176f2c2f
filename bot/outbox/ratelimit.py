"""Exact per-channel rate limits: token buckets that book each send at a precise future time."""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Callable

from bot.core.messages import ChatKind
from bot.core.rates import RatePolicy

__all__ = ["RateLimiter", "RatePolicy"]

# Candidate times are nudged this far late so float rounding can only make us slower, never faster.
_NUDGE = 1e-9
_SLACK = 1e-12


class _Bucket:
    """A token bucket whose future consumptions are booked on a calendar.

    The past is folded into ``(anchor, level)``: the level just after the last past send.
    Future bookings stay as sorted times so a send that is ready early may take a free gap
    before a later booking, as long as every booking still finds a token.
    """

    __slots__ = ("anchor", "booked", "burst", "level", "rate")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.anchor = now
        self.level = float(burst)
        self.booked: list[float] = []

    def _fold(self, now: float) -> None:
        booked = self.booked
        done = 0
        while done < len(booked) and booked[done] <= now:
            at = booked[done]
            self.level = min(self.burst, self.level + self.rate * (at - self.anchor)) - 1.0
            self.anchor = at
            done += 1
        if done:
            del booked[:done]

    def is_idle(self, now: float) -> bool:
        """Return whether the bucket is full with nothing booked (safe to forget)."""
        self._fold(now)
        if self.booked:
            return False
        return self.level + self.rate * (now - self.anchor) >= self.burst

    def earliest(self, not_before: float, now: float) -> float:
        """Return the earliest time >= ``not_before`` at which one more send fits."""
        self._fold(now)
        booked = self.booked
        rate, burst = self.rate, self.burst
        t, level = self.anchor, self.level
        for k in range(len(booked) + 1):
            gap_end = booked[k] if k < len(booked) else math.inf
            start = max(not_before, t)
            if min(burst, level + rate * (start - t)) >= 1.0 - _SLACK:
                candidate = start
            else:
                candidate = max(start, t + (1.0 - level) / rate + _NUDGE)
            if candidate <= gap_end and self._fits_after(k, candidate, t, level):
                return candidate
            if k < len(booked):
                level = min(burst, level + rate * (booked[k] - t)) - 1.0
                t = booked[k]
        raise AssertionError("unreachable: the gap after the last booking always fits")

    def _fits_after(self, k: int, at: float, t: float, level: float) -> bool:
        """Return whether a send at ``at`` (in gap ``k``) leaves every later booking a token."""
        rate, burst = self.rate, self.burst
        new_t, new_level = at, min(burst, level + rate * (at - t)) - 1.0
        old_t, old_level = t, level
        for when in self.booked[k:]:
            new_level = min(burst, new_level + rate * (when - new_t)) - 1.0
            old_level = min(burst, old_level + rate * (when - old_t)) - 1.0
            new_t = old_t = when
            if new_level < -_SLACK:
                return False
            if new_level >= old_level:
                return True  # the bucket refilled to the cap: the rest is unchanged
        return True

    def book(self, at: float) -> None:
        """Record one send at ``at`` (a time returned by :meth:`earliest`)."""
        bisect.insort(self.booked, at)


class RateLimiter:
    """Decide when each send of one channel may go, never exceeding its policy even briefly.

    Keys are rate keys (``channel:chat_id[/thread]``); the thread part is ignored because
    platforms limit the chat as a whole. Channels count as groups.
    """

    def __init__(
        self,
        policy: RatePolicy,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        sweep_every: float = 30.0,
    ) -> None:
        self.policy = policy
        self._monotonic = monotonic
        now = monotonic()
        self._global: _Bucket | None = (
            _Bucket(policy.global_per_second, policy.global_burst, now)
            if math.isfinite(policy.global_per_second)
            else None
        )
        self._chats: dict[str, _Bucket] = {}
        self._holds: dict[str, float] = {}
        self._global_hold = -math.inf
        self._sweep_every = sweep_every
        self._last_sweep = now
        self._sweep_size = 4096

    def earliest(self, rate_key: str, chat_kind: ChatKind) -> float:
        """Return the delay before a send to ``rate_key`` could go, without booking it."""
        now = self._monotonic()
        return self._plan(_chat_key(rate_key), chat_kind, now)[0] - now

    def reserve(self, rate_key: str, chat_kind: ChatKind, *, max_delay: float = math.inf) -> float:
        """Book one send and return the delay after which it may go.

        When the delay would exceed ``max_delay`` nothing is booked and the delay is returned,
        so the caller can give the message back instead of wasting a token.
        """
        now = self._monotonic()
        key = _chat_key(rate_key)
        at, buckets = self._plan(key, chat_kind, now)
        if at - now > max_delay:
            return at - now
        for bucket in buckets:
            bucket.book(at)
        self._maybe_sweep(now)
        return at - now

    def hold(self, rate_key: str, seconds: float) -> None:
        """Send nothing to ``rate_key`` for ``seconds`` (the platform's retry_after)."""
        key = _chat_key(rate_key)
        until = self._monotonic() + seconds
        self._holds[key] = max(until, self._holds.get(key, -math.inf))

    def hold_all(self, seconds: float) -> None:
        """Send nothing on this channel for ``seconds`` (a channel-wide retry_after)."""
        self._global_hold = max(self._global_hold, self._monotonic() + seconds)

    def held_for(self, rate_key: str) -> float:
        """Return how many seconds ``rate_key`` is still held (0 when free)."""
        now = self._monotonic()
        until = max(self._global_hold, self._holds.get(_chat_key(rate_key), -math.inf))
        return max(0.0, until - now)

    def spacing(self, chat_kind: ChatKind) -> float:
        """Return the steady gap between two sends to one chat of this kind (0 if unlimited)."""
        if chat_kind is ChatKind.PRIVATE:
            rate = self.policy.per_chat_per_second
        else:
            per_minute = self.policy.per_group_per_minute
            rate = per_minute / 60.0 if per_minute is not None else None
        return 1.0 / rate if rate else 0.0

    def __len__(self) -> int:
        """Return how many per-chat buckets and holds are kept in memory."""
        return len(self._chats) + len(self._holds)

    def _plan(self, key: str, chat_kind: ChatKind, now: float) -> tuple[float, list[_Bucket]]:
        buckets: list[_Bucket] = []
        if self._global is not None:
            buckets.append(self._global)
        chat = self._chat_bucket(key, chat_kind, now)
        if chat is not None:
            buckets.append(chat)
        at = max(now, self._global_hold, self._holds.get(key, -math.inf))
        # Each bucket answers "earliest >= at"; repeat until all agree (a common free time).
        while True:
            latest = at
            for bucket in buckets:
                latest = max(latest, bucket.earliest(at, now))
            if latest == at:
                return at, buckets
            at = latest

    def _chat_bucket(self, key: str, chat_kind: ChatKind, now: float) -> _Bucket | None:
        bucket = self._chats.get(key)
        if bucket is not None:
            return bucket
        policy = self.policy
        if chat_kind is ChatKind.PRIVATE:
            if policy.per_chat_per_second is None:
                return None
            rate, burst = policy.per_chat_per_second, policy.per_chat_burst
        else:
            if policy.per_group_per_minute is None:
                return None
            rate, burst = policy.per_group_per_minute / 60.0, policy.per_group_burst
        bucket = self._chats[key] = _Bucket(rate, burst, now)
        return bucket

    def _maybe_sweep(self, now: float) -> None:
        # Sweep on a timer, and early when a broadcast to many chats grows the table fast.
        if now - self._last_sweep < self._sweep_every and len(self._chats) < self._sweep_size:
            return
        self._last_sweep = now
        self._chats = {k: b for k, b in self._chats.items() if not b.is_idle(now)}
        self._holds = {k: until for k, until in self._holds.items() if until > now}
        self._sweep_size = max(4096, 2 * len(self._chats))


def _chat_key(rate_key: str) -> str:
    return rate_key.split("/", 1)[0]
