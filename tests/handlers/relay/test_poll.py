"""The first relay path: feed → seen set → outbox rows, once per (topic, destination)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.errors import ForumError
from bot.domain.destinations import DestinationSpec
from bot.domain.topics import Topic
from bot.forum.errors import FeedError
from bot.forum.smf_parse import parse_feed
from bot.storage.db import Database
from handlers.context import HandlerContext
from handlers.relay.poll import POLL_STATE_KEY, relay_new_topics
from tests.handlers.conftest import drain, make_context
from tests.handlers.relay.conftest import with_relay

SMF = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "smf"
pytestmark = pytest.mark.skipif(not SMF.is_dir(), reason=f"SMF captures not found at {SMF}")


class ReplayingSource:
    """A forum source that serves captured feeds in order, repeating the last one."""

    def __init__(self, *files: str) -> None:
        self.bodies = [(SMF / f).read_bytes() for f in files]
        self.calls: list[int] = []
        self.fail_with: ForumError | None = None

    def advance(self) -> None:
        """Serve the next capture from now on."""
        if len(self.bodies) > 1:
            self.bodies.pop(0)

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return at most ``limit`` topics of the current capture."""
        self.calls.append(limit)
        if self.fail_with is not None:
            raise self.fail_with
        return parse_feed(self.bodies[0])[:limit]

    async def aclose(self) -> None:
        """Nothing to release."""


async def _with_destinations(ctx: HandlerContext) -> None:
    await ctx.repos.destinations.sync_from_config(
        [
            DestinationSpec("telegram", "@attaqwaa", "channel", None, "main", ()),
            DestinationSpec("telegram", "-100777", "group", None, "umrah group", (4,)),
        ]
    )


async def test_a_fresh_database_relays_only_the_backfill(ctx: HandlerContext) -> None:
    """On first start the N newest topics are relayed and the older ones only marked seen."""
    await _with_destinations(ctx)
    source = ReplayingSource("before/feed_news_rss2_limit50.xml")
    report = await relay_new_topics(source, with_relay(ctx, limit=50, backfill=2))
    assert report.relayed == [9, 10]
    assert sorted(report.skipped_backfill) == [1, 2, 3, 4, 5, 6, 7, 8]
    sent = await drain(ctx)
    assert sorted(c.idempotency_key for c in sent) == [
        "topic:10:dest:1",
        "topic:9:dest:1",
    ]


async def test_late_approval_relays_exactly_the_new_topics(ctx: HandlerContext) -> None:
    """before → after relays topic 11 (approved late, older date) and 13, nothing unapproved."""
    await _with_destinations(ctx)
    source = ReplayingSource("before/feed_news_smf.xml", "after/feed_news_smf.xml")
    first = await relay_new_topics(source, with_relay(ctx, limit=5, backfill=0))
    assert first.relayed == []
    await drain(ctx)
    source.advance()
    second = await relay_new_topics(source, with_relay(ctx, limit=5, backfill=0))
    assert sorted(second.relayed) == [11, 13]
    sent = await drain(ctx)
    keys = sorted(c.idempotency_key for c in sent)
    # Topic 11 is on board 4 (the Umrah group's board); 13 is General News.
    assert keys == ["topic:11:dest:1", "topic:11:dest:2", "topic:13:dest:1"]
    assert 12 not in second.relayed
    assert 14 not in second.relayed


async def test_a_restart_relays_nothing_twice(db: Database, clock: FrozenClock) -> None:
    """A new process on the same database sends nothing already relayed."""
    ctx = make_context(db, clock)
    await _with_destinations(ctx)
    source = ReplayingSource("after/feed_news_smf.xml")
    await relay_new_topics(source, with_relay(ctx, limit=5, backfill=5))
    assert len(await drain(ctx)) > 0
    again = make_context(db, clock)
    report = await relay_new_topics(source, with_relay(again, limit=5, backfill=5))
    assert report.relayed == []
    assert await drain(again) == []


class CrashOnRecord:
    """Wraps the topic repository; the first ``record`` dies as a killed process would."""

    def __init__(self, real: object) -> None:
        self._real = real
        self.crashed = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    async def record(self, *args: object, **kwargs: object) -> bool:
        """Crash once, then behave."""
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("killed between queueing and marking seen")
        return await self._real.record(*args, **kwargs)  # type: ignore[attr-defined, no-any-return]


async def test_a_topic_queued_but_not_marked_seen_is_not_sent_twice(ctx: HandlerContext) -> None:
    """If a crash left rows queued but the topic unseen, the re-poll adds no duplicate rows."""
    await _with_destinations(ctx)
    source = ReplayingSource("before/feed_news_smf.xml", "after/feed_news_smf.xml")
    await relay_new_topics(source, with_relay(ctx, limit=5, backfill=0))
    source.advance()
    real_repos = ctx.repos
    ctx.repos = replace(real_repos, topics=CrashOnRecord(real_repos.topics))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="killed"):
        await relay_new_topics(source, with_relay(ctx, limit=5, backfill=0))
    first = await drain(ctx)
    assert sorted(c.idempotency_key for c in first) == ["topic:11:dest:1", "topic:11:dest:2"]
    ctx.repos = real_repos
    report = await relay_new_topics(source, with_relay(ctx, limit=5, backfill=0))
    assert report.relayed == [11, 13]
    assert report.queued == 1  # only topic 13's row is new
    assert [c.idempotency_key for c in await drain(ctx)] == ["topic:13:dest:1"]


