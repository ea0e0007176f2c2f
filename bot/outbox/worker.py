"""The outbox worker: claim due rows, send them under the rate limits, record what happened.

Delivery is at-least-once. Outcomes are written in small batches (every ``flush_every``
results or ``flush_interval`` seconds), so a process that dies mid-batch leaves at most those
unrecorded rows in ``sending``; another worker reclaims them when their lease expires and
sends them again. Idempotency keys stop duplicates at enqueue time, not after a crash.

A ``RateLimited`` answer is retried after exactly ``retry_after`` and never makes a row fail,
although the attempt still counts (a later transient error may then give up sooner).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.channel import Channel, ChannelRegistry
from bot.core.clock import Clock, SystemClock
from bot.core.errors import (
    ChannelError,
    DestinationInvalid,
    DestinationMigrated,
    RateLimited,
    RecipientUnreachable,
)
from bot.core.ids import ChatId
from bot.core.messages import DeliveryResult, DeliveryStatus
from bot.domain.outbox import (
    ClaimedItem,
    Failed,
    Outcome,
    Released,
    Retry,
    Sent,
    Skipped,
)
from bot.outbox.backoff import backoff_delay
from bot.outbox.port import WorkSignal
from bot.outbox.preflight import DeliveryPreflight, Skip
from bot.outbox.ratelimit import RateLimiter

log = logging.getLogger(__name__)

# Stop sending a claimed row once half its lease is gone, so a slow batch never overlaps
# with the worker that reclaims it.
_LEASE_SAFETY = 0.5
_DETAIL_MAX = 500


class OutboxStore(Protocol):
    """The part of ``OutboxRepo`` the worker uses."""

    async def claim_due(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[ClaimedItem]: ...

    async def record_outcomes(self, worker_id: str, outcomes: Sequence[Outcome]) -> object: ...

    async def hold_recipient(self, rate_key: str, until: datetime) -> object: ...

    async def hold_channel(self, channel: str, until: datetime) -> object: ...

    async def reroute_chat(self, channel: str, old_chat_id: str, new_chat_id: str) -> object: ...


class RecipientStore(Protocol):
    """The part of ``RecipientStateRepo`` the worker uses."""

    async def record_error(
        self, channel: str, chat_id: str, error_key: str, detail: str, *, deactivate: bool
    ) -> object: ...

    async def record_ok(self, channel: str, chat_id: str) -> object: ...

    async def replace_chat_id(self, channel: str, old: str, new: str) -> object: ...


@dataclass
class _Batch:
    """Outcomes of one claimed batch waiting to be written."""

    deadline: float
    flushed_at: float
    outcomes: list[Outcome] = field(default_factory=list)
    healthy: set[tuple[str, str]] = field(default_factory=set)
    released: Counter[str] = field(default_factory=Counter)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class OutboxWorker:
    """Send due outbox rows through their channels, honouring each channel's rate limiter."""

    def __init__(
        self,
        repo: OutboxStore,
        recipients: RecipientStore,
        channels: ChannelRegistry,
        limiters: Mapping[str, RateLimiter],
        *,
        worker_id: str,
        clock: Clock | None = None,
        batch_size: int = 200,
        concurrency: int = 4,
        poll_interval: float = 0.5,
        lease_seconds: float = 60,
        max_attempts: int = 8,
        backoff_base: float = 2.0,
        backoff_max: float = 600,
        rng: random.Random | None = None,
        hold_threshold: float = 2.0,
        channel_retry_delay: float = 30.0,
        flush_every: int = 100,
        flush_interval: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        preflight: DeliveryPreflight | None = None,
        signal: WorkSignal | None = None,
    ) -> None:
        self._repo = repo
        self._preflight = preflight
        self._recipients = recipients
        self._channels = channels
        self._limiters = limiters
        self._worker_id = worker_id
        self._clock = clock or SystemClock()
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._rng = rng or random.Random()
        self._hold_threshold = hold_threshold
        self._channel_retry_delay = channel_retry_delay
        self._flush_every = flush_every
        self._flush_interval = flush_interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._sending = asyncio.Semaphore(concurrency)
        self._stop = asyncio.Event()
        # Shared with the outbox port, so rows a feature queues wake this worker at once.
        self._wake = signal or WorkSignal()
        self._warned: dict[str, float] = {}
        self._migrated: dict[tuple[str, str], str] = {}

    def notify(self) -> None:
        """Wake the worker now (something was just enqueued)."""
        self._wake.notify()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; unsent claimed rows are given back on the way out."""
        self._stop = stop
        while not stop.is_set():
            self._wake.clear()  # before claiming: a notify() during the claim is not lost
            try:
                handled = await self.drain_once()
            except Exception:
                log.exception("outbox batch failed; retrying after a pause")
                await self._pause(max(self._poll_interval, 1.0))
                continue
            if handled == 0:
                await self._pause(self._poll_interval, self._wake)

    async def drain_once(self) -> int:
        """Claim one batch, send it, record the outcomes; return how many rows were handled."""
        items = await self._repo.claim_due(self._worker_id, self._batch_size, self._lease_seconds)
        if not items:
            return 0
        started = self._monotonic()
        batch = _Batch(deadline=started + self._lease_seconds * _LEASE_SAFETY, flushed_at=started)
        try:
            # One task per chat, sending its rows in claim order: a channel reads topics in
            # the order they were queued, while different chats still go out in parallel.
            by_chat: dict[str, list[ClaimedItem]] = {}
            for item in items:
                by_chat.setdefault(item.rate_key, []).append(item)
            async with asyncio.TaskGroup() as group:
                for chat_items in by_chat.values():
                    group.create_task(self._process_in_order(chat_items, batch))
        finally:
            await self._flush(batch, force=True)
        return len(items)

    async def _process_in_order(self, items: list[ClaimedItem], batch: _Batch) -> None:
        for index, item in enumerate(items):
            behind = self._queue_behind(item, batch) if index else None
            if behind is not None:
                batch.outcomes.append(behind)
                continue
            await self._process(item, batch)

    def _queue_behind(self, item: ClaimedItem, batch: _Batch) -> Released | None:
        """Give back a later row of a chat that must wait, instead of waiting in this batch."""
        recipient = item.message.recipient
        limiter = self._limiters.get(recipient.channel)
        if limiter is None:
            return None
        wait = limiter.earliest(item.rate_key, recipient.kind)
        if wait <= 0:
            return None
        queued = batch.released[item.rate_key]
        batch.released[item.rate_key] += 1
        return Released(item.id, self._at(wait + queued * limiter.spacing(recipient.kind)))

    async def _process(self, item: ClaimedItem, batch: _Batch) -> None:
        item = self._rerouted(item)
        try:
            outcome = await self._deliver(item, batch)
        except Exception as exc:  # e.g. the database failed while recording a side effect
            log.exception("outbox row %s could not be handled", item.id)
            delay = backoff_delay(item.attempts, self._backoff_base, self._backoff_max, self._rng)
            outcome = Retry(item.id, self._at(delay), "unexpected", _clip(repr(exc)))
        batch.outcomes.append(outcome)
        if isinstance(outcome, Sent) and item.destination_id is not None:
            recipient = item.message.recipient
            batch.healthy.add((recipient.channel, recipient.chat_id))
        await self._flush(batch, force=False)

    async def _deliver(self, item: ClaimedItem, batch: _Batch) -> Outcome:
        recipient = item.message.recipient
        channel = self._channel(recipient.channel)
        if channel is None:
            return Released(item.id, self._at(self._channel_retry_delay))
        if self._preflight is not None and self._preflight.applies_to(recipient.channel):
            checked = await self._preflight.check(item.message)
            if isinstance(checked, Skip):
                return Skipped(item.id, checked.reason)
            item = replace(item, message=checked)
        limiter = self._limiters.get(recipient.channel)
        if limiter is not None:
            # Wait for the chat's own turn before taking a sending slot, so one busy chat
            # cannot occupy the slots other chats could use.
            wait = limiter.earliest(item.rate_key, recipient.kind)
            if wait > self._hold_threshold:
                # Spread a busy chat's rows over its own pace, so each later claim finds
                # about one sendable row of it instead of the whole backlog again.
                queued = batch.released[item.rate_key]
                batch.released[item.rate_key] += 1
                return Released(item.id, self._at(wait + queued * limiter.spacing(recipient.kind)))
            if wait > 0 and not await self._pause(wait):
                return Released(item.id, self._at(0))
        async with self._sending:
            if self._stop.is_set():
                return Released(item.id, self._at(0))
            if limiter is not None:
                delay = limiter.reserve(
                    item.rate_key, recipient.kind, max_delay=self._hold_threshold
                )
                if delay > self._hold_threshold:
                    return Released(item.id, self._at(delay))
                if delay > 0 and not await self._pause(delay):
                    return Released(item.id, self._at(0))
                held = limiter.held_for(item.rate_key)
                if held > 0:  # a 429 arrived while this send waited for its slot
                    return Released(item.id, self._at(held))
            if self._monotonic() > batch.deadline:
                return Released(item.id, self._at(0))
            try:
                result = await channel.send(item.message)
            except ChannelError as exc:
                return await self._on_error(item, exc, limiter)
            except Exception as exc:
                log.exception("unexpected error sending outbox row %s", item.id)
                return await self._retry_or_give_up(item, "unexpected", repr(exc))
        return _on_result(item, result)

    async def _on_error(
        self, item: ClaimedItem, exc: ChannelError, limiter: RateLimiter | None
    ) -> Outcome:
        recipient = item.message.recipient
        if isinstance(exc, RateLimited):
            until = self._at(exc.retry_after)
            if exc.scope == "channel":
                if limiter is not None:
                    limiter.hold_all(exc.retry_after)
                await self._repo.hold_channel(recipient.channel, until)
            else:
                if limiter is not None:
                    limiter.hold(item.rate_key, exc.retry_after)
                await self._repo.hold_recipient(item.rate_key, until)
            log.info("%s asked to wait %ss (%s)", item.rate_key, exc.retry_after, exc.scope)
            return Retry(item.id, until, exc.error_key, _clip(exc.detail))
        if isinstance(exc, DestinationMigrated):
            old, new = recipient.chat_id, exc.new_chat_id
            self._migrated[(recipient.channel, old)] = new
            await self._recipients.replace_chat_id(recipient.channel, old, new)
            await self._repo.reroute_chat(recipient.channel, old, new)
            log.info("%s:%s migrated to %s; rerouted", recipient.channel, old, new)
            return Retry(item.id, self._at(0), exc.error_key, _clip(exc.detail))
        if exc.retryable:
            log.warning("transient failure for outbox row %s: %s", item.id, exc)
            return await self._retry_or_give_up(item, exc.error_key, exc.detail)
        deactivate = isinstance(exc, RecipientUnreachable | DestinationInvalid)
        await self._recipients.record_error(
            recipient.channel,
            recipient.chat_id,
            exc.error_key,
            _clip(exc.detail),
            deactivate=deactivate,
        )
        log.warning("outbox row %s failed for good: %s", item.id, exc)
        return Failed(item.id, exc.error_key, _clip(exc.detail))

    async def _retry_or_give_up(self, item: ClaimedItem, error_key: str, detail: str) -> Outcome:
        if item.attempts >= self._max_attempts:
            recipient = item.message.recipient
            summary = _clip(f"{error_key}: {detail}" if detail else error_key)
            await self._recipients.record_error(
                recipient.channel, recipient.chat_id, "gave_up", summary, deactivate=False
            )
            return Failed(item.id, "gave_up", summary)
        delay = backoff_delay(item.attempts, self._backoff_base, self._backoff_max, self._rng)
        return Retry(item.id, self._at(delay), error_key, _clip(detail))

    def _rerouted(self, item: ClaimedItem) -> ClaimedItem:
        # Rows claimed before a migration was seen still carry the old chat id.
        recipient = item.message.recipient
        new_chat_id = self._migrated.get((recipient.channel, recipient.chat_id))
        if new_chat_id is None:
            return item
        moved = replace(recipient, chat_id=ChatId(new_chat_id))
        return replace(item, message=replace(item.message, recipient=moved), rate_key=moved.key)

    def _channel(self, name: str) -> Channel | None:
        channel = self._channels.get(name)
        if channel is not None and self._channels.is_started(name):
            return channel
        now = self._monotonic()
        if now - self._warned.get(name, -float("inf")) >= 60.0:
            self._warned[name] = now
            log.warning("channel %r is not running; its outbox rows wait", name)
        return None

    async def _flush(self, batch: _Batch, *, force: bool) -> None:
        if not force and not self._flush_due(batch):
            return
        async with batch.lock:
            if not force and not self._flush_due(batch):
                return  # another task flushed while we waited for the lock
            outcomes, batch.outcomes = batch.outcomes, []
            healthy, batch.healthy = batch.healthy, set()
            batch.flushed_at = self._monotonic()
            try:
                if outcomes:
                    await self._repo.record_outcomes(self._worker_id, outcomes)
                for channel, chat_id in sorted(healthy):
                    await self._recipients.record_ok(channel, chat_id)
            except Exception:
                # Keep the results for the next flush: dropping them would resend those
                # messages once their lease runs out.
                batch.outcomes[:0] = outcomes
                batch.healthy |= healthy
                if force:
                    raise
                log.exception("recording %d outbox outcomes failed; will retry", len(outcomes))

    def _flush_due(self, batch: _Batch) -> bool:
        if len(batch.outcomes) >= self._flush_every:
            return True
        elapsed = self._monotonic() - batch.flushed_at
        return bool(batch.outcomes) and elapsed >= self._flush_interval

    async def _pause(self, seconds: float, wake: WorkSignal | None = None) -> bool:
        """Sleep ``seconds`` unless stopped (or woken) first; return False when stopping."""
        if self._stop.is_set():
            return False
        waiters = [
            asyncio.ensure_future(self._sleep(seconds)),
            asyncio.ensure_future(self._stop.wait()),
        ]
        if wake is not None:
            waiters.append(asyncio.ensure_future(wake.wait()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
        return not self._stop.is_set()

    def _at(self, seconds: float) -> datetime:
        return self._clock.now() + timedelta(seconds=seconds)


def _on_result(item: ClaimedItem, result: DeliveryResult) -> Outcome:
    if result.status is DeliveryStatus.SKIPPED:
        return Skipped(item.id, result.reason or "skipped")
    return Sent(item.id, result.provider_message_id)


def _clip(text: str) -> str:
    return text[:_DETAIL_MAX]
