"""The outbox worker's loop: claim due rows, send them under the rate limits, record outcomes.

Delivery is at-least-once. Each send's start is recorded before it goes out and its outcome
right after (``journal``, group commits shared by the sends in flight), so a process that
dies re-sends at most the rows that were in flight. Its other claimed rows are taken back at
once by the next worker that sees its liveness lock gone (``reclaim``), or when their lease
expires. Idempotency keys stop duplicates at enqueue time. What a failure means is decided
in ``failures`` (pure); when a row may go out is ``pacing``'s; the knobs are one
``WorkerSettings``.

A ``RateLimited`` answer is retried after exactly ``retry_after`` and never makes a row fail,
although the attempt still counts (a later transient error may then give up sooner).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.channel import Channel, ChannelRegistry
from bot.core.clock import Clock, SystemClock
from bot.core.errors import ChannelError
from bot.core.ids import ChatId
from bot.core.messages import DeliveryResult, DeliveryStatus
from bot.domain.outbox import ClaimedItem, Failed, Outcome, Released, Sent, Skipped
from bot.outbox.failures import (
    Decision,
    HoldChannel,
    HoldChat,
    NoteProblem,
    RecordError,
    Reroute,
    backoff_retry,
    decide_failure,
    retry_or_give_up,
)
from bot.outbox.journal import SendJournal
from bot.outbox.pacing import Pacing
from bot.outbox.port import WorkSignal
from bot.outbox.preflight import DeliveryPreflight, Skip
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.reclaim import Reclaimer
from bot.outbox.settings import WorkerSettings
from bot.outbox.stores import OutboxStore, RecipientStore

log = logging.getLogger(__name__)

# Stop sending a claimed row once half its lease is gone, so a slow batch never overlaps
# with the worker that reclaims it.
_LEASE_SAFETY = 0.5


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
        settings: WorkerSettings | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        preflight: DeliveryPreflight | None = None,
        signal: WorkSignal | None = None,
        reclaimer: Reclaimer | None = None,
    ) -> None:
        self._repo = repo
        self._recipients = recipients
        self._channels = channels
        self._worker_id = worker_id
        self._settings = settings or WorkerSettings()
        self._pacing = Pacing(limiters, self._settings.hold_threshold)
        self._clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._monotonic = monotonic
        self._preflight = preflight
        self._sending = asyncio.Semaphore(self._settings.concurrency)
        self._stop = asyncio.Event()
        # Shared with the outbox port, so rows a feature queues wake this worker at once.
        self._wake = signal or WorkSignal()
        self._warned: dict[str, float] = {}
        self._migrated: dict[tuple[str, str], str] = {}
        # Chats switched off while this batch ran: their other claimed rows are skipped.
        self._switched_off: set[tuple[str, str]] = set()
        self._journal = SendJournal(repo, recipients, worker_id=worker_id)
        self._reclaimer = reclaimer
        self._next_sweep = 0.0

    @property
    def worker_id(self) -> str:
        """Return the id this worker's claims carry (unique per process start)."""
        return self._worker_id

    @property
    def settings(self) -> WorkerSettings:
        """Return the worker's knobs."""
        return self._settings

    def notify(self) -> None:
        """Wake the worker now (something was just enqueued)."""
        self._wake.notify()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; unsent claimed rows are given back on the way out."""
        self._stop = stop
        poll = self._settings.poll_interval
        if self._reclaimer is not None:
            await self._reclaimer.start(self._worker_id)
            self._next_sweep = self._monotonic() + self._settings.reclaim_interval
        try:
            while not stop.is_set():
                self._wake.clear()  # before claiming: a notify() during the claim is not lost
                try:
                    await self._sweep_when_due()
                    handled = await self.drain_once()
                except Exception:
                    log.exception("outbox batch failed; retrying after a pause")
                    await self._pause(max(poll, 1.0))
                    continue
                if handled == 0:
                    await self._pause(poll, self._wake)
        finally:
            await self._journal.close()
            if self._reclaimer is not None:
                await self._reclaimer.stop()

    async def _sweep_when_due(self) -> None:
        if self._reclaimer is None or self._monotonic() < self._next_sweep:
            return
        self._next_sweep = self._monotonic() + self._settings.reclaim_interval
        await self._reclaimer.sweep()

    async def drain_once(self) -> int:
        """Claim one batch, send it, record the outcomes; return how many rows were handled."""
        cfg = self._settings
        # A registered channel that is down (not started yet, retried by the supervisor) is
        # left out of the claim: its rows keep their place and go out once it is up.
        down = [n for n in self._channels.names() if not self._channels.is_started(n)]
        items = await self._repo.claim_due(
            self._worker_id,
            cfg.batch_size,
            cfg.lease_seconds,
            only=cfg.claim_only,
            skip_channels=down,
        )
        if not items:
            return 0
        batch = _Batch(self._monotonic() + cfg.lease_seconds * _LEASE_SAFETY)
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
            await self._journal.flush()
            self._switched_off.clear()  # a later batch holds only rows queued since (/resume)
        return len(items)

    async def _process_in_order(self, items: list[ClaimedItem], batch: _Batch) -> None:
        for index, item in enumerate(items):
            recipient = item.message.recipient
            if (recipient.channel, recipient.chat_id) in self._switched_off:
                self._journal.settle(Skipped(item.id, "recipient_off"))
                continue
            wait = self._pacing.wait_for(item) if index else 0.0
            if wait > 0:
                # A later row of a chat that must wait goes back instead of waiting here.
                self._journal.settle(self._release(item, wait, batch))
                continue
            await self._process(item, batch)

    async def _process(self, item: ClaimedItem, batch: _Batch) -> None:
        item = self._rerouted(item)
        try:
            outcome = await self._deliver(item, batch)
        except Exception as exc:  # e.g. the database failed while recording a side effect
            log.exception("outbox row %s could not be handled", item.id)
            # Always retried: the send may not have happened, and giving up here would
            # record a failure on a chat that did nothing wrong.
            outcome = backoff_retry(
                item,
                "unexpected",
                repr(exc),
                now=self._clock.now(),
                settings=self._settings,
                rng=self._rng,
            )
        recipient = item.message.recipient
        healthy = isinstance(outcome, Sent) and item.destination_id is not None
        self._journal.settle(outcome, (recipient.channel, recipient.chat_id) if healthy else None)

    async def _deliver(self, item: ClaimedItem, batch: _Batch) -> Outcome:
        recipient = item.message.recipient
        channel = self._channel(recipient.channel)
        if channel is None:
            return Released(item.id, self._at(self._settings.channel_retry_delay))
        if self._preflight is not None and self._preflight.applies_to(recipient.channel):
            checked = await self._preflight.check(item.message)
            if isinstance(checked, Skip):
                return Skipped(item.id, checked.reason)
            item = replace(item, message=checked)
        limiter = self._pacing.limiter(recipient.channel)
        threshold = self._pacing.hold_threshold
        # Wait for the chat's own turn before taking a sending slot, so one busy chat cannot
        # occupy the slots other chats could use.
        wait = self._pacing.wait_for(item)
        if wait > threshold:
            return self._release(item, wait, batch)
        if wait > 0 and not await self._pause(wait):
            return Released(item.id, self._at(0))
        async with self._sending:
            if self._stop.is_set():
                return Released(item.id, self._at(0))
            # Durable before the request can leave: after a crash, only rows marked so may
            # have been sent, and only they can arrive twice. Marked before the rate wait, not
            # after it, so the commit's latency never moves a send off its booked time.
            await self._journal.started(item.id)
            if limiter is not None:
                delay = limiter.reserve(item.rate_key, recipient.kind, max_delay=threshold)
                if delay > threshold:
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
                decision = decide_failure(
                    item, exc, now=self._clock.now(), settings=self._settings, rng=self._rng
                )
                return await self._apply(item, exc, decision, limiter)
            except Exception as exc:
                log.exception("unexpected error sending outbox row %s", item.id)
                return await self._apply(item, exc, self._retry(item, "unexpected", repr(exc)))
        return _on_result(item, result)

    def _release(self, item: ClaimedItem, wait: float, batch: _Batch) -> Released:
        return Released(item.id, self._at(self._pacing.release_after(item, wait, batch.released)))

    def _retry(self, item: ClaimedItem, error_key: str, detail: str) -> Decision:
        return retry_or_give_up(
            item, error_key, detail, now=self._clock.now(), settings=self._settings, rng=self._rng
        )

    async def _apply(
        self,
        item: ClaimedItem,
        exc: Exception,
        decision: Decision,
        limiter: RateLimiter | None = None,
    ) -> Outcome:
        """Carry out the effects the failure policy asked for; return the row's outcome."""
        for effect in decision.effects:
            if isinstance(effect, HoldChannel):
                if limiter is not None:
                    limiter.hold_all(effect.seconds)
                await self._repo.hold_channel(effect.channel, self._at(effect.seconds))
                log.info("%s asked to wait %ss (channel)", effect.channel, effect.seconds)
            elif isinstance(effect, HoldChat):
                if limiter is not None:
                    limiter.hold(effect.rate_key, effect.seconds)
                await self._repo.hold_recipient(effect.rate_key, self._at(effect.seconds))
                log.info("%s asked to wait %ss (recipient)", effect.rate_key, effect.seconds)
            elif isinstance(effect, Reroute):
                self._migrated[(effect.channel, effect.old_chat_id)] = effect.new_chat_id
                await self._recipients.replace_chat_id(
                    effect.channel, effect.old_chat_id, effect.new_chat_id
                )
                await self._repo.reroute_chat(
                    effect.channel, effect.old_chat_id, effect.new_chat_id
                )
                log.info(
                    "%s:%s migrated to %s; rerouted",
                    effect.channel,
                    effect.old_chat_id,
                    effect.new_chat_id,
                )
            elif isinstance(effect, RecordError):
                await self._recipients.record_error(
                    effect.channel,
                    effect.chat_id,
                    effect.error_key,
                    effect.detail,
                    deactivate=effect.deactivate,
                    message_kind=effect.message_kind,
                )
                if effect.deactivate:
                    # Switched off at the first refusal: what is queued for it would only be
                    # refused too (each a request, each an error).
                    await self._repo.skip_pending_to_chat(
                        effect.channel, effect.chat_id, "recipient_off"
                    )
                    self._switched_off.add((effect.channel, effect.chat_id))
            elif isinstance(effect, NoteProblem):
                await self._recipients.record_problem(
                    effect.channel,
                    effect.chat_id,
                    effect.error_key,
                    effect.detail,
                    message_kind=effect.message_kind,
                )
        if isinstance(decision.outcome, Failed):
            log.warning("outbox row %s failed for good: %s", item.id, exc)
            if not any(isinstance(e, RecordError) for e in decision.effects):
                # Retries ran out: no chat was at fault, but a message is lost; noted so.
                recipient = item.message.recipient
                await self._recipients.record_error(
                    recipient.channel,
                    recipient.chat_id,
                    decision.outcome.error_key,
                    decision.outcome.detail,
                    deactivate=False,
                    message_kind=item.message.kind,
                )
        elif isinstance(exc, ChannelError) and not decision.effects:
            log.warning("transient failure for outbox row %s: %s", item.id, exc)
        return decision.outcome

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


class _Batch:
    """One claim's shared state: when sending must stop, and rows released per chat."""

    __slots__ = ("deadline", "released")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        """Monotonic time after which no new send starts (half the lease is gone)."""
        self.released: Counter[str] = Counter()
        """Rows given back per rate key in this batch, to spread their release times."""


def _on_result(item: ClaimedItem, result: DeliveryResult) -> Outcome:
    if result.status is DeliveryStatus.SKIPPED:
        return Skipped(item.id, result.reason or "skipped")
    return Sent(item.id, result.provider_message_id)
