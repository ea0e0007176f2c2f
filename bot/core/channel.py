"""The Channel protocol every platform adapter implements, its capabilities, and the registry."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, InboundMessage, OutboundMessage
from bot.core.reports import DeliveryReport

InboundHandler = Callable[[InboundMessage], Awaitable[None]]
"""What an adapter calls for every message it receives.

In the service it stores the message durably and returns; an adapter acknowledges the
platform (answers the webhook, confirms the poll offset) only after it returned, and
must not acknowledge when it raised.
"""

ReportHandler = Callable[[DeliveryReport], Awaitable[None]]
"""What an adapter calls for every delivery report; stored before it returns, as above."""


@dataclass(frozen=True, slots=True)
class UnreadableInbound:
    """An update the platform's library could not parse: recorded, skipped, never retried."""

    channel: ChannelName
    provider_ref: str
    """The platform's id of it (``telegram:update:<update_id>``) so a redelivery is one row."""
    keys: tuple[str, ...]
    """Its top-level keys, which say what kind of update it was without storing its content."""
    error: str


UnreadableHandler = Callable[[UnreadableInbound], Awaitable[None]]
"""What an adapter calls for an update it cannot read, before it skips past it."""


@dataclass(frozen=True, slots=True)
class IntakeHealth:
    """Whether a channel's inbound traffic reaches us, as far as the platform tells."""

    ok: bool
    detail: str
    """One line for admins: why it is stale, or how fresh it is."""
    last_received_at: datetime | None = None
    """Polling: when the platform last answered a poll."""
    pending: int | None = None
    """Webhook: updates the platform holds for us, undelivered."""


@runtime_checkable
class ReportsIntakeHealth(Protocol):
    """A channel that can say whether its intake works (checked periodically)."""

    async def intake_health(self, now: datetime) -> IntakeHealth:
        """Return the intake's health at ``now`` (may ask the platform)."""
        ...


async def log_unreadable(unreadable: UnreadableInbound) -> None:
    """Log an unreadable update (the default where no inbox records it, e.g. in a test)."""
    logging.getLogger(__name__).warning(
        "Skipped unreadable %s: %s", unreadable.provider_ref, unreadable.error
    )


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform can show and what it demands; features ask these, never its name."""

    buttons: bool = True
    """Choices appear as tappable buttons; without them they are numbered and typed back."""
    edits: bool = False
    """``OutboundMessage.edit_of`` replaces an earlier message instead of sending a new one."""
    max_text: int = 4096
    """Characters of text one message may carry."""
    session_window: timedelta | None = None
    """Free-form messages are accepted only this long after the person's last message."""
    templates: frozenset[str] = frozenset()
    """Message kinds with a pre-approved template, the only thing sent outside the window."""
    keywords: bool = False
    """People talk in words (JOIN, STOP, BOARDS), not slash commands; opt-out words are law."""
    contact_request: bool = False
    """The platform can ask for the person's own phone number with a button."""


DEFAULT_CAPABILITIES = Capabilities()


@runtime_checkable
class Channel(Protocol):
    """A platform adapter: it translates in both directions and decides nothing."""

    @property
    def name(self) -> ChannelName:
        """Return the registry name ("telegram", "whatsapp", "console")."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Return what this platform can show and demands."""
        ...

    async def start(self) -> None:
        """Connect and begin delivering inbound messages."""
        ...

    async def stop(self) -> None:
        """Stop receiving and release connections."""
        ...

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Send one message; raise a ``ChannelError`` subclass when it fails."""
        ...


@runtime_checkable
class SupportsChatAdmins(Protocol):
    """Capability: the platform can tell who administers a group."""

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        """Return whether ``user_id`` administers the group ``chat_id``."""
        ...


@runtime_checkable
class SupportsCommandMenu(Protocol):
    """Capability: the platform can publish the command list (Telegram's ``setMyCommands``)."""

    async def publish_commands(
        self,
        commands: Mapping[str, str],
        *,
        language: str | None = None,
        chat_id: str | None = None,
    ) -> None:
        """Publish ``name -> description`` as the platform's command menu.

        With ``language``: the menu of people whose app speaks it; with ``chat_id``: the menu
        of that one chat (an admin's, or a person who chose a language), whatever their app.
        """
        ...


@dataclass(slots=True)
class ChannelRegistry:
    """The channels of this process, looked up by name, with every platform's capabilities.

    ``declared`` holds the capabilities of every configured platform, running here or not,
    so a feature can render for a WhatsApp subscriber even in a process without WhatsApp.
    """

    declared: Mapping[str, Capabilities] = field(default_factory=dict)
    _channels: dict[ChannelName, Channel] = field(default_factory=dict)
    _started: set[ChannelName] = field(default_factory=set)

    def add(self, channel: Channel) -> None:
        """Register a channel under its own name."""
        if channel.name in self._channels:
            raise ValueError(f"channel {channel.name!r} is registered twice")
        self._channels[channel.name] = channel

    def get(self, name: str) -> Channel | None:
        """Return the channel called ``name``, or None."""
        return self._channels.get(ChannelName(name))

    def capabilities(self, name: str) -> Capabilities:
        """Return the capabilities of the platform ``name`` (running, declared, or defaults)."""
        channel = self._channels.get(ChannelName(name))
        if channel is not None:
            return channel.capabilities
        return self.declared.get(name, DEFAULT_CAPABILITIES)

    def __iter__(self) -> Iterator[Channel]:
        return iter(list(self._channels.values()))

    def __len__(self) -> int:
        return len(self._channels)

    def names(self) -> list[ChannelName]:
        """Return the registered names in registration order."""
        return list(self._channels)

    async def start_all(self) -> None:
        """Start every channel, in registration order."""
        for channel in self:
            await self.start_one(channel)

    async def start_one(self, channel: Channel) -> None:
        """Start one registered channel and mark it started (a failure leaves it stopped)."""
        await channel.start()
        self._started.add(channel.name)

    async def stop_all(self) -> None:
        """Stop every started channel, in reverse order, even if one fails."""
        errors: list[BaseException] = []
        for channel in reversed(list(self)):
            if channel.name not in self._started:
                continue
            try:
                await channel.stop()
            except Exception as exc:
                errors.append(exc)
            self._started.discard(channel.name)
        if errors:
            raise errors[0]

    def is_started(self, name: str) -> bool:
        """Return whether the channel called ``name`` has started."""
        return ChannelName(name) in self._started
