"""The outbox in domain terms: what goes in, what a worker claims, how each row settles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.ids import OutboxId
from bot.core.messages import OutboundMessage, Recipient

STATUSES = ("pending", "sending", "sent", "failed", "skipped")


@dataclass(frozen=True)
class NewOutboxItem:
    """A message to put in the outbox; ``idempotency_key`` makes re-enqueueing harmless."""

    idempotency_key: str
    message: OutboundMessage
    not_before: datetime | None = None
    broadcast_id: int | None = None
    topic_id: int | None = None
    subscriber_id: int | None = None
    destination_id: int | None = None


@dataclass(frozen=True)
class ClaimedItem:
    """A row leased to one worker; ``attempts`` already counts this attempt."""

    id: OutboxId
    idempotency_key: str
    message: OutboundMessage
    attempts: int
    rate_key: str
    created_at: datetime
    broadcast_id: int | None
    subscriber_id: int | None
    destination_id: int | None


@dataclass(frozen=True)
class Sent:
    """The platform accepted the message."""

    id: OutboxId
    provider_message_id: str | None = None


@dataclass(frozen=True)
class Retry:
    """The attempt failed but may succeed later."""

    id: OutboxId
    next_attempt_at: datetime
    error_key: str
    detail: str = ""


@dataclass(frozen=True)
class Failed:
    """The message can never be delivered."""

    id: OutboxId
    error_key: str
    detail: str = ""


@dataclass(frozen=True)
class Skipped:
    """The message was deliberately not sent (opted out, duplicate, policy)."""

    id: OutboxId
    reason: str


@dataclass(frozen=True)
class Released:
    """Given back unsent (e.g. waiting for a rate limit); the attempt does not count."""

    id: OutboxId
    next_attempt_at: datetime


Outcome = Sent | Retry | Failed | Skipped | Released


@dataclass(frozen=True)
class DeliveryRecord:
    """A sent row whose provider status a delivery report just moved forward."""

    id: OutboxId
    idempotency_key: str
    message: OutboundMessage
    provider_status: str
    error_key: str | None = None
    broadcast_id: int | None = None
    topic_id: int | None = None
    subscriber_id: int | None = None
    destination_id: int | None = None

    @property
    def recipient(self) -> Recipient:
        """Return who the row was sent to."""
        return self.message.recipient


@dataclass(frozen=True)
class OutboxEntry:
    """Everything one outbox row records (inspection, reports and tests)."""

    id: OutboxId
    idempotency_key: str
    recipient: Recipient
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    claimed_by: str | None
    lease_until: datetime | None
    provider_message_id: str | None
    provider_status: str | None
    error_key: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    broadcast_id: int | None
    topic_id: int | None
    subscriber_id: int | None
    destination_id: int | None


@dataclass(frozen=True, slots=True)
class Reclaimed:
    """Rows taken back from a dead worker: all of them, and those whose send had started."""

    worker_id: str
    rows: int
    in_flight: int
