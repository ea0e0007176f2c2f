"""Feed faults: no crash, nothing marked seen, backoff, one alert per outage and one recovery."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import respx

from bot.core.errors import ForumError
from bot.forum.errors import FeedError
from bot.forum.smf import SmfFeedSource
from bot.forum.smf_parse import parse_feed
from bot.forum.source import Topic
from bot.storage.repositories.destinations import DestinationSpec
from handlers.context import HandlerContext
from handlers.forum_health import ForumPoller
from handlers.relay import POLL_STATE_KEY, RelaySettings
from tests.handlers.conftest import drain

SMF = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "smf"
pytestmark = pytest.mark.skipif(not SMF.is_dir(), reason=f"SMF captures not found at {SMF}")
FEED_URL = "https://forum.attaqwaa.test/index.php?action=.xml;sa=news;type=smf;limit=5"


class FlakySource:
    """Serves a capture, or fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.body = (SMF / "after/feed_news_smf.xml").read_bytes()
        self.failing: ForumError | None = None
        self.calls = 0

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return the capture's topics or raise the configured fault."""
        self.calls += 1
        if self.failing is not None:
            raise self.failing
        return parse_feed(self.body)[:limit]

    async def aclose(self) -> None:
        """Nothing to release."""


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _admin_ctx(ctx: HandlerContext) -> HandlerContext:
    from handlers.context import AdminPolicy

    ctx.admins = AdminPolicy(
        {"telegram": frozenset({"1001"}), "whatsapp": frozenset({"+2348000000009"})}
    )
    return ctx


async def test_one_alert_per_outage_and_one_recovery_message(ctx: HandlerContext) -> None:
    """Three failures in a row alert each admin once; the next success says it recovered."""
    ctx = _admin_ctx(ctx)
    source, ticks = FlakySource(), Ticks()
    poller = ForumPoller(
        source, ctx, RelaySettings(limit=5, backfill=0), interval=60, alert_after=3, monotonic=ticks
    )
    await poller.poll()  # a healthy first poll
    source.failing = FeedError("timeout", "no answer in 10 s")
    for _ in range(6):
        ticks.now += 10_000  # past any backoff
        assert await poller.poll() is None
    alerts = [c for c in await drain(ctx) if c.message.kind == "admin_alert"]
    assert sorted(c.message.recipient.chat_id for c in alerts) == ["+2348000000009", "1001"]
    assert "3 polls in a row failed" in alerts[0].message.plain_text
    source.failing = None
    ticks.now += 10_000
    assert await poller.poll() is not None
    recovered = await drain(ctx)
    assert [c.message.plain_text.split("\n")[0] for c in recovered] == ["Forum feed recovered"] * 2


async def test_a_failing_feed_is_polled_less_often(ctx: HandlerContext) -> None:
    """After failures the poller skips scheduled runs, doubling the pause up to a cap."""
    source, ticks = FlakySource(), Ticks()
    source.failing = FeedError("http_status", "HTTP 503", status_code=503)
    poller = ForumPoller(source, ctx, RelaySettings(), interval=60, monotonic=ticks)
    await poller.poll()
    await poller.poll()  # second failure happens at once: no pause after the first
    assert source.calls == 2
    assert await poller.poll() is None
    assert source.calls == 2  # pausing 60 s more
    ticks.now += 61
    await poller.poll()
    assert source.calls == 3


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        pytest.param(
            httpx.Response(
                200, text="<html><form>login</form></html>", headers={"content-type": "text/html"}
            ),
            "login_page",
            id="login-page",
        ),
        pytest.param(httpx.Response(200, content=b""), "empty", id="feeds-disabled"),
        pytest.param(
            httpx.Response(
                200,
                content=b"<?xml version='1.0'?><rss><channel><item>",
                headers={"content-type": "application/rss+xml"},
            ),
            "malformed",
            id="malformed-xml",
        ),
        pytest.param(httpx.Response(503, text="busy"), "http_status", id="5xx"),
        pytest.param(httpx.TimeoutException("timed out"), "timeout", id="timeout"),
    ],
)
async def test_every_feed_fault_marks_nothing_seen(
    ctx: HandlerContext, response: httpx.Response | Exception, kind: str
) -> None:
    """Each fault is recorded for /status with its reason and no topic is marked seen."""
    await ctx.destinations.sync_from_config([DestinationSpec("telegram", "@a", "channel")])
    source = SmfFeedSource(FEED_URL)
    poller = ForumPoller(source, ctx, RelaySettings(limit=5, backfill=5), interval=60)
    try:
        with respx.mock(assert_all_called=True) as mock:
            route = mock.get(url__startswith="https://forum.attaqwaa.test/")
            if isinstance(response, Exception):
                route.mock(side_effect=response)
            else:
                route.mock(return_value=response)
            assert await poller.poll() is None
    finally:
        await source.aclose()
    state = await ctx.state.get(POLL_STATE_KEY)
    assert state is not None
    assert state["result"] == "failed"
    assert state["consecutive_failures"] == 1
    assert str(state["last_error"]).startswith(kind)
    assert await ctx.topics.is_empty()
    assert await drain(ctx) == []


async def test_a_feed_that_suddenly_lists_nothing_is_a_fault(ctx: HandlerContext) -> None:
    """An empty listing after topics were seen is treated as a failure, not as no news."""
    source = FlakySource()
    poller = ForumPoller(source, ctx, RelaySettings(limit=5, backfill=5), interval=60)
    assert await poller.poll() is not None
    source.body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    )
    assert await poller.poll() is None
    state = await ctx.state.get(POLL_STATE_KEY)
    assert state is not None
    assert "lists no topics" in str(state["last_error"])
