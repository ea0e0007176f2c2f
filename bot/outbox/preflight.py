"""Last checks before a send: opt-outs and session windows (WhatsApp's 24 hours).

A platform that only accepts free-form messages inside a window after the person's last message
(WhatsApp) gets, outside it, the pre-approved template configured for the message's kind, or no
message at all: a free-form send there would only fail later (Twilio 63016).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from bot.core.clock import Clock, SystemClock
from bot.core.messages import OutboundMessage
from bot.domain.subscribers import Subscriber

REPLY_KINDS = frozenset({"reply"})
"""Kinds that answer the person's own message: allowed after an opt-out, inside the window."""


@dataclass(frozen=True, slots=True)
class Skip:
    """Do not send; record this reason on the row."""

    reason: str


class SubscriberLookup(Protocol):
    """Finds what we know of a chat (SubscriberRepo fits)."""

    async def get(self, channel: str, chat_id: str) -> Subscriber | None:
        """Return what is known of the chat, if anything."""
        ...


class DeliveryPreflight:
    """Decide, per message, whether it goes out as is, as a template, or not at all."""

    def __init__(
        self,
        subscribers: SubscriberLookup,
        *,
        windows: Mapping[str, timedelta],
        templates: Mapping[str, frozenset[str]],
        clock: Clock | None = None,
    ) -> None:
        self._subscribers = subscribers
        self._windows = dict(windows)
        self._templates = {channel: frozenset(kinds) for channel, kinds in templates.items()}
        self._clock = clock or SystemClock()

    def applies_to(self, channel: str) -> bool:
        """Return whether messages on ``channel`` need a check (others skip the lookup)."""
        return channel in self._windows

    async def check(self, message: OutboundMessage) -> OutboundMessage | Skip:
        """Return the message to send (maybe as a template) or why it must not be sent."""
        recipient = message.recipient
        window = self._windows.get(recipient.channel)
        if window is None:
            return message
        subscriber = await self._subscribers.get(recipient.channel, recipient.chat_id)
        if message.kind in REPLY_KINDS:
            return message
        if subscriber is not None and subscriber.opted_out_at is not None:
            return Skip("opted_out")
        last = subscriber.last_inbound_at if subscriber is not None else None
        if last is not None and self._clock.now() - last < window:
            return message
        if message.kind in self._templates.get(recipient.channel, frozenset()):
            return replace(message, use_template=True)
        return Skip("outside_window")
