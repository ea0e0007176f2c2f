"""The Channel protocol every platform adapter implements, and the registry of adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Protocol, runtime_checkable

from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, InboundMessage, OutboundMessage

InboundHandler = Callable[[InboundMessage], Awaitable[None]]
"""What an adapter calls for every message it receives."""


@runtime_checkable
class Channel(Protocol):
    """A platform adapter: it translates in both directions and decides nothing."""

    @property
    def name(self) -> ChannelName:
        """Return the registry name ("telegram", "whatsapp", "console")."""
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
class SupportsButtons(Protocol):
    """Capability: the platform shows ``Choice`` as tappable buttons, not numbered text."""

    supports_buttons: bool


@runtime_checkable
class SupportsEdits(Protocol):
    """Capability: ``OutboundMessage.edit_of`` replaces an earlier message instead of sending."""

    supports_edits: bool


@runtime_checkable
class SupportsChatAdmins(Protocol):
    """Capability: the platform can tell who administers a group."""

    async def is_chat_admin(self, chat_id: str, user_id: str) -> bool:
        """Return whether ``user_id`` administers the group ``chat_id``."""
        ...


@runtime_checkable
class SupportsCommandMenu(Protocol):
    """Capability: the platform can publish the command list (Telegram's ``setMyCommands``)."""

    async def publish_commands(self, commands: Mapping[str, str]) -> None:
        """Publish ``name -> description`` as the platform's command menu."""
        ...


class ChannelRegistry:
    """The started channels of this process, looked up by name."""

    def __init__(self, channels: Mapping[ChannelName, Channel] | None = None) -> None:
        self._channels: dict[ChannelName, Channel] = dict(channels or {})
        self._started: set[ChannelName] = set()

    def add(self, channel: Channel) -> None:
        """Register a channel under its own name."""
        if channel.name in self._channels:
            raise ValueError(f"channel {channel.name!r} is registered twice")
        self._channels[channel.name] = channel

    def get(self, name: str) -> Channel | None:
        """Return the channel called ``name``, or None."""
        return self._channels.get(ChannelName(name))

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
