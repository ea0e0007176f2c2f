"""Channel start-up: an unreachable platform is retried with backoff, a refused token stops it.

The channel under test is the real Telegram adapter (python-telegram-bot's own HTTP client)
against the in-process fake Bot API, which answers 5xx, 401 and 404 as Telegram does, or
refuses connections until it is started.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.channel_supervisor import ChannelRefused, ChannelSupervisor, StartRetry
from bot.channels.telegram.adapter import TelegramChannel
from bot.core.channel import Channel, ChannelRegistry
from bot.core.clock import FrozenClock
from bot.core.errors import ConfigError, RateLimited
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, InboundMessage, OutboundMessage
from bot.core.status import ChannelOutage
from tests.fakes.channel import whatsapp_like
from tests.fakes.telegram_api import FakeTelegramApi

TOKEN = "7081234567:AAGk2q9Zr4TbWv8nLmPq3sYh6JdFe1cUo0w"
WRONG = "7081234567:AAWrongWrongWrongWrongWrongWrong123"
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


async def _ignore(message: InboundMessage) -> None:
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Recorder:
    """Collects what the supervisor reports, and the pauses it asks for (without pausing)."""

    def __init__(self) -> None:
        self.down: list[ChannelOutage] = []
        self.up: list[tuple[str, ChannelOutage | None]] = []
        self.pauses: list[float] = []

    async def on_down(self, outage: ChannelOutage) -> None:
        """Record an outage alert."""
        self.down.append(outage)

    async def on_up(self, channel: Channel, outage: ChannelOutage | None) -> None:
        """Record a start."""
        self.up.append((channel.name, outage))

    async def sleep(self, seconds: float) -> None:
        """Record the pause and yield once, so a retry follows at once."""
        self.pauses.append(seconds)
        await asyncio.sleep(0)


def _supervisor(
    registry: ChannelRegistry, rec: Recorder, retry: StartRetry | None = None
) -> ChannelSupervisor:
    return ChannelSupervisor(
        registry,
        clock=FrozenClock(START),
        on_down=rec.on_down,
        on_up=rec.on_up,
        retry=retry or StartRetry(base=1.0, cap=4.0),
        sleep=rec.sleep,
        rng=random.Random(7),
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API, serving."""
    async with FakeTelegramApi.running(TOKEN) as api:
        yield api


async def _until_started(registry: ChannelRegistry, name: str) -> None:
    async with asyncio.timeout(10):
        while not registry.is_started(name):  # noqa: ASYNC110 - the registry has no event
            await asyncio.sleep(0.01)


async def test_5xx_from_getme_is_retried_with_growing_capped_pauses(
    fake: FakeTelegramApi,
) -> None:
    """Three 502s on getMe: the other channel starts at once, Telegram on the fourth try."""
    fake.fail_next("getMe", times=3, status=502)
    telegram = TelegramChannel(TOKEN, _ignore, base_url=fake.base_url)
    whatsapp = whatsapp_like()
    registry = ChannelRegistry()
    registry.add(telegram)
    registry.add(whatsapp)  # type: ignore[arg-type]
    rec = Recorder()
    supervisor = _supervisor(registry, rec)
    await supervisor.start_all()
    try:
        assert supervisor.waiting == ["telegram"]
        assert registry.is_started("whatsapp")
        assert not registry.is_started("telegram")
        assert [(o.channel, o.error_key, o.attempts) for o in rec.down] == [
            ("telegram", "network", 1)
        ]
        stop = asyncio.Event()
        runner = asyncio.create_task(supervisor.run(stop))
        await _until_started(registry, "telegram")
        stop.set()
        await runner
    finally:
        await registry.stop_all()
    assert sum(method == "getMe" for method, _ in fake.requests) == 4
    # Equal jitter: each pause lies in [ceiling/2, ceiling] of 1, 2, 4 (the cap) seconds.
    ceilings = [1.0, 2.0, 4.0]
    assert len(rec.pauses) == 3
    assert all(c / 2 <= p <= c for p, c in zip(rec.pauses, ceilings, strict=True))
    [(_, outage)] = [u for u in rec.up if u[0] == "telegram"]
    assert outage is not None
    assert (outage.attempts, outage.since) == (3, START)
    assert len(rec.down) == 1  # one alert for the whole outage
    assert supervisor.outages == {}


