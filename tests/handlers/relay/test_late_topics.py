"""Late-approved topics: relayed once, within two polls of approval, up to the horizon.

The forum is the in-process fake SMF 2.1 (``tests/fakes/smf_forum.py``) read through the real
``SmfFeedSource``; the database is a real migrated SQLite file.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.core.clock import FrozenClock
from bot.domain.destinations import DestinationSpec
from bot.forum.smf import SmfFeedSource
from bot.storage.db import Database
from handlers.context import HandlerContext
from handlers.relay.poll import POLL_STATE_KEY, RelayReport, relay_new_topics
from tests.fakes.smf_forum import FakeSmfForum
from tests.handlers.conftest import drain, make_context
from tests.handlers.relay.conftest import with_relay

UMRAH = 4


@pytest.fixture
def forum(clock: FrozenClock) -> FakeSmfForum:
    """A forum with two open boards and a moderated Umrah board that already has a topic."""
    fake = FakeSmfForum(now=clock.now)
    fake.post_many(2, 3)
    fake.post(UMRAH, "Hajj 2027 registration opens")
    return fake


@pytest.fixture
async def source(forum: FakeSmfForum) -> AsyncIterator[SmfFeedSource]:
    """Minbar's SMF source reading the fake forum as a guest, type=smf."""
    client = forum.client()
    yield SmfFeedSource(forum.feed_url("smf"), client=client)
    await client.aclose()


async def _destinations(ctx: HandlerContext) -> None:
    await ctx.repos.destinations.sync_from_config(
        [
            DestinationSpec("telegram", "@attaqwaa", "channel", None, "main", ()),
            DestinationSpec("telegram", "-100777", "group", None, "umrah group", (UMRAH,)),
        ]
    )


async def _poll(
    source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock, **knobs: object
) -> RelayReport:
    clock.advance(60)
    settings = {"limit": 50, "backfill": 0, **knobs}
    return await relay_new_topics(source, with_relay(ctx, **settings))


async def _rows_for(ctx: HandlerContext, topic_id: int) -> list[str]:
    return sorted(
        c.idempotency_key
        for c in await drain(ctx)
        if c.idempotency_key.startswith(f"topic:{topic_id}:")
    )


