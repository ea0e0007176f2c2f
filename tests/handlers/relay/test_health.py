"""Feed faults: no crash, nothing marked seen, backoff, one alert per outage and one recovery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from bot.core.clock import FrozenClock
from bot.core.errors import ForumError
from bot.domain.destinations import DestinationSpec
from bot.domain.topics import Topic
from bot.forum.errors import FeedError
from bot.forum.smf import SmfFeedSource
from bot.forum.smf_parse import parse_feed
from bot.forum.source import ForumSource
from bot.storage.db import Database
from handlers.context import AdminPolicy, HandlerContext
from handlers.relay.health import ALERT_STATE_KEY, poll_forum
from handlers.relay.poll import POLL_STATE_KEY
from tests.handlers.conftest import drain, make_context
from tests.handlers.relay.conftest import with_relay

SMF = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "smf"
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


def _admin_ctx(ctx: HandlerContext) -> HandlerContext:
    ctx.admins = AdminPolicy(
        {"telegram": frozenset({"1001"}), "whatsapp": frozenset({"+2348000000009"})}
    )
    return ctx


def _polling(ctx: HandlerContext, source: ForumSource, **knobs: Any) -> HandlerContext:
    """Give ``ctx`` the forum ``source`` and the relay knobs (a 60 s interval by default)."""
    ctx.forum = source
    return with_relay(ctx, **({"limit": 5, "backfill": 0, "poll_interval": 60} | knobs))


async def _alerts(ctx: HandlerContext) -> list[str]:
    """Return "<chat id>: <first line>" of every admin alert drained from the outbox."""
    return sorted(
        f"{c.message.recipient.chat_id}: {c.message.plain_text.splitlines()[0]}"
        for c in await drain(ctx)
        if c.message.kind == "admin_alert"
    )


async def test_one_alert_per_outage_and_one_recovery_message(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """Three failures in a row alert each admin once; the next success says it recovered."""
    source = FlakySource()
    ctx = _polling(_admin_ctx(ctx), source, failure_alert_after=3)
    assert await poll_forum(ctx, clock.now()) is not None  # a healthy first poll
    await drain(ctx)
    source.failing = FeedError("timeout", "no answer in 10 s")
    for _ in range(6):
        clock.advance(10_000)  # past any backoff
        assert await poll_forum(ctx, clock.now()) is None
    assert source.calls == 7
    alerts = [c for c in await drain(ctx) if c.message.kind == "admin_alert"]
    assert sorted(c.message.recipient.chat_id for c in alerts) == ["+2348000000009", "1001"]
    assert all("3 polls in a row failed" in c.message.plain_text for c in alerts)
    assert all("no answer in 10 s" in c.message.plain_text for c in alerts)
    source.failing = None
    clock.advance(10_000)
    assert await poll_forum(ctx, clock.now()) is not None
    recovered = await drain(ctx)
    assert [c.message.plain_text.split("\n")[0] for c in recovered] == ["Forum feed recovered"] * 2
    clock.advance(60)
    assert await poll_forum(ctx, clock.now()) is not None
    assert await drain(ctx) == []  # recovered once, not at every healthy poll


async def test_each_outage_alerts_once_even_across_new_contexts(
    db: Database, clock: FrozenClock
) -> None:
    """The alert state is stored: new leaders mid-outage neither repeat nor miss an alert."""
    source = FlakySource()

    def leader() -> HandlerContext:
        """A fresh context on the same database, as a newly elected leader builds."""
        return _polling(_admin_ctx(make_context(db, clock)), source, failure_alert_after=2)

    for outage in (1, 2):
        source.failing = FeedError("http_status", "HTTP 503", status_code=503)
        for attempt in range(4):
            clock.advance(10_000)
            ctx = leader()
            assert await poll_forum(ctx, clock.now()) is None
            expected = ["+2348000000009: Forum feed is failing", "1001: Forum feed is failing"]
            assert await _alerts(ctx) == (expected if attempt == 1 else [])
        source.failing = None
        for attempt in range(2):
            clock.advance(10_000)
            ctx = leader()
            assert await poll_forum(ctx, clock.now()) is not None
            expected = ["+2348000000009: Forum feed recovered", "1001: Forum feed recovered"]
            assert await _alerts(ctx) == (expected if attempt == 0 else [])
        alert = await ctx.repos.state.get(ALERT_STATE_KEY)
        assert alert == {"open": False, "outage": outage}


async def test_a_failing_feed_is_polled_less_often(ctx: HandlerContext, clock: FrozenClock) -> None:
    """After failures the poll job skips scheduled runs, doubling the pause up to a cap."""
    source = FlakySource()
    source.failing = FeedError("http_status", "HTTP 503", status_code=503)
    ctx = _polling(ctx, source, poll_interval=10)
    await poll_forum(ctx, clock.now())
    await poll_forum(ctx, clock.now())  # second failure happens at once: no pause after the first
    assert source.calls == 2
    assert await poll_forum(ctx, clock.now()) is None
    assert source.calls == 2  # pausing 10 s more
    clock.advance(11)
    await poll_forum(ctx, clock.now())
    assert source.calls == 3
    clock.advance(29)  # after 3 failures the pause is 40 s - 10 s
    await poll_forum(ctx, clock.now())
    assert source.calls == 3
    clock.advance(1)
    await poll_forum(ctx, clock.now())
    assert source.calls == 4
    for _ in range(4):  # failures 5 to 8 each wait the capped pause: 60 s - 10 s
        clock.advance(50)
        await poll_forum(ctx, clock.now())
    assert source.calls == 8
    clock.advance(49)
    await poll_forum(ctx, clock.now())
    assert source.calls == 8  # never longer than the cap, never shorter either


async def test_the_backoff_survives_a_new_context(db: Database, clock: FrozenClock) -> None:
    """The pause is read from the stored poll state, so a new process keeps backing off."""
    failing = FlakySource()
    failing.failing = FeedError("http_status", "HTTP 503", status_code=503)
    first = _polling(make_context(db, clock), failing)
    await poll_forum(first, clock.now())
    await poll_forum(first, clock.now())
    assert failing.calls == 2
    healthy = FlakySource()
    second = _polling(make_context(db, clock), healthy)
    clock.advance(59)
    assert await poll_forum(second, clock.now()) is None
    assert healthy.calls == 0  # still within the pause the first process started
    clock.advance(1)
    report = await poll_forum(second, clock.now())
    assert report is not None
    assert healthy.calls == 1
    state = await second.repos.state.get(POLL_STATE_KEY)
    assert state is not None
    assert (state["result"], state["consecutive_failures"]) == ("ok", 0)
    assert await poll_forum(second, clock.now()) is not None  # healthy: no pause at all
    assert healthy.calls == 2


async def test_the_poll_job_needs_a_forum_source(ctx: HandlerContext, clock: FrozenClock) -> None:
    """A context without a forum source (a follower's) cannot run the poll job."""
    assert ctx.forum is None
    with pytest.raises(RuntimeError, match="without a forum source"):
        await poll_forum(ctx, clock.now())


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
    ctx: HandlerContext, clock: FrozenClock, response: httpx.Response | Exception, kind: str
) -> None:
    """Each fault is recorded for /status with its reason and no topic is marked seen."""
    await ctx.repos.destinations.sync_from_config([DestinationSpec("telegram", "@a", "channel")])
    source = SmfFeedSource(FEED_URL)
    ctx = _polling(ctx, source, backfill=5)
    try:
        with respx.mock(assert_all_called=True) as mock:
            route = mock.get(url__startswith="https://forum.attaqwaa.test/")
            if isinstance(response, Exception):
                route.mock(side_effect=response)
            else:
                route.mock(return_value=response)
            assert await poll_forum(ctx, clock.now()) is None
    finally:
        await source.aclose()
    state = await ctx.repos.state.get(POLL_STATE_KEY)
    assert state is not None
    assert state["result"] == "failed"
    assert state["consecutive_failures"] == 1
    assert str(state["last_error"]).startswith(kind)
    assert await ctx.repos.topics.is_empty()
    assert await drain(ctx) == []


async def test_a_feed_that_suddenly_lists_nothing_is_a_fault(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """An empty listing after topics were seen is treated as a failure, not as no news."""
    source = FlakySource()
    ctx = _polling(ctx, source, backfill=5)
    assert await poll_forum(ctx, clock.now()) is not None
    source.body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    )
    assert await poll_forum(ctx, clock.now()) is None
    state = await ctx.repos.state.get(POLL_STATE_KEY)
    assert state is not None
    assert "lists no topics" in str(state["last_error"])
