"""Shared outbox test fixtures: a migrated database, controllable time, a scripted channel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.core.channel import Capabilities, ChannelRegistry
from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import (
    ChatKind,
    DeliveryResult,
    OutboundMessage,
    Recipient,
    text_message,
)
from bot.domain.outbox import NewOutboxItem
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from tests.dbfixtures import db, db_twin

__all__ = ["db", "db_twin"]  # every worker test runs on SQLite and on PostgreSQL

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeTime:
    """Wall clock and monotonic clock that move together, only when told to."""

    def __init__(self) -> None:
        self.clock = FrozenClock(START)
        self.mono = 5000.0
        self._sleepers: list[float] = []

    def monotonic(self) -> float:
        """Return the fake monotonic time."""
        return self.mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        self.clock.advance(seconds)
        self.mono += seconds

    async def sleep(self, seconds: float) -> None:
        """Sleep in virtual time: the earliest sleeper moves time to its wake-up, so
        concurrent sleepers overlap as they would in real time."""
        target = self.mono + seconds
        self._sleepers.append(target)
        try:
            while self.mono < target:
                seen = self.mono
                # Let every runnable task (woken sleepers included) finish its step first,
                # and start over whenever another sleeper moved time meanwhile.
                for _ in range(20):
                    await asyncio.sleep(0)
                if self.mono == seen < target and target <= min(self._sleepers):
                    self.advance(target - self.mono)
        finally:
            self._sleepers.remove(target)


Reaction = BaseException | DeliveryResult | Callable[[OutboundMessage], object]


@dataclass
class ScriptedChannel:
    """A channel that records sends and answers from a per-chat script (default: sent)."""

    channel_name: str = "tg"
    script: dict[str, list[Reaction]] = field(default_factory=dict)
    sent: list[OutboundMessage] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    capabilities: Capabilities = field(default_factory=Capabilities)

    @property
    def name(self) -> ChannelName:
        """Return the registry name."""
        return ChannelName(self.channel_name)

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Answer with the next scripted reaction for the chat, or succeed."""
        chat = message.recipient.chat_id
        self.attempts.append(chat)
        queue = self.script.get(chat)
        reaction: Reaction | None = queue.pop(0) if queue else None
        if callable(reaction) and not isinstance(reaction, BaseException):
            result = reaction(message)
            if asyncio.iscoroutine(result):
                result = await result
            reaction = None
        if isinstance(reaction, BaseException):
            raise reaction
        self.sent.append(message)
        if isinstance(reaction, DeliveryResult):
            return reaction
        return DeliveryResult(provider_message_id=f"p{len(self.sent)}")


def message_to(
    chat: str, *, kind: ChatKind = ChatKind.PRIVATE, channel: str = "tg"
) -> OutboundMessage:
    """Build a small message for one chat."""
    return text_message(Recipient(ChannelName(channel), ChatId(chat), kind), f"hello {chat}")


def item(key: str, chat: str, **kwargs: object) -> NewOutboxItem:
    """Build an outbox item for one chat."""
    kind = kwargs.pop("kind", ChatKind.PRIVATE)
    return NewOutboxItem(key, message_to(chat, kind=kind), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def fake_time() -> FakeTime:
    """Return controllable time."""
    return FakeTime()


@pytest.fixture
def repo(db: Database, fake_time: FakeTime) -> OutboxRepo:
    """Return the real outbox repository on the test database."""
    return OutboxRepo(db, fake_time.clock)


@pytest.fixture
def recipients(db: Database, fake_time: FakeTime) -> RecipientStateRepo:
    """Return the real recipient-state repository on the test database."""
    return RecipientStateRepo(db, fake_time.clock)


@pytest.fixture
async def channel() -> ScriptedChannel:
    """Return a scripted channel named "tg"."""
    return ScriptedChannel()


@pytest.fixture
async def registry(channel: ScriptedChannel) -> ChannelRegistry:
    """Return a registry with the scripted channel started."""
    reg = ChannelRegistry()
    reg.add(channel)
    await reg.start_all()
    return reg
