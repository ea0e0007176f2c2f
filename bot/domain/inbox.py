"""The inbox in domain terms: what is stored on arrival, what a worker claims, what is left."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.ids import InboxId


class InboxKind(enum.StrEnum):
    """What an inbox row holds, which decides how it is handled."""

    MESSAGE = "message"
    """An inbound message: handled by the dispatcher, in order per chat."""
    REPORT = "report"
    """A delivery report: applied to the outbox in batches."""
    UNREADABLE = "unreadable"
    """An update the platform's library could not parse: kept for the record, never handled."""


class InboxState(enum.StrEnum):
    """Where an inbox row is."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"
    """Failed ``max_attempts`` times: counted in /status, kept for an operator to look at."""
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class NewInboxItem:
    """One inbound item to store; ``(platform, provider_ref)`` is its identity."""

    platform: str
    provider_ref: str
    kind: InboxKind
    chat_key: str
    """Items with the same key are handled one at a time, oldest first."""
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A stored item leased to one worker; ``attempts`` already counts this attempt."""

    id: InboxId
    platform: str
    provider_ref: str
    kind: InboxKind
    chat_key: str
    payload: dict[str, Any]
    attempts: int
    received_at: datetime
