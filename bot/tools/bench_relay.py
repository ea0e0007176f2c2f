"""``minbar bench relay``: how long a new topic takes from the feed to the first chat message.

A local HTTP server plays SMF: it serves the captured "before" feed, then, at a random moment within
one poll interval, the "after" feed in which topics 11 (approved late, with an older date) and 13
(new) appear. The whole service runs in this process against it, with a recording channel in place
of Telegram; each trial measures the time from the switch to the first message sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.app import build_service
from bot.config import build_config
from bot.core.channel import DEFAULT_CAPABILITIES, Capabilities
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, OutboundMessage
from bot.runtime import Runtime

NEW_TOPICS = {11, 13}


@dataclass(slots=True)
class FeedServer:
    """Serves one feed body at a time and counts requests."""

    body: bytes
    requests: int = 0
    first_request: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> Starlette:
        """Return the ASGI app answering SMF's feed URL."""

        async def feed(request: Request) -> Response:
            self.requests += 1
            self.first_request.set()
            return Response(self.body, media_type="text/xml")

        return Starlette(routes=[Route("/index.php", feed)])


@dataclass(slots=True)
class RecordingChannel:
    """Stands in for Telegram: notes when each topic alert was sent."""

    sent_at: dict[int, float] = field(default_factory=dict)
    first_sent: asyncio.Event = field(default_factory=asyncio.Event)
    capabilities: Capabilities = DEFAULT_CAPABILITIES

    @property
    def name(self) -> ChannelName:
        """Return the name it stands in for."""
        return ChannelName("telegram")

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Record the send time of a topic alert."""
        if message.kind == "topic_alert" and message.link:
            topic = int(message.link.rsplit("topic=", 1)[1].split(".")[0])
            self.sent_at.setdefault(topic, time.monotonic())
            self.first_sent.set()
        return DeliveryResult(provider_message_id=str(len(self.sent_at)))


@dataclass(frozen=True, slots=True)
class RelayBenchResult:
    """Latencies (seconds) of each trial, with the poll and request counts."""

    interval: float
    latencies: tuple[float, ...]
    requests: int
    """Feed requests, one per poll (a second one only when a poll finds every item new)."""
    relayed_exactly_new: bool


@asynccontextmanager
async def _serving(server: FeedServer) -> AsyncIterator[int]:
    config = uvicorn.Config(server.app(), host="127.0.0.1", port=0, log_config=None, lifespan="off")
    web = uvicorn.Server(config)
    task = asyncio.create_task(web.serve())
    while not web.started:  # noqa: ASYNC110 - uvicorn offers only this flag
        await asyncio.sleep(0.01)
    port = int(web.servers[0].sockets[0].getsockname()[1])
    try:
        yield port
    finally:
        web.should_exit = True
        await task


def _sample(name: str) -> bytes:
    return resources.files("bot").joinpath("sample_data", name).read_bytes()


async def _trial(interval: float, offset: float, workdir: Path) -> tuple[float, int, bool]:
    server = FeedServer(_sample("feed_news_smf_before.xml"))
    channel = RecordingChannel()
    async with _serving(server) as port:
        data = {
            "database": {"url": f"sqlite+aiosqlite:///{workdir / 'relay.db'}"},
            "web": {"enabled": False},
            "forum": {
                "feed_url": f"http://127.0.0.1:{port}/index.php?action=.xml;sa=news;type=smf",
                "poll_interval": interval,
                "limit": 5,
                "backfill": 0,
            },
            "relay": {
                "destinations": [{"channel": "telegram", "chat_id": "@bench", "kind": "channel"}]
            },
            "service": {"log_level": "WARNING"},
        }
        runtime = Runtime(
            build_service(build_config(data, {}), channel_overrides={"telegram": channel})
        )
        await runtime.start()
        try:
            await server.first_request.wait()  # the first poll marks "before" topics seen
            await asyncio.sleep(0.2 + offset)
            server.body = _sample("feed_news_smf.xml")
            switched = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(channel.first_sent.wait(), timeout=interval * 2 + 5)
            await asyncio.sleep(0.5)  # let the second topic go out too
        finally:
            await runtime.stop()
    if not channel.sent_at:
        raise RuntimeError("no topic was relayed within two poll intervals")
    latency = min(channel.sent_at.values()) - switched
    return latency, server.requests, set(channel.sent_at) == NEW_TOPICS


async def run_relay_bench(
    trials: int = 6, interval: float = 10.0, seed: int = 1
) -> RelayBenchResult:
    """Run ``trials`` independent trials and collect their latencies."""
    rng = random.Random(seed)
    # Stratified phases: each trial switches the feed in its own slice of the poll interval,
    # so a few trials already cover the whole cycle evenly.
    offsets = [(i + rng.random()) / trials * interval for i in range(trials)]
    rng.shuffle(offsets)
    latencies: list[float] = []
    requests = 0
    exact = True
    for offset in offsets:
        with tempfile.TemporaryDirectory(prefix="minbar-relay-bench-") as tmp:
            latency, trial_requests, ok = await _trial(interval, offset, Path(tmp))
        latencies.append(latency)
        requests += trial_requests
        exact = exact and ok
    return RelayBenchResult(interval, tuple(latencies), requests, exact)


def format_relay_bench(result: RelayBenchResult) -> str:
    """Return the report the CLI prints, with the targets."""
    mean = statistics.fmean(result.latencies)
    worst = max(result.latencies)
    mean_target = result.interval / 2 + 0.5
    worst_target = result.interval + 1
    verdict = "OK" if mean <= mean_target and worst <= worst_target else "MISSED"
    lines = [
        f"relay benchmark: poll interval {result.interval:g} s, {len(result.latencies)} trials"
        f" — {verdict}",
        f"  latency mean   {mean:6.2f} s  (target ≤ {mean_target:g} s)",
        f"  latency worst  {worst:6.2f} s  (target ≤ {worst_target:g} s)",
        "  per trial      " + ", ".join(f"{x:.2f}" for x in result.latencies),
        f"  feed requests  {result.requests}  (one per poll)",
        f"  relayed exactly topics 11 and 13 each trial: {result.relayed_exactly_new}",
    ]
    return "\n".join(lines)
