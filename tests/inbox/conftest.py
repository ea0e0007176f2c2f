"""Shared inbox test fixtures: databases, a frozen clock, a stand-in dispatcher and receipts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import InboundMessage
from bot.core.reports import DeliveryReport
from bot.inbox.worker import InboxSettings, InboxWorker
from bot.storage.db import Database
from bot.storage.repositories.inbox import InboxRepo
from tests.dbfixtures import db, memory_db

__all__ = [
    "SEED",
    "WORKER_LOG",
    "Dispatcher",
    "Receipts",
    "WorkerFactory",
    "clock",
    "db",
    "memory_db",
    "msg",
]

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SEED = 7
WORKER_LOG = "bot.inbox.worker"


def msg(ref: str, chat: str = "a") -> InboundMessage:
    """Return a WhatsApp text from ``chat`` whose text is its ref."""
    return InboundMessage(
        channel=ChannelName("whatsapp"),
        chat_id=ChatId(chat),
        sender_id=UserId(chat),
        text=ref,
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        message_ref=ref,
    )


class Dispatcher:
    """The dispatcher's stand-in: logs when each message starts and ends, fails when told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.failures: dict[str, list[Exception]] = {}
        self.gates: dict[str, asyncio.Event] = {}
        self.effect: Callable[[InboundMessage], Any] | None = None

    async def __call__(self, message: InboundMessage) -> None:
        self.events.append(("start", message.text))
        if message.text in self.gates:
            await self.gates[message.text].wait()
        if self.failures.get(message.text):
            raise self.failures[message.text].pop(0)
        if self.effect is not None:
            await self.effect(message)
        self.events.append(("end", message.text))

    def handled(self, chat: str | None = None) -> list[str]:
        """Return the refs handled to the end, in order (of one chat's, when given)."""
        ends = [ref for what, ref in self.events if what == "end"]
        return [ref for ref in ends if chat is None or ref.startswith(chat)]


class Receipts:
    """DeliveryReceipts' stand-in: applies reports for the provider ids it knows."""

    def __init__(self) -> None:
        self.known: set[str] = set()
        self.batches: list[list[DeliveryReport]] = []
        self.failures: list[Exception] = []

    async def apply_batch(self, reports: Sequence[DeliveryReport]) -> set[str]:
        if self.failures:
            raise self.failures.pop(0)
        self.batches.append(list(reports))
        return {r.provider_id for r in reports} - self.known


@pytest.fixture
def repo(memory_db: Database, clock: FrozenClock) -> InboxRepo:
    """Return the inbox repository on a migrated in-memory database."""
    return InboxRepo(memory_db, clock)


@pytest.fixture
def dispatcher() -> Dispatcher:
    """Return a dispatcher that handles everything."""
    return Dispatcher()


@pytest.fixture
def receipts() -> Receipts:
    """Return receipts that know no provider id yet."""
    return Receipts()


WorkerFactory = Callable[..., InboxWorker]


@pytest.fixture
def make_worker(
    repo: InboxRepo, dispatcher: Dispatcher, receipts: Receipts, clock: FrozenClock
) -> WorkerFactory:
    """Return a factory of workers on the test repo with settings overridden as asked."""

    def build(store: InboxRepo | None = None, **settings: Any) -> InboxWorker:
        options = {"backoff_base": 10.0, "backoff_max": 10.0, "report_wait": 1.0, **settings}
        return InboxWorker(
            store or repo,
            dispatcher,
            receipts,
            settings=InboxSettings(**options),
            clock=clock,
            rng=random.Random(SEED),
        )

    return build


@pytest.fixture
def clock() -> FrozenClock:
    """Return a clock frozen at 2026-03-01 09:00 UTC that moves only when told."""
    return FrozenClock(START)