async def _start(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> int:
    """Poll once on the fresh database, then hold a new Umrah topic for moderation."""
    await _destinations(ctx)
    await _poll(source, ctx, clock)
    await drain(ctx)
    return forum.post(
        UMRAH, "December Umrah Promo: 10 Nights", author="Al-Hikmah Travels & Tours", approved=False
    )


async def test_approved_after_60_newer_topics_is_relayed_once(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A topic approved after 60 newer ones elsewhere is relayed on the next poll, once."""
    held = await _start(forum, source, ctx, clock)
    forum.post_many(1, 60)
    first = await _poll(source, ctx, clock)
    assert held not in first.relayed
    assert len(first.relayed) == 60
    await drain(ctx)
    forum.approve(held)
    second = await _poll(source, ctx, clock)
    assert second.late == [held]
    assert second.relayed == [held]
    assert await _rows_for(ctx, held) == [f"topic:{held}:dest:1", f"topic:{held}:dest:2"]
    # The whole-forum feed at 255 was enough: no print page was needed.
    assert forum.printpages[held] == 0
    state = await ctx.repos.state.get(POLL_STATE_KEY)
    assert state is not None
    assert f"1 approved late ({held})" in str(state["detail"])
    third = await _poll(source, ctx, clock)
    assert (third.relayed, third.late) == ([], [])
    assert await _rows_for(ctx, held) == []


async def test_approved_after_300_newer_in_other_boards_is_found_in_its_board_feed(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """Beyond SMF's 255-topic window, the topic's own board feed still lists it."""
    held = await _start(forum, source, ctx, clock)
    for board in (1, 2, 1):
        forum.post_many(board, 100)
        await _poll(source, ctx, clock)
    await drain(ctx)
    probes_before = forum.printpages[held]
    forum.approve(held)
    report = await _poll(source, ctx, clock)
    assert report.late == [held]
    assert await _rows_for(ctx, held) == [f"topic:{held}:dest:1", f"topic:{held}:dest:2"]
    assert forum.printpages[held] == probes_before  # found by the board feed, not a probe
    assert any("board=4" in url for url in forum.requests[-5:])
    assert (await _poll(source, ctx, clock)).relayed == []


async def test_approved_after_300_newer_in_its_own_board_is_found_by_a_probe(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """Over 254 newer topics in its own board: only the print page finds it, routed by board."""
    held = await _start(forum, source, ctx, clock)
    for _ in range(2):
        forum.post_many(UMRAH, 150)
        await _poll(source, ctx, clock)
    await drain(ctx)
    forum.approve(held)
    report = await _poll(source, ctx, clock)
    assert report.late == [held]
    # The print page names the board; its known id routes the topic to the Umrah group too.
    assert await _rows_for(ctx, held) == [f"topic:{held}:dest:1", f"topic:{held}:dest:2"]
    record = await ctx.repos.topics.get(held)
    assert record is not None
    assert (record.subject, record.topic.author, record.board_id) == (
        "December Umrah Promo: 10 Nights",
        "Al-Hikmah Travels & Tours",
        UMRAH,
    )
    assert record.link == f"http://forum.test/index.php?topic={held}.0"
    assert (await _poll(source, ctx, clock)).relayed == []


async def test_a_restart_between_holding_and_approval_loses_nothing(
    db: Database, clock: FrozenClock, forum: FakeSmfForum
) -> None:
    """A new process on the same database still relays the late topic, and only once."""
    ctx = make_context(db, clock)
    async with forum.client() as client:
        held = await _start(forum, SmfFeedSource(forum.feed_url("smf"), client=client), ctx, clock)
        for _ in range(2):
            forum.post_many(2, 150)
            await _poll(SmfFeedSource(forum.feed_url("smf"), client=client), ctx, clock)
    await drain(ctx)
    forum.approve(held)
    for expected in ([held], []):
        again = make_context(db, clock)  # the restarted process: new repositories, same file
        async with forum.client() as client:
            report = await _poll(SmfFeedSource(forum.feed_url("smf"), client=client), again, clock)
        assert report.late == expected
    assert await _rows_for(ctx, held) == [f"topic:{held}:dest:1", f"topic:{held}:dest:2"]


async def test_a_gap_older_than_the_horizon_is_dropped_and_never_probed_again(
    forum: FakeSmfForum,
    source: SmfFeedSource,
    ctx: HandlerContext,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past late_approval_days a gap is let go with one debug line and no more requests."""
    held = await _start(forum, source, ctx, clock)
    for _ in range(2):
        forum.post_many(UMRAH, 150)
        await _poll(source, ctx, clock, late_approval_days=1)
    assert forum.printpages[held] == 1  # below every window: probed, still unapproved
    clock.advance(2 * 86_400)
    with caplog.at_level(logging.DEBUG, logger="handlers.relay.late"):
        await _poll(source, ctx, clock, late_approval_days=1)
    dropped = [r for r in caplog.records if f"topic {held}:" in r.getMessage()]
    assert [r.levelno for r in dropped] == [logging.DEBUG]
    assert await ctx.repos.late_topics.open_gaps() == []
    forum.approve(held)
    for _ in range(3):
        report = await _poll(source, ctx, clock, late_approval_days=1)
        assert report.late == []
    assert forum.printpages[held] == 1
    assert await _rows_for(ctx, held) == []


async def test_a_topic_already_seen_is_never_relayed_twice(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A gap approved inside the window is relayed by the poll once, and no late path repeats it."""
    held = await _start(forum, source, ctx, clock)
    forum.post_many(1, 10)
    await _poll(source, ctx, clock)
    forum.approve(held)
    report = await _poll(source, ctx, clock)
    assert report.relayed == [held]
    assert report.late == [held]
    # Push it below every window: board feeds and print pages may list it; none relays it.
    forum.post_many(UMRAH, 300)
    for _ in range(3):
        assert held not in (await _poll(source, ctx, clock)).relayed
    assert await _rows_for(ctx, held) == [f"topic:{held}:dest:1", f"topic:{held}:dest:2"]


async def test_a_gap_judged_elsewhere_is_not_relayed_when_found(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A gap recorded by someone else (another process, an admin) is never relayed late."""
    held = await _start(forum, source, ctx, clock)
    for _ in range(2):
        forum.post_many(1, 150)
        await _poll(source, ctx, clock)
    await drain(ctx)
    forum.approve(held)
    topic = await source.fetch_topic(held)
    assert topic is not None
    await ctx.repos.topics.record(topic, decision="rejected", reason="judged elsewhere")
    report = await _poll(source, ctx, clock)
    assert report.late == []
    assert await _rows_for(ctx, held) == []


async def test_the_first_poll_tracks_no_gap_older_than_the_backfill(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """On a fresh database only gaps among the backfilled topics count; older ones predate us."""
    await _destinations(ctx)
    old = forum.post(UMRAH, "Held before Minbar started", approved=False)
    forum.post_many(1, 60)
    recent = forum.post(UMRAH, "Held between the backfilled topics", approved=False)
    forum.post_many(2, 2)
    first = await _poll(source, ctx, clock, backfill=3)
    assert len(first.relayed) == 3
    assert [g.topic_id for g in await ctx.repos.late_topics.open_gaps()] == [recent]
    for _ in range(2):
        forum.post_many(1, 150)
        await _poll(source, ctx, clock, backfill=3)
    forum.approve(old)
    forum.approve(recent)
    report = await _poll(source, ctx, clock, backfill=3)
    assert report.late == [recent]
    assert await _rows_for(ctx, old) == []


async def test_without_gaps_a_poll_reads_only_its_feed(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """With nothing missing, no board feed and no print page is fetched."""
    await _destinations(ctx)
    forum.post_many(1, 400)
    await _poll(source, ctx, clock)
    forum.requests.clear()
    for _ in range(3):
        forum.post(2)
        report = await _poll(source, ctx, clock)
        assert report.late_requests == 0
    assert all("board=" not in u and "printpage" not in u for u in forum.requests)


async def test_a_zero_horizon_turns_the_search_off(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """late_approval_days = 0 tracks no gap and sends no extra request."""
    held = await _start(forum, source, ctx, clock)
    forum.post_many(UMRAH, 300)
    await _poll(source, ctx, clock, late_approval_days=0)
    forum.approve(held)
    report = await _poll(source, ctx, clock, late_approval_days=0)
    assert (report.late, report.late_requests) == ([], 0)
    assert await ctx.repos.late_topics.open_gaps() == []
    assert forum.printpages[held] == 0


async def test_topics_beyond_the_window_in_one_interval_are_all_relayed_once(
    forum: FakeSmfForum, source: SmfFeedSource, ctx: HandlerContext, clock: FrozenClock
) -> None:
    """300 topics in one poll interval overflow SMF's 255 window; the board feeds catch the rest."""
    await _destinations(ctx)
    await _poll(source, ctx, clock)
    posted = forum.post_many(1, 150) + forum.post_many(2, 150)
    report = await _poll(source, ctx, clock)
    assert sorted(report.relayed) == posted
    assert len(report.late) == 45  # the oldest 45, below the whole-forum window
    again = await _poll(source, ctx, clock)
    assert again.relayed == []
    keys = [c.idempotency_key for c in await drain(ctx)]
    assert len(keys) == len(set(keys)) == 300