async def test_an_overflowing_window_is_polled_again_wider(ctx: HandlerContext) -> None:
    """When every topic of a poll is new, the poller asks again with SMF's largest limit."""
    await _with_destinations(ctx)
    source = ReplayingSource("before/feed_news_rss2_limit2.xml", "after/feed_news_rss2_limit50.xml")
    await relay_new_topics(source, with_relay(ctx, limit=2, backfill=0))
    source.advance()
    report = await relay_new_topics(source, with_relay(ctx, limit=1, backfill=0))
    assert source.calls[-1] == 255
    assert report.refetched_wider
    # 13 was the only item of the narrow poll; 11 (approved late) came only from the wide one.
    assert {11, 13} <= set(report.relayed)
    assert not {9, 10} & set(report.relayed)  # seen in the first poll


async def test_a_feed_failure_is_recorded_and_marks_nothing_seen(ctx: HandlerContext) -> None:
    """A failed poll stores the error for /status and relays nothing."""
    source = ReplayingSource("after/feed_news_smf.xml")
    source.fail_with = FeedError("login_page", "got an HTML login form")
    with pytest.raises(ForumError):
        await relay_new_topics(source, with_relay(ctx))
    state = await ctx.repos.state.get(POLL_STATE_KEY)
    assert state is not None
    assert state["result"] == "failed"
    assert "login" in str(state["last_error"])
    assert await ctx.repos.topics.is_empty()


async def test_the_alert_is_clean_and_links_to_the_forum(ctx: HandlerContext) -> None:
    """The topic alert has the unescaped title, Lagos time and a Read on forum button."""
    await _with_destinations(ctx)
    source = ReplayingSource("after/feed_news_smf.xml")
    await relay_new_topics(source, with_relay(ctx, limit=5, backfill=1))
    (sent,) = await drain(ctx)
    message = sent.message
    assert message.spans[0].bold
    assert message.spans[0].text.startswith("Nigeria & Saudi Arabia Discuss Pilgrim Welfare")
    assert "27 Nov 2026, 10:11" in message.plain_text  # 09:11 UTC is 10:11 in Lagos
    assert "&amp;" not in message.plain_text
    assert message.choices[0].label == "Read on forum"
    assert message.choices[0].url == "http://127.0.0.1:8181/index.php?topic=13.0"


class FullTextSource(ReplayingSource):
    """A replaying source that also serves print views, or fails to."""

    def __init__(self, *files: str, fail: bool = False) -> None:
        super().__init__(*files)
        self.fail = fail
        self.asked: list[int] = []

    async def fetch_full_body(self, topic_id: int) -> str:
        """Return the captured print view of topic 9 for any topic, or fail."""
        from bot.forum.printpage import parse_printpage

        self.asked.append(topic_id)
        if self.fail:
            raise FeedError("http_status", "HTTP 500", status_code=500)
        return parse_printpage((SMF / "extras/printpage_topic_9.html").read_text("utf-8"))


async def test_full_text_gives_a_longer_clean_excerpt(ctx: HandlerContext) -> None:
    """With fetch_full_text the alert's excerpt comes from the print view, cut cleanly."""
    await _with_destinations(ctx)
    source = FullTextSource("after/feed_news_smf.xml")
    with_relay(ctx, limit=5, backfill=1, fetch_full_text=True, excerpt_chars=900)
    await relay_new_topics(source, ctx)
    (sent,) = await drain(ctx)
    assert source.asked == [13]
    text = sent.message.plain_text
    assert len(text) > 700
    assert "[" not in text.split("\n", 2)[2][:900]
    assert text.endswith("…")


async def test_a_failing_print_view_falls_back_to_the_teaser(ctx: HandlerContext) -> None:
    """A print view that cannot be fetched never stops the relay."""
    await _with_destinations(ctx)
    source = FullTextSource("after/feed_news_smf.xml", fail=True)
    report = await relay_new_topics(
        source, with_relay(ctx, limit=5, backfill=1, fetch_full_text=True)
    )
    assert report.relayed == [13]
    (sent,) = await drain(ctx)
    assert "Officials from both countries" in sent.message.plain_text


async def test_spam_beyond_the_teaser_is_caught_when_full_text_is_on(ctx: HandlerContext) -> None:
    """The full body is what gets screened, so spam after the first 255 characters is held."""

    class SpamInFullText(FullTextSource):
        async def fetch_full_body(self, topic_id: int) -> str:
            return "Great offer. " + "сайт" * 40 + " http://a.test http://b.test http://c.test"

    await _with_destinations(ctx)
    source = SpamInFullText("after/feed_news_smf.xml")
    report = await relay_new_topics(
        source, with_relay(ctx, limit=5, backfill=1, fetch_full_text=True)
    )
    assert report.held == [13]
    assert report.relayed == []
    row = await ctx.repos.topics.get(13)
    assert row is not None
    assert row.decision == "spam"


async def test_a_forum_group_thread_receives_its_topics_in_that_thread(ctx: HandlerContext) -> None:
    """A destination with a thread id (forum-style supergroup) gets rows for that thread."""
    await ctx.repos.destinations.sync_from_config(
        [DestinationSpec("telegram", "-100555", "group", 42, "Umrah thread", (4,))]
    )
    source = ReplayingSource("after/feed_news_smf.xml")
    await relay_new_topics(source, with_relay(ctx, limit=5, backfill=5))
    sent = await drain(ctx)
    # Topics 8 and 11 are the board-4 topics of this capture.
    assert sorted(c.idempotency_key for c in sent) == ["topic:11:dest:1", "topic:8:dest:1"]
    assert {c.message.recipient.thread_id for c in sent} == {42}
    assert sent[0].message.recipient.key == "telegram:-100555/42"
