"""After a forum outage of any length, the poll job reaches the feed again within the bound."""

from __future__ import annotations

from datetime import timedelta
from importlib import resources

import pytest

from bot.core.clock import FrozenClock
from bot.domain.topics import Topic
from bot.forum.errors import FeedError
from bot.forum.smf_parse import parse_feed
from handlers.context import HandlerContext
from handlers.relay.health import poll_forum, recovery_bound
from handlers.relay.poll import POLL_STATE_KEY
from tests.handlers.relay.conftest import with_relay

FEED = resources.files("bot").joinpath("sample_data", "feed_news_smf.xml").read_bytes()


class OutageSource:
    """The bundled feed, or an HTTP 503 while ``down`` is set; counts answered polls."""

    def __init__(self) -> None:
        self.down = False
        self.answered = 0

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return the bundled feed's topics, or fail while the forum is down."""
        if self.down:
            raise FeedError("http_status", "the forum answered HTTP 503", status_code=503)
        self.answered += 1
        return parse_feed(FEED)[:limit]

    async def aclose(self) -> None:
        """Nothing to release."""


@pytest.mark.parametrize("interval", [10.0, 60.0, 300.0])
@pytest.mark.parametrize("outage", [37.0, 3600.0, 4 * 3600.0], ids=["37s", "1h", "4h"])
@pytest.mark.parametrize("phase", [0.1], ids=["just-after-a-run"])
async def test_the_feed_is_polled_within_the_bound_after_any_outage(
    ctx: HandlerContext, clock: FrozenClock, interval: float, outage: float, phase: float
) -> None:
    """Whatever the outage's length, the first poll after the return is ≤ max(2 x poll, 60 s)."""
    source = OutageSource()
    ctx.forum = source
    ctx = with_relay(ctx, limit=5, backfill=0, poll_interval=interval)
    assert await poll_forum(ctx, clock.now()) is not None  # healthy before the outage
    start = clock.now()
    source.down = True
    # The job runs every interval; the forum comes back between two runs (at ``phase``).
    back_at = start + timedelta(seconds=outage + phase * interval)
    tick = 0
    while True:
        tick += 1
        clock.advance(interval)
        if clock.now() >= back_at:
            source.down = False
        answered = source.answered
        await poll_forum(ctx, clock.now())
        if source.answered > answered:
            break
        assert tick < 20_000
    waited = (clock.now() - back_at).total_seconds()
    assert 0 <= waited <= recovery_bound(interval)


async def test_a_day_long_outage_still_polls_at_the_capped_pause(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """8,640 failures in a row (a day at 10 s) neither overflow the backoff nor lengthen it."""
    source = OutageSource()
    ctx.forum = source
    ctx = with_relay(ctx, limit=5, backfill=0, poll_interval=10)
    last = clock.now().isoformat(timespec="seconds")
    await ctx.repos.state.put(
        POLL_STATE_KEY, {"at": last, "result": "failed", "consecutive_failures": 8640}
    )
    clock.advance(49)
    assert await poll_forum(ctx, clock.now()) is None
    assert source.answered == 0
    clock.advance(1)
    assert await poll_forum(ctx, clock.now()) is not None
    assert source.answered == 1
