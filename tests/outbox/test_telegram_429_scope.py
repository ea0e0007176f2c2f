"""A Telegram 429 holds its own scope: the one chat whose pace explains it, otherwise the bot.

The real worker, the real PTB client and the fake Bot API server, in real time: the fake
refuses every chat inside a bot-wide ``retry_after`` and counts a send made there (beyond the
requests already in flight when the 429 left) as a violation.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram.adapter import TelegramChannel
from bot.core.channel import ChannelRegistry
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, InboundMessage, Recipient, text_message
from bot.core.rates import RatePolicy
from bot.domain.outbox import NewOutboxItem
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.settings import WorkerSettings
from bot.outbox.worker import OutboxWorker
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from tests.e2e.conftest import eventually
from tests.fakes.telegram_api import FakeTelegramApi, RateLimits

TOKEN = "123456:TEST-scope-token"
USERS = range(1001, 1041)
# config.toml's defaults, just below Telegram's published limits.
POLICY = RatePolicy(
    global_per_second=29.7,
    global_burst=15,
    per_chat_per_second=0.99,
    per_chat_burst=1,
    per_group_per_minute=19.8,
    per_group_burst=1,
)


async def _ignore(message: InboundMessage) -> None:
    """Drop inbound updates; these tests only send."""


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API with Telegram's limits and 40 users who started the bot."""
    async with FakeTelegramApi.running(TOKEN, limits=RateLimits()) as fake:
        for user in USERS:
            fake.add_private_chat(user)
        yield fake


@pytest.fixture
async def registry(server: FakeTelegramApi) -> AsyncIterator[ChannelRegistry]:
    """A started Telegram channel on PTB's real HTTP client, pointed at the fake."""
    registry = ChannelRegistry()
    registry.add(TelegramChannel(TOKEN, _ignore, base_url=server.base_url))
    await registry.start_all()
    yield registry
    await registry.stop_all()


def _item(key: str, chat: int) -> NewOutboxItem:
    recipient = Recipient(ChannelName("telegram"), ChatId(str(chat)), ChatKind.PRIVATE)
    return NewOutboxItem(key, text_message(recipient, f"salam {key}"))


async def _run_until_sent(
    worker: OutboxWorker, server: FakeTelegramApi, count: int, *, impose_after: int | None
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        if impose_after is not None:
            await eventually(lambda: len(server.sent) >= impose_after, 10, "the first sends")
            server.flood.impose_bot_wide(2)
        await eventually(lambda: len(server.sent) >= count, 20, "every send")
    finally:
        stop.set()
        await task


def _worker(db: Database, registry: ChannelRegistry, policy: RatePolicy) -> OutboxWorker:
    return OutboxWorker(
        OutboxRepo(db),
        RecipientStateRepo(db),
        registry,
        {"telegram": RateLimiter(policy)},
        worker_id="scope-test",
        settings=WorkerSettings(concurrency=4, poll_interval=0.05),
    )


async def test_a_bot_wide_429_pauses_every_chat_for_its_retry_after(
    db: Database, registry: ChannelRegistry, server: FakeTelegramApi
) -> None:
    """After a 429 no pace explains, no chat is sent to until retry_after passed: 0 violations."""
    repo = OutboxRepo(db)
    await repo.enqueue([_item(f"m{user}", user) for user in USERS])
    await _run_until_sent(_worker(db, registry, POLICY), server, len(USERS), impose_after=10)

    assert server.count_429 >= 1
    assert server.violations == 0
    assert sorted(int(m.chat_id) for m in server.sent) == list(USERS)  # each once, none lost
    times = [m.time for m in server.sent]
    assert max(b - a for a, b in itertools.pairwise(times)) >= 2.0


async def test_a_429_the_chats_own_pace_explains_holds_only_that_chat(
    db: Database, registry: ChannelRegistry, server: FakeTelegramApi
) -> None:
    """A chat sent to faster than 1/s is held alone; other chats are sent to while it waits."""
    busy = USERS[0]
    # A per-chat pace of 3/s on our side, so the busy chat soon trips Telegram's own 1/s.
    loose = RatePolicy(
        global_per_second=29.7, global_burst=15, per_chat_per_second=3.0, per_chat_burst=3
    )
    repo = OutboxRepo(db)
    await repo.enqueue([_item(f"busy{n}", busy) for n in range(6)])
    worker = _worker(db, registry, loose)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await eventually(lambda: server.rejected, 10, "the busy chat's 429")
        # The others are queued only now, so they can only go out inside its retry_after.
        await repo.enqueue([_item(f"m{user}", user) for user in USERS[1:]])
        worker.notify()
        await eventually(lambda: len(server.sent) >= 5 + len(USERS), 20, "every send")
    finally:
        stop.set()
        await task

    assert server.violations == 0
    assert {str(r.chat_id) for r in server.rejected} == {str(busy)}
    told = server.rejected[0].at
    busy_times = [m.time for m in server.sent if m.chat_id == busy]
    assert len(busy_times) == 6
    assert min(t for t in busy_times if t > told) - told >= 0.9  # its retry_after held
    others = [m.time for m in server.sent if m.chat_id != busy]
    assert sum(1 for t in others if told < t < told + 0.9) >= 10  # nobody else waited
