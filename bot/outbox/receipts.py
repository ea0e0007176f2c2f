"""Delivery reports that arrive later (Twilio status callbacks) become row and recipient state."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from bot.core.clock import Clock, SystemClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, OutboundMessage, Recipient
from bot.storage.models import OutboxRow
from bot.storage.repositories.outbox import NewOutboxItem, OutboxRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.subscribers import SubscriberRepo

logger = logging.getLogger(__name__)

FAILED_STATUSES = frozenset({"failed", "undelivered"})
UNREACHABLE_KEYS = frozenset({"blocked", "invalid_recipient", "not_on_whatsapp", "opted_out"})
RATE_LIMIT_CODES = frozenset({63017, 63018})
RATE_LIMIT_PAUSE = timedelta(minutes=5)
"""How long a message refused for the sender's messaging limit waits before its one retry."""


class DeliveryReceipts:
    """Apply one delivery report: move the row forward only, and learn from failures."""

    def __init__(
        self,
        outbox: OutboxRepo,
        recipients: RecipientStateRepo,
        subscribers: SubscriberRepo,
        *,
        rank: Callable[[str], int],
        failure_key: Callable[[int | None], str],
        clock: Clock | None = None,
    ) -> None:
        self._outbox = outbox
        self._recipients = recipients
        self._subscribers = subscribers
        self._rank = rank
        self._failure_key = failure_key
        self._clock = clock or SystemClock()

    async def apply(self, provider_message_id: str, status: str, error_code: int | None) -> bool:
        """Apply one report now; return False when no row carries that id yet."""
        unknown = await self.apply_batch([(provider_message_id, status, error_code)])
        return provider_message_id not in unknown

    async def apply_batch(self, reports: Sequence[tuple[str, str, int | None]]) -> set[str]:
        """Apply many reports in one transaction; return the provider ids not known yet."""
        rows, unknown = await self._outbox.record_provider_statuses(reports, self._rank)
        for row in rows:
            status = str(row.provider_status)
            code = _code_of(row.error_key) if status in FAILED_STATUSES else None
            await self._learn(row, status, code)
        return unknown

    async def _learn(self, row: OutboxRow, status: str, error_code: int | None) -> None:
        if status not in FAILED_STATUSES:
            return
        key = self._failure_key(error_code)
        logger.info("Message %s failed at the provider: %s", row.id, key)
        if key == "outside_window":
            # Our idea of the window was wrong: close it, and let the preflight decide again
            # (template, or skip) for one more copy of the message.
            await self._subscribers.close_window(row.channel, row.chat_id)
            await self._resend(row, suffix="after-window")
        elif key in UNREACHABLE_KEYS:
            await self._recipients.record_error(
                row.channel, row.chat_id, key, f"provider error {error_code}", deactivate=True
            )
        elif error_code in RATE_LIMIT_CODES:
            await self._resend(row, suffix="after-rate-limit", delay=RATE_LIMIT_PAUSE)

    async def _resend(self, row: OutboxRow, *, suffix: str, delay: timedelta | None = None) -> None:
        if f":{suffix}" in row.idempotency_key:
            return  # one retry per cause is enough; the next failure stays recorded
        recipient = Recipient(
            ChannelName(row.channel), ChatId(row.chat_id), ChatKind(row.chat_kind), row.thread_id
        )
        message = OutboundMessage.from_payload(recipient, row.payload)
        await self._outbox.enqueue(
            [
                NewOutboxItem(
                    f"{row.idempotency_key}:{suffix}",
                    message,
                    not_before=self._clock.now() + delay if delay else None,
                    broadcast_id=row.broadcast_id,
                    topic_id=row.topic_id,
                    subscriber_id=row.subscriber_id,
                    destination_id=row.destination_id,
                )
            ]
        )


def _code_of(error_key: str | None) -> int | None:
    if error_key and error_key.startswith("provider:") and error_key[9:].isdigit():
        return int(error_key[9:])
    return None
