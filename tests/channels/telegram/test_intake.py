"""Telegram intake: each update is read on its own, stored, and only then acknowledged."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from telegram import Update
from telegram.error import NetworkError

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.intake import BACKOFF_CAP, TelegramBot, TelegramPoller, take_update
from bot.channels.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH
from bot.core.channel import UnreadableInbound
from tests.channels.telegram.helpers import TOKEN, USER, Inbox, chat, user
from tests.fakes.telegram_api import FakeTelegramApi

NO_DATE = {"message": {"message_id": 7, "chat": chat(), "from": user(), "text": "no date"}}
"""A ``message`` without its required ``date``: PTB cannot parse it."""


class Unreadables:
    """Collects what the channel records as unreadable."""

    def __init__(self) -> None:
        self.seen: list[UnreadableInbound] = []

    async def __call__(self, unreadable: UnreadableInbound) -> None:
        self.seen.append(unreadable)


async def test_one_unparseable_update_is_recorded_and_the_rest_of_its_batch_handled(
    server: FakeTelegramApi, inbox: Inbox
) -> None:
    """Polling: a bad update between two good ones is recorded; both good ones arrive in order."""
    unreadable = Unreadables()
    tg = TelegramChannel(TOKEN, inbox, base_url=server.base_url, on_unreadable=unreadable)
    server.push_message(USER, USER, "before")
    bad_id = server.push_raw(NO_DATE)
    server.push_message(USER, USER, "after")
    await tg.start()
    try:
        first, second = await inbox.next(), await inbox.next()
        server.push_message(USER, USER, "later")  # intake goes on: the offset moved past it
        third = await inbox.next()
    finally:
        await tg.stop()
    assert [first.text, second.text, third.text] == ["before", "after", "later"]
    [bad] = unreadable.seen
    assert bad.provider_ref == f"telegram:update:{bad_id}"
    assert bad.keys == ("message", "update_id")
    assert "date" in bad.error
    assert inbox.queue.empty()


async def test_an_update_is_acknowledged_only_after_it_was_stored(
    server: FakeTelegramApi,
) -> None:
    """A store that fails leaves the offset: the same update is fetched again and then stored."""
    stored: list[str] = []
    failures = 1

    async def flaky_store(update: Update) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise RuntimeError("database is locked")
        assert update.message is not None
        stored.append(update.message.text or "")

    bot = TelegramBot(TOKEN, base_url=server.base_url)
    await bot.initialize()
    poller = TelegramPoller(bot, flaky_store, Unreadables(), timeout=0)
    server.push_message(USER, USER, "hello")
    try:
        with pytest.raises(RuntimeError, match="locked"):
            await poller.poll_once()
        assert await poller.poll_once() == 1  # Telegram still had it: nothing was confirmed
        assert await poller.poll_once() == 0  # now confirmed
    finally:
        await bot.shutdown()
    assert stored == ["hello"]


async def test_a_webhook_answers_an_unparseable_update_200_after_recording_it(
    inbox: Inbox,
) -> None:
    """Webhook: the bad update is recorded and answered 200, so Telegram does not resend it."""
    unreadable = Unreadables()
    async with FakeTelegramApi.running(TOKEN) as fake:
        tg = TelegramChannel(
            TOKEN,
            inbox,
            base_url=fake.base_url,
            webhook_url="https://bot.example" + WEBHOOK_PATH,
            on_unreadable=unreadable,
        )
        await tg.start()
        app = Starlette(routes=list(tg.web_routes()))
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bot"
            ) as client:
                answer = await client.post(
                    WEBHOOK_PATH,
                    json={"update_id": 900, **NO_DATE},
                    headers={SECRET_HEADER: tg.webhook_secret},
                )
        finally:
            await tg.stop()
    assert answer.status_code == 200
    assert [u.provider_ref for u in unreadable.seen] == ["telegram:update:900"]
    assert inbox.queue.empty()


async def test_a_webhook_update_that_cannot_be_stored_is_not_acknowledged() -> None:
    """Webhook: when storing fails Telegram gets a 503, so it delivers the update again."""

    async def locked(message: object) -> None:
        raise RuntimeError("database is locked")

    async with FakeTelegramApi.running(TOKEN) as fake:
        tg = TelegramChannel(
            TOKEN, locked, base_url=fake.base_url, webhook_url="https://bot.example/wh"
        )
        await tg.start()
        app = Starlette(routes=list(tg.web_routes()))
        update = {
            "update_id": 901,
            "message": {"message_id": 1, "date": 1_750_000_000, "chat": chat(), "text": "hi"},
        }
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bot"
            ) as client:
                answer = await client.post(
                    WEBHOOK_PATH, json=update, headers={SECRET_HEADER: tg.webhook_secret}
                )
        finally:
            await tg.stop()
    assert answer.status_code == 503


class _DownBot:
    """A bot whose getUpdates always fails, as during an outage."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_raw_updates(self, **kwargs: Any) -> list[Any]:
        self.calls += 1
        raise NetworkError("connection refused")


