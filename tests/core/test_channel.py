"""Capabilities and the channel registry: what features ask instead of a platform's name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.channel import (
    DEFAULT_CAPABILITIES,
    Capabilities,
    Channel,
    ChannelRegistry,
    SupportsChatAdmins,
)
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, OutboundMessage

WORDS = Capabilities(buttons=False, keywords=True, session_window=timedelta(hours=24))


class Recorder:
    """A channel that records starts and stops in a shared log, and can fail to stop."""

    def __init__(self, name: str, log: list[str], *, fail_stop: bool = False) -> None:
        self._name = ChannelName(name)
        self.capabilities = WORDS if name == "words" else Capabilities(edits=True)
        self.log = log
        self.fail_stop = fail_stop

    @property
    def name(self) -> ChannelName:
        """Return the registry name."""
        return self._name

    async def start(self) -> None:
        """Record the start."""
        self.log.append(f"start {self._name}")

    async def stop(self) -> None:
        """Record the stop, then fail if told to."""
        self.log.append(f"stop {self._name}")
        if self.fail_stop:
            raise RuntimeError(f"{self._name} would not stop")

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Accept everything."""
        return DeliveryResult()


def test_default_capabilities_are_a_plain_button_platform() -> None:
    """Without a declaration a platform has buttons and nothing else: no edits, no keywords."""
    assert Capabilities() == DEFAULT_CAPABILITIES
    assert (
        DEFAULT_CAPABILITIES.buttons,
        DEFAULT_CAPABILITIES.edits,
        DEFAULT_CAPABILITIES.keywords,
        DEFAULT_CAPABILITIES.contact_request,
        DEFAULT_CAPABILITIES.session_window,
        DEFAULT_CAPABILITIES.templates,
        DEFAULT_CAPABILITIES.max_text,
    ) == (True, False, False, False, None, frozenset(), 4096)


def test_capabilities_come_from_the_running_channel_then_the_declaration() -> None:
    """A running channel answers for itself; a declared one answers without running here."""
    registry = ChannelRegistry(declared={"words": WORDS, "telegram": Capabilities(edits=False)})
    registry.add(Recorder("telegram", []))
    assert registry.capabilities("telegram").edits is True  # the running channel wins
    assert registry.capabilities("words") == WORDS  # declared, not running in this process
    assert registry.capabilities("unknown") == DEFAULT_CAPABILITIES


def test_a_channel_name_registered_twice_is_refused() -> None:
    """Two channels under one name fail at start."""
    registry = ChannelRegistry()
    registry.add(Recorder("telegram", []))
    with pytest.raises(ValueError, match="channel 'telegram' is registered twice"):
        registry.add(Recorder("telegram", []))


def test_the_registry_lists_channels_in_registration_order() -> None:
    """Names, iteration, length and lookup follow the order channels were added."""
    registry = ChannelRegistry()
    first, second = Recorder("telegram", []), Recorder("words", [])
    registry.add(first)
    registry.add(second)
    assert registry.names() == ["telegram", "words"]
    assert list(registry) == [first, second]
    assert len(registry) == 2
    assert registry.get("words") is second
    assert registry.get("signal") is None


async def test_channels_start_in_order_and_stop_in_reverse() -> None:
    """start_all starts each in order; stop_all stops the started ones last-first."""
    log: list[str] = []
    registry = ChannelRegistry()
    for name in ("telegram", "words"):
        registry.add(Recorder(name, log))
    await registry.start_all()
    assert registry.is_started("telegram")
    assert registry.is_started("words")
    await registry.stop_all()
    assert log == ["start telegram", "start words", "stop words", "stop telegram"]
    assert not registry.is_started("telegram")


async def test_one_failing_stop_does_not_keep_the_others_running() -> None:
    """A channel that fails to stop is reported after every other channel was stopped."""
    log: list[str] = []
    registry = ChannelRegistry()
    registry.add(Recorder("telegram", log))
    registry.add(Recorder("words", log, fail_stop=True))
    await registry.start_all()
    with pytest.raises(RuntimeError, match="words would not stop"):
        await registry.stop_all()
    assert log[-2:] == ["stop words", "stop telegram"]
    await registry.stop_all()  # nothing started is left: a second stop does nothing
    assert log[-2:] == ["stop words", "stop telegram"]


def test_the_protocols_check_what_a_channel_offers() -> None:
    """A plain channel is a ``Channel`` but not ``SupportsChatAdmins``."""
    channel = Recorder("telegram", [])
    assert isinstance(channel, Channel)
    assert not isinstance(channel, SupportsChatAdmins)
