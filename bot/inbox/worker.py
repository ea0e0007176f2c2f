"""The inbox worker: hand stored items to the dispatcher and the receipts, then settle them.

Messages are handled in order per chat (the repository only leases a chat's oldest pending
row), different chats side by side. A failure is retried with capped, jittered backoff up to
``max_attempts`` times; then the row is dead: kept, counted in /status, and no longer holding
its chat back. Delivery reports are applied in batches, as the outbox's receipts expect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ParamSpec, Protocol

from bot.core.backoff import backoff_delay
from bot.core.channel import InboundHandler
from bot.core.clock import Clock, SystemClock
from bot.core.ids import InboxId
from bot.core.repeats import RepeatedLog
from bot.core.reports import DeliveryReport
from bot.domain.inbox import InboxItem
from bot.inbox.codec import message_from_json, report_from_json
from bot.outbox.port import WorkSignal
from bot.storage.db import is_transient_storage_error

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")


@dataclass(frozen=True, slots=True)
class InboxSettings:
    """How the inbox worker paces itself and when it gives up on an item."""

    batch_size: int = 16
    """Chats handled side by side (one message each) per round."""
    lease_seconds: float = 120.0
    """A claim older than this (its worker died) is claimed again."""
    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_max: float = 60.0
    poll_interval: float = 1.0
    """How often to look for work nobody woke us for (another process stored it)."""
    report_batch: int = 500
    report_rounds: int = 16
    """A report for a message id no outbox row carries yet waits this many rounds."""
    report_wait: float = 0.25
    claim_only: frozenset[str] | None = None
    """Chat keys (``<channel>:<chat id>``) this worker may take; None is all, and then reports.

    ``minbar chat`` sets its own, so on a shared database it leaves every real message and
    every delivery report to the service.
    """


class InboxStore(Protocol):
    """What the worker needs of the inbox repository."""

    async def claim_messages(
        self, *, limit: int, lease: timedelta, only: frozenset[str] | None = None
    ) -> list[InboxItem]:
        """Lease the next message of up to ``limit`` chats (of ``only``, when given)."""
        ...

    async def claim_reports(self, *, limit: int, lease: timedelta) -> list[InboxItem]:
        """Lease up to ``limit`` reports."""
        ...

    async def mark_done(self, ids: Sequence[InboxId]) -> None:
        """Record these items as handled."""
        ...

    async def retry_later(self, item_id: InboxId, at: datetime, error: str) -> None:
        """Give an item back for another attempt at ``at``."""
        ...

    async def retry_many(self, ids: Sequence[InboxId], at: datetime, error: str) -> None:
        """Give several items back for another attempt at ``at``."""
        ...

    async def mark_dead(self, item_id: InboxId, error: str) -> None:
        """Give up on an item."""
        ...


class ReportApplier(Protocol):
    """Applies delivery reports and says which provider ids are unknown (DeliveryReceipts)."""

    async def apply_batch(self, reports: Sequence[DeliveryReport]) -> set[str]:
        """Apply the reports; return the ids no row carries yet."""
        ...


class InboxWorker:
    """Drain the inbox until stopped; any process may run one (claims are leases)."""

    def __init__(
        self,
        store: InboxStore,
        handle: InboundHandler,
        reports: ReportApplier,
        *,
        settings: InboxSettings | None = None,
        signal: WorkSignal | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        retryable: Callable[[BaseException], bool] = is_transient_storage_error,
    ) -> None:
        self._store = store
        self._handle = handle
        self._reports = reports
        self._settings = settings or InboxSettings()
        self.signal = signal or WorkSignal()
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._retryable = retryable
        self._reports_due: datetime | None = None
        self._repeated = RepeatedLog(logger)
        self._failures = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Handle items as they arrive until ``stop`` is set."""
        s = self._settings
        while not stop.is_set():
            self.signal.clear()
            try:
                worked = await self.run_once()
            except Exception as exc:  # the database itself: back off, keep the loop alive
                self._failures += 1
                self._repeated.log(logging.WARNING, "inbox-claim", "Inbox claim failed: %s", exc)
                delay = backoff_delay(self._failures, s.backoff_base, s.backoff_max, self._rng)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                continue
            if self._failures:
                self._failures = 0
                self._repeated.clear("inbox-claim")
            if worked:
                continue
            # Reports are not announced (they come in floods): look for them every report_wait.
            timeout = s.report_wait if s.claim_only is None else s.poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, self.signal), timeout=timeout)

    async def run_once(self, *, paced: bool = True) -> int:
        """Claim and handle one round of messages and reports; return how many were taken.

        Paced, reports are taken at most every ``report_wait`` seconds: they arrive two or
        three per sent message, and a round per arrival would take SQLite's one writer from
        the outbox that is sending those messages.
        """
        s = self._settings
        lease = timedelta(seconds=s.lease_seconds)
        messages = await self._store.claim_messages(
            limit=s.batch_size, lease=lease, only=s.claim_only
        )
        if messages:
            # Every message of the round finishes (and is settled) before a failure to settle
            # one propagates: a plain gather would leave the others running unwatched.
            results = await asyncio.gather(
                *(self._handle_one(item) for item in messages), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result
        reports: list[InboxItem] = []
        if s.claim_only is None:
            now = self._clock.now()
            if not paced or self._reports_due is None or now >= self._reports_due:
                reports = await self._store.claim_reports(limit=s.report_batch, lease=lease)
        if reports:
            await self._apply(reports)
            self._reports_due = self._clock.now() + timedelta(seconds=s.report_wait)
        return len(messages) + len(reports)

    async def drain(self) -> int:
        """Handle everything due now (tests and shutdown); return how many items were taken."""
        total = 0
        while taken := await self.run_once(paced=False):
            total += taken
        return total

    async def _handle_one(self, item: InboxItem) -> None:
        try:
            message = message_from_json(item.payload)
        except (KeyError, TypeError, ValueError) as exc:
            logger.error("Inbox item %s is not a message (%s); it is dead", item.id, exc)
            await self._settle(self._store.mark_dead, item.id, f"undecodable: {exc}")
            return
        try:
            await self._handle(message)
        except Exception as exc:
            await self._failed(item, exc)
            return
        await self._settle(self._store.mark_done, [item.id])

    async def _failed(self, item: InboxItem, exc: Exception) -> None:
        s = self._settings
        error = f"{type(exc).__name__}: {exc}"
        if not self._retryable(exc):
            # A bug, not a busy database: running it again would only repeat it.
            logger.error(
                "Handling inbound %s failed; it is dead-lettered", item.provider_ref, exc_info=exc
            )
            await self._settle(self._store.mark_dead, item.id, error)
            return
        if item.attempts >= s.max_attempts:
            logger.error(
                "Inbound %s failed %d times; it is dead-lettered: %s",
                item.provider_ref,
                item.attempts,
                error,
                exc_info=exc,
            )
            await self._settle(self._store.mark_dead, item.id, error)
            return
        delay = backoff_delay(item.attempts, s.backoff_base, s.backoff_max, self._rng)
        self._repeated.log(
            logging.WARNING,
            f"inbound-failed:{type(exc).__name__}",
            "Handling inbound %s failed (attempt %d, retry in %.1f s): %s",
            item.provider_ref,
            item.attempts,
            delay,
            error,
        )
        at = self._clock.now() + timedelta(seconds=delay)
        await self._settle(self._store.retry_later, item.id, at, error)

    async def _apply(self, items: list[InboxItem]) -> None:
        s = self._settings
        decoded: list[tuple[InboxItem, DeliveryReport]] = []
        for item in items:
            try:
                decoded.append((item, report_from_json(item.payload)))
            except (KeyError, TypeError, ValueError) as exc:
                await self._settle(self._store.mark_dead, item.id, f"undecodable: {exc}")
        if not decoded:
            return
        try:
            unknown = await self._reports.apply_batch([report for _, report in decoded])
        except Exception as exc:
            await self._batch_failed([item for item, _ in decoded], exc)
            return
        done = [item.id for item, r in decoded if r.provider_id not in unknown]
        waiting: list[InboxId] = []
        for item, report in decoded:
            if report.provider_id not in unknown:
                continue
            if item.attempts >= s.report_rounds:
                # Twilio reports ids we never sent only when a row was deleted; nothing to do.
                logger.info("No outbox row carries %s; its report is dropped", report.provider_id)
                done.append(item.id)
            else:
                waiting.append(item.id)
        if waiting:
            # One statement for all of them: a callback often beats the outbox's record of the
            # send, and a write per report would take SQLite's one writer from the sender.
            at = self._clock.now() + timedelta(seconds=s.report_wait)
            await self._settle(
                self._store.retry_many, waiting, at, "no outbox row carries this id yet"
            )
        await self._settle(self._store.mark_done, done)

    async def _batch_failed(self, items: list[InboxItem], exc: Exception) -> None:
        """Retry or dead-letter a batch of reports that failed together, logging it once."""
        s = self._settings
        error = f"{type(exc).__name__}: {exc}"
        retryable = self._retryable(exc)
        dead = [item for item in items if not retryable or item.attempts >= s.max_attempts]
        if dead:
            # One traceback for the batch, not one per report: a batch holds up to 500.
            logger.error(
                "Applying %d delivery reports failed; they are dead-lettered",
                len(dead),
                exc_info=exc,
            )
        else:
            self._repeated.log(
                logging.WARNING,
                f"reports-failed:{type(exc).__name__}",
                "Applying %d delivery reports failed; retrying: %s",
                len(items),
                error,
            )
        for item in items:
            if item in dead:
                await self._settle(self._store.mark_dead, item.id, error)
                continue
            delay = backoff_delay(item.attempts, s.backoff_base, s.backoff_max, self._rng)
            at = self._clock.now() + timedelta(seconds=delay)
            await self._settle(self._store.retry_later, item.id, at, error)

    async def _settle(
        self, record: Callable[_P, Awaitable[None]], *args: _P.args, **kwargs: _P.kwargs
    ) -> None:
        """Record how an item ended, retrying while the database is busy.

        A handled message whose "done" is lost stays leased, and is handled a second time when
        the lease runs out (a dialog would take the same answer twice); a lost "retry later"
        makes a message wait the whole lease instead of its backoff.
        """
        s = self._settings
        attempt = 0
        while True:
            try:
                await record(*args, **kwargs)
                return
            except Exception as exc:
                attempt += 1
                if not self._retryable(exc) or attempt >= s.max_attempts:
                    raise
                delay = backoff_delay(attempt, s.backoff_base, s.backoff_max, self._rng)
                self._repeated.log(
                    logging.WARNING,
                    "inbox-settle",
                    "Recording an inbox outcome failed (retry in %.1f s): %s",
                    delay,
                    exc,
                )
                await asyncio.sleep(delay)


async def _first(stop: asyncio.Event, signal: WorkSignal) -> None:
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(signal.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