async def test_polling_errors_back_off_exponentially_with_jitter_capped_at_30_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each failed poll waits longer (full jitter), never over 30 s, and is logged once."""
    pauses: list[float] = []
    stop = asyncio.Event()

    async def pause(delay: float, _stop: asyncio.Event) -> None:
        pauses.append(delay)
        if len(pauses) == 12:
            stop.set()

    bot = _DownBot()
    poller = TelegramPoller(
        bot,  # type: ignore[arg-type]
        Inbox(),  # type: ignore[arg-type]
        Unreadables(),
        rng=random.Random(7),
        pause=pause,
    )
    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram.intake"):
        await poller.run(stop)
    assert bot.calls == 12
    ceilings = [min(BACKOFF_CAP, 0.5 * 2**n) for n in range(12)]
    assert all(0 <= p <= c for p, c in zip(pauses, ceilings, strict=True))
    assert max(pauses) > 8  # it does grow: later ceilings are 16 s and 30 s
    assert poller.last_error is not None
    assert "connection refused" in poller.last_error
    polls = [r for r in caplog.records if "polling Telegram" in r.getMessage()]
    assert len(polls) == 1  # the same error within a minute is not repeated


async def test_polling_health_turns_stale_when_no_poll_is_answered(
    server: FakeTelegramApi, inbox: Inbox
) -> None:
    """Healthy while polls are answered; stale with the last error once none was for minutes."""
    tg = TelegramChannel(TOKEN, inbox, base_url=server.base_url)
    await tg.start()
    try:
        server.push_message(USER, USER, "hi")
        await inbox.next()  # a poll was answered
        now = datetime.now(UTC)
        fresh = await tg.intake_health(now)
        stale = await tg.intake_health(now + timedelta(minutes=5))
    finally:
        await tg.stop()
    assert fresh.ok
    assert fresh.last_received_at is not None
    assert not stale.ok
    assert stale.detail.startswith("no poll answered for 5 min")


async def test_webhook_health_reports_undelivered_updates_and_the_last_error(
    inbox: Inbox,
) -> None:
    """A webhook Telegram cannot reach: getWebhookInfo's pending count and error make it stale."""
    async with FakeTelegramApi.running(TOKEN) as fake:
        fake.add_private_chat(USER, "Amina")
        fake.webhook_backoff = 0.01
        # Nothing listens at this port: every delivery fails, as behind a broken proxy.
        tg = TelegramChannel(
            TOKEN, inbox, base_url=fake.base_url, webhook_url="http://127.0.0.1:9/webhooks/telegram"
        )
        await tg.start()
        try:
            healthy = await tg.intake_health(datetime.now(UTC))
            fake.push_message(USER, USER, "hello?")
            await _until(lambda: bool(fake.webhook_deliveries))
            stalled = await tg.intake_health(datetime.now(UTC))
        finally:
            await tg.stop()
    assert healthy.ok
    assert not stalled.ok
    assert stalled.pending == 1
    assert "Wrong response from the webhook" in stalled.detail


async def _until(check: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not check():  # noqa: ASYNC110 - the fake appends to a plain list
            await asyncio.sleep(0.01)


async def test_unreadable_updates_without_an_id_are_told_apart(inbox: Inbox) -> None:
    """Two different id-less updates get two refs; the same one again gets the same ref."""
    unreadable = Unreadables()
    bot = TelegramBot(TOKEN)
    for raw in ({"message": {"text": "a"}}, {"message": {"text": "b"}}, {"message": {"text": "a"}}):
        assert await take_update(raw, bot, inbox, unreadable) is None  # type: ignore[arg-type]
    first, second, again = (u.provider_ref for u in unreadable.seen)
    assert first.startswith("telegram:update:?")
    assert first != second
    assert first == again
