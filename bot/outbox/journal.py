"""The send journal: a send's start is durable before it goes out, its outcome right after.

After a crash the rows whose send had started are the only ones that may go out twice; every
other claimed row is known to be unsent. So duplicates per crash are at most the sends in
flight, not a whole batch of unrecorded outcomes. Writes are group commits by one writer
task: whatever starts and outcomes queued while the last commit ran go into the next one,
so sends at 30 or 80 a second never wait for a commit each, only for the next shared one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence
from typing import Protocol

from bot.core.ids import OutboxId
from bot.core.repeats import RepeatedLog
from bot.domain.outbox import Outcome

log = logging.getLogger(__name__)


class JournalStore(Protocol):
    """Where progress goes (``OutboxRepo`` fits)."""

    async def record_outcomes(
        self,
        worker_id: str,
        outcomes: Sequence[Outcome],
        *,
        started: Collection[OutboxId] = (),
    ) -> object: ...


class HealthStore(Protocol):
    """Where a chat that received a message is marked healthy (``RecipientStateRepo`` fits)."""

    async def record_ok(self, channel: str, chat_id: str) -> object: ...


class SendJournal:
    """Record sends as they start and end, sharing each commit among the sends in flight."""

    def __init__(
        self,
        store: JournalStore,
        health: HealthStore,
        *,
        worker_id: str,
        retry_delay: float = 0.5,
    ) -> None:
        self._store = store
        self._health = health
        self._worker_id = worker_id
        self._retry_delay = retry_delay
        self._starts: list[tuple[OutboxId, asyncio.Future[None]]] = []
        self._outcomes: list[Outcome] = []
        self._healthy: set[tuple[str, str]] = set()
        self._queued = 0  # sequence number of the last outcome queued
        self._durable = 0  # ... and of the last one committed
        self._failed_round = 0  # the round of the last failed write
        self._round = 0
        self._last_error: BaseException | None = None
        self._changed = asyncio.Condition()
        self._writer: asyncio.Task[None] | None = None
        self._repeated = RepeatedLog(log)

    async def started(self, item_id: OutboxId) -> None:
        """Return once the row is recorded as being sent; raise if that write failed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._starts.append((item_id, done))
        self._kick()
        await done

    def settle(self, outcome: Outcome, healthy: tuple[str, str] | None = None) -> None:
        """Queue ``outcome`` for the next commit; ``healthy`` names a chat that just received."""
        self._outcomes.append(outcome)
        self._queued += 1
        if healthy is not None:
            self._healthy.add(healthy)
        self._kick()

    async def flush(self) -> None:
        """Wait until every outcome queued so far is committed; raise if a write fails first."""
        target, since = self._queued, self._round
        async with self._changed:
            while self._durable < target:
                if self._failed_round > since and self._last_error is not None:
                    raise self._last_error
                await self._changed.wait()

    @property
    def pending(self) -> int:
        """Return how many outcomes wait for their commit."""
        return len(self._outcomes)

    async def close(self) -> None:
        """Stop retrying (outcomes still queued stay unrecorded: their rows are reclaimed)."""
        writer, self._writer = self._writer, None
        if writer is not None and not writer.done():
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    def _kick(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="outbox-journal")

    async def _write_all(self) -> None:
        while self._starts or self._outcomes or self._healthy:
            starts, self._starts = self._starts, []
            outcomes, self._outcomes = self._outcomes, []
            healthy, self._healthy = self._healthy, set()
            upto = self._queued
            self._round += 1
            try:
                if starts or outcomes:
                    await self._store.record_outcomes(
                        self._worker_id, outcomes, started=[item_id for item_id, _ in starts]
                    )
            except Exception as exc:
                # A start that could not be written must not be sent: its sender hears why.
                for _, done in starts:
                    if not done.done():
                        done.set_exception(exc)
                self._outcomes[:0] = outcomes  # kept: dropping them would resend those rows
                self._healthy |= healthy
                self._failed_round, self._last_error = self._round, exc
                self._repeated.log(
                    logging.WARNING,
                    "journal",
                    "Recording %d outbox outcomes failed; retrying: %s",
                    len(outcomes),
                    exc,
                )
                await self._notify()
                await asyncio.sleep(self._retry_delay)
                continue
            self._repeated.clear("journal")
            for _, done in starts:
                if not done.done():
                    done.set_result(None)
            await self._mark_healthy(healthy)
            self._durable = upto
            await self._notify()

    async def _mark_healthy(self, healthy: set[tuple[str, str]]) -> None:
        for channel, chat_id in sorted(healthy):
            try:
                await self._health.record_ok(channel, chat_id)
            except Exception as exc:  # only a health mark: try again with the next commit
                self._healthy.add((channel, chat_id))
                log.warning("Marking %s:%s healthy failed: %s", channel, chat_id, exc)
                await asyncio.sleep(self._retry_delay)
                return

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
