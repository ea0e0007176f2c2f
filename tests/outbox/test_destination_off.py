"""A channel where the bot may not post is switched off at the first refusal, and told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram.adapter import TelegramChannel
from bot.core.channel import ChannelRegistry
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, InboundMessage, Recipient, text_message
from bot.core.rates import RatePolicy
from bot.domain.destinations import DestinationSpec
from bot.domain.outbox import NewOutboxItem
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.settings import WorkerSettings
from bot.outbox.worker import OutboxWorker
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.problems import ProblemRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from tests.e2e.conftest import eventually
from tests.fakes.telegram_api import FakeTelegramApi, RateLimits

TOKEN = "123456:TEST-rights-token"
CHANNEL = -1001777


async def _ignore(message: InboundMessage) -> None:
    """Drop inbound updates; this test only sends."""


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API with a channel the bot is in but may not post to."""
    async with FakeTelegramApi.running(TOKEN, limits=RateLimits(enabled=False)) as fake:
        fake.add_group(CHANNEL, "Attaqwaa Travel", kind="channel")
        fake.revoke_posting(CHANNEL)
        yield fake


async def test_the_first_refusal_switches_the_channel_off_and_skips_the_rest(
    db: Database, server: FakeTelegramApi
) -> None:
    """One refused request: the destination is off, its other rows skipped, a problem stored."""
    [dest] = await DestinationRepo(db).sync_from_config(
        [DestinationSpec("telegram", str(CHANNEL), "channel", name="Attaqwaa Travel")]
    )
    recipient = Recipient(ChannelName("telegram"), ChatId(str(CHANNEL)), ChatKind.CHANNEL)
    outbox = OutboxRepo(db)
    await outbox.enqueue(
        [
            NewOutboxItem(f"t{n}", text_message(recipient, f"topic {n}"), destination_id=dest.id)
            for n in range(3)
        ]
    )
    registry = ChannelRegistry()
    registry.add(TelegramChannel(TOKEN, _ignore, base_url=server.base_url))
    await registry.start_all()
    worker = OutboxWorker(
        outbox,
        RecipientStateRepo(db),
        registry,
        {"telegram": RateLimiter(RatePolicy(global_per_second=29.7, global_burst=15))},
        worker_id="rights-test",
        settings=WorkerSettings(poll_interval=0.05),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))

    async def settled() -> bool:
        depth = await outbox.depth_by_status()
        return depth.get("pending", 0) == 0 and depth.get("sending", 0) == 0

    try:
        await eventually(settled, 10, "every row settled")
    finally:
        stop.set()
        await task
        await registry.stop_all()

    assert [r.description for r in server.rejected] == [
        "Bad Request: need administrator rights in the channel chat"
    ]
    [after] = await DestinationRepo(db).all()
    assert (after.state, after.error_key) == ("off", "cannot_post")
    depth = {k: v for k, v in (await outbox.depth_by_status()).items() if v}
    assert depth == {"failed": 1, "skipped": 2}
    [problem] = await ProblemRepo(db).unalerted()
    assert (problem.kind, problem.error_key, problem.destination_id) == (
        "deactivated",
        "cannot_post",
        dest.id,
    )
