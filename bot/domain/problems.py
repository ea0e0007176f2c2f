"""Delivery problems: what went wrong for good on the way to a chat, until the admins know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.ids import ChannelName, ChatId

ProblemKind = Literal["failed", "deactivated", "skipped"]


@dataclass(frozen=True, slots=True)
class DeliveryProblem:
    """One permanent failure, switch-off or skipped message, as stored for the alert job."""

    id: int
    channel: ChannelName
    chat_id: ChatId
    destination_id: int | None
    """Set when the chat is a relay destination (a channel or group), not a subscriber."""
    kind: ProblemKind
    message_kind: str | None
    error_key: str
    detail: str
    at: datetime
