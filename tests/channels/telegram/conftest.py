"""Fixtures of the Telegram adapter tests: the recording transport and the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram.adapter import TelegramChannel
from tests.channels.telegram.helpers import HOOK, TOKEN, USER, Inbox
from tests.fakes.telegram_api import FakeTelegramApi, RateLimits
from tests.fakes.telegram_request import RecordingRequest


@pytest.fixture
def inbox() -> Inbox:
    """Collect what the channel hands on."""
    return Inbox()


@pytest.fixture
def transport() -> RecordingRequest:
    """Answer Bot API calls without a network and record them."""
    return RecordingRequest()


@pytest.fixture
async def channel(inbox: Inbox, transport: RecordingRequest) -> AsyncIterator[TelegramChannel]:
    """A started channel in webhook mode over the recording transport."""
    tg = TelegramChannel(
        TOKEN,
        inbox,
        webhook_url=HOOK,
        webhook_secret="s3cret",
        request=transport,
        get_updates_request=RecordingRequest(),
    )
    await tg.start()
    yield tg
    await tg.stop()


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API server with one private chat (one message per second allowed)."""
    async with FakeTelegramApi.running(TOKEN, limits=RateLimits(private_burst=1)) as fake:
        fake.add_private_chat(USER, "Amina")
        yield fake


@pytest.fixture
async def live(server: FakeTelegramApi, inbox: Inbox) -> AsyncIterator[TelegramChannel]:
    """A started long-polling channel using PTB's real HTTP client against the fake."""
    tg = TelegramChannel(TOKEN, inbox, base_url=server.base_url)
    await tg.start()
    yield tg
    await tg.stop()
