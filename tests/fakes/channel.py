"""FakeChannel: an in-memory platform with declared capabilities, for feature and wiring tests.

It records what it sent, answers from a per-chat script (an exception to raise, a result, or
a function of the message) and knows who administers which group, so features are tested
against the Channel protocol exactly as a real adapter presents it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.channels.telegram.platform import TELEGRAM_CAPABILITIES
from bot.channels.whatsapp.platform import WHATSAPP_CAPABILITIES
from bot.core.channel import Capabilities
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, OutboundMessage

Reaction = BaseException | DeliveryResult | Callable[[OutboundMessage], object]


@dataclass
class FakeChannel:
    """A channel that records sends, follows a script per chat, and knows its chat admins."""

    channel_name: str = "telegram"
    capabilities: Capabilities = TELEGRAM_CAPABILITIES
    script: dict[str, list[Reaction]] = field(default_factory=dict)
    chat_admins: dict[str, set[str]] = field(default_factory=dict)
    sent: list[OutboundMessage] = field(default_factory=list)
    started: bool = False

    @property
    def name(self) -> ChannelName:
        """Return the registry name."""
        return ChannelName(self.channel_name)

    async def start(self) -> None:
        """Mark the channel started."""
        self.started = True

    async def stop(self) -> None:
        """Mark the channel stopped."""
        self.started = False

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Answer with the next scripted reaction for the chat, or succeed."""
        queue = self.script.get(message.recipient.chat_id)
        reaction: Reaction | None = queue.pop(0) if queue else None
        if callable(reaction) and not isinstance(reaction, BaseException):
            result = reaction(message)
            if asyncio.iscoroutine(result):
                await result
            reaction = None
        if isinstance(reaction, BaseException):
            raise reaction
        self.sent.append(message)
        if isinstance(reaction, DeliveryResult):
            return reaction
        return DeliveryResult(provider_message_id=f"{self.channel_name}-{len(self.sent)}")

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        """Return whether ``user_id`` administers the group ``chat_id``."""
        return user_id in self.chat_admins.get(chat_id, set())


def telegram_like(**kwargs: object) -> FakeChannel:
    """Return a fake with Telegram's declared capabilities (buttons, edits)."""
    return FakeChannel("telegram", TELEGRAM_CAPABILITIES, **kwargs)  # type: ignore[arg-type]


def whatsapp_like(**kwargs: object) -> FakeChannel:
    """Return a fake with WhatsApp's declared capabilities (numbers, a 24-hour window)."""
    return FakeChannel("whatsapp", WHATSAPP_CAPABILITIES, **kwargs)  # type: ignore[arg-type]
