"""Outcomes of one claimed batch, recorded in small groups so a crash re-sends little.

Results are written every ``flush_every`` outcomes or ``flush_interval`` seconds, whichever
comes first, so a process that dies mid-batch leaves at most those rows in ``sending`` (they
are reclaimed when their lease runs out and sent again).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.domain.outbox import Outcome

log = logging.getLogger(__name__)


class OutcomeStore(Protocol):
    """Where outcomes go (``OutboxRepo`` fits)."""

    async def record_outcomes(self, worker_id: str, outcomes: Sequence[Outcome]) -> object: ...


class HealthStore(Protocol):
    """Where a chat that received a message is marked healthy (``RecipientStateRepo`` fits)."""

    async def record_ok(self, channel: str, chat_id: str) -> object: ...


class OutcomeBatch:
    """Collects one batch's outcomes and writes them when due (and always at the end)."""

    def __init__(
        self,
        store: OutcomeStore,
        health: HealthStore,
        *,
        worker_id: str,
        deadline: float,
        monotonic: Callable[[], float],
        flush_every: int,
        flush_interval: float,
    ) -> None:
        self._store = store
        self._health = health
        self._worker_id = worker_id
        self.deadline = deadline
        """Monotonic time after which no new send starts (half the lease is gone)."""
        self._monotonic = monotonic
        self._flush_every = flush_every
        self._flush_interval = flush_interval
        self._flushed_at = monotonic()
        self._outcomes: list[Outcome] = []
        self._healthy: set[tuple[str, str]] = set()
        self.released: Counter[str] = Counter()
        """Rows given back per rate key in this batch, to spread their release times."""
        self._lock = asyncio.Lock()

    def add(self, outcome: Outcome, healthy: tuple[str, str] | None = None) -> None:
        """Keep ``outcome``; ``healthy`` names a destination chat that just received."""
        self._outcomes.append(outcome)
        if healthy is not None:
            self._healthy.add(healthy)

    async def flush(self, *, force: bool) -> None:
        """Write what is kept when due (``force``: now, raising if the write fails)."""
        if not force and not self._due():
            return
        async with self._lock:
            if not force and not self._due():
                return  # another task flushed while we waited for the lock
            outcomes, self._outcomes = self._outcomes, []
            healthy, self._healthy = self._healthy, set()
            self._flushed_at = self._monotonic()
            try:
                if outcomes:
                    await self._store.record_outcomes(self._worker_id, outcomes)
                for channel, chat_id in sorted(healthy):
                    await self._health.record_ok(channel, chat_id)
            except Exception:
                # Keep the results for the next flush: dropping them would resend those
                # messages once their lease runs out.
                self._outcomes[:0] = outcomes
                self._healthy |= healthy
                if force:
                    raise
                log.exception("recording %d outbox outcomes failed; will retry", len(outcomes))

    def _due(self) -> bool:
        if len(self._outcomes) >= self._flush_every:
            return True
        elapsed = self._monotonic() - self._flushed_at
        return bool(self._outcomes) and elapsed >= self._flush_interval
