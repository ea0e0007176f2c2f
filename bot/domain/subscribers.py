"""Subscribers: people and groups who asked for alerts, and the choices they made."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient

NOT_SUBSCRIBED = "not_subscribed"
"""``inactive_reason`` of someone who wrote to us but never asked for alerts."""
UNSUBSCRIBED = "unsubscribed"
OPTED_OUT = "opted_out"

DELIVERY_ERRORS = frozenset(
    {"blocked", "deactivated", "kicked", "not_member", "chat_deleted", "not_started", "forbidden"}
)
"""Reasons a send failed for good that end when the person writes to us again."""

Delivery = Literal["instant", "digest"]
LANGUAGE_CODES = frozenset({"en", "ha", "yo", "ar"})
"""Languages a chat may choose (``bot.i18n.LANGUAGES``; the domain keeps only the codes)."""


@dataclass(frozen=True, slots=True)
class SubscriberSettings:
    """A subscriber's choices, with defaults for anything never chosen."""

    topic_alerts: bool = True
    promotions: bool = True
    delivery: Delivery = "instant"
    boards: tuple[int, ...] = ()
    """Board ids to hear about; empty means every board."""
    language: str | None = None
    """The language the chat chose (``en``, ``ha``, ``yo``, ``ar``); None until it chooses."""
    language_offered: bool = False
    """The language menu was offered once; a chat that went on without choosing is not
    asked again (``/language`` is there), it reads the default language."""

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> SubscriberSettings:
        """Read stored settings, ignoring malformed values (the JSON predates validation)."""
        raw = raw or {}
        delivery: Delivery = "digest" if raw.get("delivery") == "digest" else "instant"
        boards = raw.get("boards")
        language = raw.get("language")
        return cls(
            language=language if language in LANGUAGE_CODES else None,
            language_offered=raw.get("language_offered") is True,
            topic_alerts=raw.get("topic_alerts", True) is not False,
            promotions=raw.get("promotions", True) is not False,
            delivery=delivery,
            boards=tuple(
                sorted({int(b) for b in boards if isinstance(b, int) and not isinstance(b, bool)})
            )
            if isinstance(boards, list)
            else (),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the JSON stored in ``subscribers.settings``."""
        return {
            "topic_alerts": self.topic_alerts,
            "promotions": self.promotions,
            "delivery": self.delivery,
            "boards": list(self.boards),
            **({"language": self.language} if self.language is not None else {}),
            **({"language_offered": True} if self.language_offered else {}),
        }

    def wants_board(self, board_id: int | None) -> bool:
        """Return whether a topic on ``board_id`` passes this subscriber's board filter."""
        return not self.boards or board_id in self.boards

    @property
    def wants_instant_alerts(self) -> bool:
        """Return whether each topic should reach this subscriber as it comes."""
        return self.topic_alerts and self.delivery == "instant"

    @property
    def wants_digest(self) -> bool:
        """Return whether this subscriber chose one daily digest instead of instant alerts."""
        return self.topic_alerts and self.delivery == "digest"


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One chat on one channel and what it agreed to receive."""

    id: int
    channel: ChannelName
    chat_id: ChatId
    chat_kind: ChatKind = ChatKind.PRIVATE
    display_name: str | None = None
    active: bool = False
    inactive_reason: str | None = None
    opted_out_at: datetime | None = None
    opt_in_at: datetime | None = None
    opt_in_source: str | None = None
    last_inbound_at: datetime | None = None
    settings: SubscriberSettings = field(default_factory=SubscriberSettings)

    @property
    def recipient(self) -> Recipient:
        """Return where messages to this subscriber go."""
        return Recipient(self.channel, self.chat_id, self.chat_kind)

    @property
    def opted_out(self) -> bool:
        """Return whether the person said STOP and has not opted in again."""
        return self.opted_out_at is not None
