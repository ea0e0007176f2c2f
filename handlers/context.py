"""What a handler may use: repositories, the outbox, the clock and the service's status."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.channel import ChannelRegistry
from bot.core.clock import Clock
from bot.core.commands import CommandRegistry
from bot.core.ids import ChannelName
from bot.core.messages import ChatKind, Choice, InboundMessage, Span, text_message
from bot.core.status import StatusProvider, StatusSnapshot
from bot.storage.repositories.dialogs import DialogRepo
from bot.storage.repositories.inbound import InboundDedupRepo
from bot.storage.repositories.outbox import NewOutboxItem, OutboxRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.rules import RuleRepo
from bot.storage.repositories.state import StateRepo
from bot.storage.repositories.subscribers import SubscriberRepo

if TYPE_CHECKING:
    from bot.storage.repositories.destinations import DestinationRepo
    from bot.storage.repositories.topics import TopicRepo


logger = logging.getLogger(__name__)

__all__ = ["AdminPolicy", "HandlerContext", "StatusProvider", "StatusSnapshot"]

CHOICES_TTL = timedelta(hours=24)
"""How long numbered options offered in a chat can still be picked by replying a number."""


def offered_choices_key(channel: str, chat_id: str) -> str:
    """Return the state key under which a chat's numbered options are kept."""
    return f"choices:{channel}:{chat_id}"


@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """The allowlist of admins per channel (Telegram user ids, WhatsApp numbers)."""

    by_channel: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def is_admin(self, channel: ChannelName | str, user_id: str) -> bool:
        """Return whether ``user_id`` on ``channel`` is an admin."""
        return user_id in self.by_channel.get(str(channel), frozenset())


@dataclass(slots=True)
class HandlerContext:
    """Dependencies of every handler; built once in ``bot.app``."""

    outbox: OutboxRepo
    subscribers: SubscriberRepo
    destinations: DestinationRepo
    topics: TopicRepo
    dialogs: DialogRepo
    inbound: InboundDedupRepo
    state: StateRepo
    recipients: RecipientStateRepo
    rules: RuleRepo
    clock: Clock
    tz: ZoneInfo
    admins: AdminPolicy
    commands: CommandRegistry[HandlerContext]
    status: StatusProvider
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    """The running channels, for capability checks (buttons, edits, group admins)."""
    bot_name: str = "Minbar"
    on_enqueued: Callable[[], Awaitable[None]] | None = None
    """Wakes the outbox worker so a reply does not wait for the next poll."""

    async def enqueue(self, items: Sequence[NewOutboxItem]) -> int:
        """Queue outbox rows and wake the worker when any is new; return how many were new."""
        queued = await self.outbox.enqueue(items) if items else 0
        if queued:
            await self.wake()
        return queued

    async def wake(self) -> None:
        """Wake the outbox worker so new rows do not wait for its next poll."""
        if self.on_enqueued is not None:
            await self.on_enqueued()

    def has_buttons(self, channel: str) -> bool:
        """Return whether ``channel`` shows choices as buttons (else as numbered options)."""
        adapter = self.channels.get(channel)
        if adapter is None:
            # Not running here (tests, a channel switched off): WhatsApp never has buttons.
            return channel != "whatsapp"
        return bool(getattr(adapter, "supports_buttons", True))

    async def refuse(self, message: InboundMessage, text: str) -> None:
        """Say no in a private chat; in a group only log it (anyone could flood the group)."""
        if message.chat_kind is ChatKind.PRIVATE:
            await self.reply(message, text)
        else:
            logger.info(
                "Refused %s:%s in %s silently: %s",
                message.channel,
                message.sender_id,
                message.chat_id,
                text,
            )

    async def reply(
        self,
        message: InboundMessage,
        spans: Iterable[Span] | str,
        *,
        choices: Iterable[Choice] = (),
        part: int = 0,
    ) -> None:
        """Queue an answer to ``message`` in the same chat (idempotent per inbound message)."""
        ref = message.message_ref or f"anon:{uuid.uuid4().hex}"
        out = text_message(message.reply_to, spans, choices=choices, kind="reply")
        await self.enqueue([NewOutboxItem(f"reply:{ref}:{part}", out)])
        offered = [c for c in out.choices if c.data is not None]
        if offered and not self.has_buttons(message.channel):
            # The platform shows numbered options: remember them so "2" can pick one.
            await self.state.put(
                offered_choices_key(message.channel, message.chat_id),
                {
                    "choices": [{"label": c.label, "data": c.data} for c in offered],
                    "until": (self.clock.now() + CHOICES_TTL).isoformat(),
                },
            )