def test_the_start_pause_doubles_up_to_its_cap_and_never_below_half() -> None:
    """The pause after n failures is between half and all of min(cap, base * 2**(n-1))."""
    retry, rng = StartRetry(base=1.0, cap=60.0), random.Random(3)
    for attempts in range(1, 200):
        ceiling = min(60.0, 2.0 ** min(attempts - 1, 40))
        assert ceiling / 2 <= retry.delay(attempts, rng) <= ceiling


@pytest.mark.parametrize(
    ("token", "path"),
    [(WRONG, "/bot"), (TOKEN, "/nobot")],
    ids=["401-wrong-token", "404-wrong-path"],
)
async def test_a_rejected_token_stops_start_up_with_a_clear_message(
    fake: FakeTelegramApi, token: str, path: str
) -> None:
    """401/404 from getMe raise ChannelRefused saying what to fix, never quoting the token."""
    base_url = fake.base_url.removesuffix("/bot") + path
    registry = ChannelRegistry()
    registry.add(TelegramChannel(token, _ignore, base_url=base_url))
    rec = Recorder()
    with pytest.raises(ChannelRefused) as info:
        await _supervisor(registry, rec).start_all()
    message = str(info.value)
    assert message.startswith("telegram cannot start: the platform rejected its credentials")
    assert "MINBAR_TELEGRAM__TOKEN" in message
    assert "\n" not in message
    assert token not in message
    assert token.split(":")[1] not in message
    assert (rec.down, rec.up) == ([], [])  # no outage: nothing to wait for
    assert not registry.is_started("telegram")


async def test_a_token_refused_once_telegram_is_reachable_ends_the_retries() -> None:
    """Unreachable first, then 401: run() raises ChannelRefused instead of retrying forever."""
    api = FakeTelegramApi(TOKEN)
    api.port = _free_port()  # nothing listens yet: connection refused
    registry = ChannelRegistry()
    registry.add(TelegramChannel(WRONG, _ignore, base_url=api.base_url))
    rec = Recorder()
    supervisor = _supervisor(registry, rec)
    await supervisor.start_all()
    assert supervisor.outages["telegram"].error_key == "network"
    await api.start()
    try:
        with pytest.raises(ChannelRefused, match="rejected its credentials"):
            await asyncio.wait_for(supervisor.run(asyncio.Event()), 10)
    finally:
        await api.stop()
    assert not registry.is_started("telegram")


class _Flaky:
    """A neutral channel whose start raises the given errors first (for the policy alone)."""

    capabilities = whatsapp_like().capabilities

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.starts = 0

    @property
    def name(self) -> ChannelName:
        return ChannelName("flaky")

    async def start(self) -> None:
        self.starts += 1
        if self.errors:
            raise self.errors.pop(0)

    async def stop(self) -> None:
        return None

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        return DeliveryResult(provider_message_id="x")


async def test_a_429_at_start_waits_at_least_retry_after() -> None:
    """A rate-limited start waits what the platform asked, not the shorter backoff."""
    flaky = _Flaky(RateLimited(42.0, scope="channel"))
    registry = ChannelRegistry()
    registry.add(flaky)
    rec = Recorder()
    supervisor = _supervisor(registry, rec)
    await supervisor.start_all()
    stop = asyncio.Event()
    runner = asyncio.create_task(supervisor.run(stop))
    await _until_started(registry, "flaky")
    stop.set()
    await runner
    assert rec.pauses == [42.0]
    assert rec.down[0].error_key == "rate_limited"


async def test_a_config_error_at_start_is_fatal() -> None:
    """A channel that finds its settings invalid only when starting stops start-up."""
    registry = ChannelRegistry()
    registry.add(_Flaky(ConfigError("telegram.webhook_url: must be https")))
    with pytest.raises(ChannelRefused, match=r"flaky cannot start: telegram\.webhook_url"):
        await _supervisor(registry, Recorder()).start_all()


async def test_stopping_while_a_retry_waits_returns_at_once() -> None:
    """A stop during a long pause ends run() promptly and leaves the channel stopped."""
    api = FakeTelegramApi(TOKEN)
    api.port = _free_port()
    registry = ChannelRegistry()
    registry.add(TelegramChannel(TOKEN, _ignore, base_url=api.base_url))
    supervisor = ChannelSupervisor(registry, clock=FrozenClock(START), retry=StartRetry(base=600))
    await supervisor.start_all()
    stop = asyncio.Event()
    runner = asyncio.create_task(supervisor.run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(runner, 2)
    assert not registry.is_started("telegram")
    assert supervisor.outages["telegram"].next_attempt_at is not None
