"""Delivery reports that arrive later (status callbacks) become row and recipient state."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol

from bot.core.clock import Clock, SystemClock
from bot.core.reports import DeliveryReport, DeliveryState, state_rank
from bot.domain.outbox import DeliveryRecord, NewOutboxItem

logger = logging.getLogger(__name__)

UNREACHABLE_KEYS = frozenset({"blocked", "invalid_recipient", "not_on_whatsapp", "opted_out"})
"""Neutral failure reasons that mean this chat will never receive: stop sending to it."""
RATE_LIMIT_KEY = "sender_rate_limited"
RATE_LIMIT_PAUSE = timedelta(minutes=5)
"""How long a message refused for the sender's messaging limit waits before its one retry."""


class ReportStore(Protocol):
    """What receipts need of the outbox (``OutboxReports`` plus ``enqueue``)."""

    async def record_provider_statuses(
        self, reports: Sequence[tuple[str, str, str | None]], rank: Callable[[str], int]
    ) -> tuple[list[DeliveryRecord], set[str]]: ...

    async def enqueue(self, items: Sequence[NewOutboxItem]) -> int: ...


class RecipientErrors(Protocol):
    """What receipts need of the recipient state repository."""

    async def record_error(
        self, channel: str, chat_id: str, error_key: str, detail: str, *, deactivate: bool
    ) -> object: ...


class WindowCloser(Protocol):
    """What receipts need of the subscriber repository."""

    async def close_window(self, channel: str, chat_id: str) -> None: ...


class DeliveryReceipts:
    """Apply neutral delivery reports: move rows forward only, and learn from failures."""

    def __init__(
        self,
        outbox: ReportStore,
        recipients: RecipientErrors,
        subscribers: WindowCloser,
        *,
        clock: Clock | None = None,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self._outbox = outbox
        # A resend is a row like any other: the worker must hear of it, not find it a poll later.
        self._wake = wake or (lambda: None)
        self._recipients = recipients
        self._subscribers = subscribers
        self._clock = clock or SystemClock()

    async def apply(self, report: DeliveryReport) -> bool:
        """Apply one report now; return False when no row carries its id yet."""
        unknown = await self.apply_batch([report])
        return report.provider_id not in unknown

    async def apply_batch(self, reports: Sequence[DeliveryReport]) -> set[str]:
        """Apply many reports in one transaction; return the provider ids not known yet."""
        triples = [(r.provider_id, str(r.state), r.error_key) for r in reports]
        rows, unknown = await self._outbox.record_provider_statuses(triples, state_rank)
        for row in rows:
            if row.provider_status == DeliveryState.FAILED:
                await self._learn(row, row.error_key or "failed")
        return unknown

    async def _learn(self, row: DeliveryRecord, key: str) -> None:
        recipient = row.recipient
        logger.info("Message %s failed at the provider: %s", row.id, key)
        if key == "outside_window":
            # Our idea of the window was wrong: close it, and let the preflight decide again
            # (template, or skip) for one more copy of the message.
            await self._subscribers.close_window(recipient.channel, recipient.chat_id)
            await self._resend(row, suffix="after-window")
        elif key in UNREACHABLE_KEYS:
            await self._recipients.record_error(
                recipient.channel,
                recipient.chat_id,
                key,
                f"the platform reported {key}",
                deactivate=True,
            )
        elif key == RATE_LIMIT_KEY:
            await self._resend(row, suffix="after-rate-limit", delay=RATE_LIMIT_PAUSE)

    async def _resend(
        self, row: DeliveryRecord, *, suffix: str, delay: timedelta | None = None
    ) -> None:
        if f":{suffix}" in row.idempotency_key:
            return  # one retry per cause is enough; the next failure stays recorded
        queued = await self._outbox.enqueue(
            [
                NewOutboxItem(
                    f"{row.idempotency_key}:{suffix}",
                    row.message,
                    not_before=self._clock.now() + delay if delay else None,
                    broadcast_id=row.broadcast_id,
                    topic_id=row.topic_id,
                    subscriber_id=row.subscriber_id,
                    destination_id=row.destination_id,
                )
            ]
        )
        if queued:
            self._wake()
