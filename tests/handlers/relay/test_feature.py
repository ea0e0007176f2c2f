"""The relay as declared: jobs follow the settings; commands and buttons are admin-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.clock import FrozenClock
from bot.core.commands import ADMINS, CommandRegistry, Role
from bot.core.ids import BoardId, TopicId
from bot.domain.topics import Topic
from bot.forum.smf_parse import parse_feed
from handlers import FEATURES, declared_jobs
from handlers.context import HandlerContext
from handlers.feature import Job
from handlers.relay import FEATURE, daily_at
from handlers.relay.poll import POLL_STATE_KEY
from handlers.relay.review import BUTTON_PREFIX, REVIEW_BUTTONS
from handlers.settings import FeatureSettings, RelaySettings
from tests.handlers.conftest import START, drain
from tests.handlers.relay.conftest import with_relay

SMF = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "smf"


def job(job_id: str) -> Job:
    """Return the relay's job called ``job_id``."""
    [found] = [j for j in FEATURE.jobs if j.id == job_id]
    return found


def settings(**knobs: object) -> FeatureSettings:
    """Return feature settings with the relay knobs ``knobs``."""
    return FeatureSettings(relay=RelaySettings(**knobs))  # type: ignore[arg-type]


def test_the_relay_declares_the_poll_and_the_digest() -> None:
    """The relay contributes exactly two jobs, and the service schedules both."""
    assert [j.id for j in FEATURE.jobs] == ["forum:poll", "digest:daily"]
    assert FEATURE in FEATURES
    declared = {j.id: j for j in declared_jobs()}
    assert declared["forum:poll"] is job("forum:poll")
    assert declared["digest:daily"] is job("digest:daily")


@pytest.mark.parametrize("interval", [60.0, 17.5, 600.0])
def test_the_poll_runs_every_poll_interval_and_at_start(interval: float) -> None:
    """forum:poll is an interval job of settings.relay.poll_interval, also run at start."""
    poll = job("forum:poll")
    assert poll.interval(settings(poll_interval=interval)) == interval
    assert poll.crontab(settings(poll_interval=interval)) is None
    assert poll.run_at_start


@pytest.mark.parametrize(
    ("digest_time", "crontab"),
    [("20:00", "0 20 * * *"), ("07:05", "5 7 * * *"), ("0:30", "30 0 * * *")],
)
def test_the_digest_runs_daily_at_digest_time(digest_time: str, crontab: str) -> None:
    """digest:daily is a cron job at settings.relay.digest_time, not run at start."""
    digest = job("digest:daily")
    assert digest.crontab(settings(digest_time=digest_time)) == crontab
    assert digest.interval(settings(digest_time=digest_time)) is None
    assert not digest.run_at_start
    assert daily_at(digest_time) == crontab


def test_the_jobs_read_the_default_settings() -> None:
    """Without configuration the poll runs every 60 s and the digest at 20:00."""
    assert job("forum:poll").interval(FeatureSettings()) == 60.0
    assert job("digest:daily").crontab(FeatureSettings()) == "0 20 * * *"


class OneFeed:
    """Serves the captured feed."""

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return the capture's topics, newest first."""
        return parse_feed((SMF / "after/feed_news_smf.xml").read_bytes())[:limit]

    async def aclose(self) -> None:
        """Nothing to release."""


@pytest.mark.skipif(not SMF.is_dir(), reason=f"SMF captures not found at {SMF}")
async def test_the_poll_job_polls_the_contexts_forum(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """Running forum:poll reads ctx.forum once and stores the poll's outcome."""
    ctx.forum = OneFeed()
    with_relay(ctx, limit=5, backfill=0)
    await job("forum:poll").fn(ctx, clock.now())
    state = await ctx.repos.state.get(POLL_STATE_KEY)
    assert state is not None
    assert (state["result"], state["at"]) == ("ok", START.isoformat(timespec="seconds"))
    assert not await ctx.repos.topics.is_empty()


async def test_the_digest_job_queues_the_digest(ctx: HandlerContext, clock: FrozenClock) -> None:
    """Running digest:daily queues the day's digest for a digest subscriber."""
    sub = await ctx.repos.subscribers.subscribe("telegram", "10", "private", "test", START)
    await ctx.repos.subscribers.update_settings("telegram", "10", delivery="digest")
    topic = Topic(
        topic_id=TopicId(13),
        board_id=BoardId(2),
        board_name="General News",
        subject="Nigeria & Saudi Arabia Discuss Pilgrim Welfare",
        link="http://127.0.0.1:8181/index.php?topic=13.0",
        posted_at=START,
        author="admin",
        body_html="",
    )
    await ctx.repos.topics.record(topic, decision="relayed")
    clock.advance(3600)
    await job("digest:daily").fn(ctx, clock.now())
    [digest] = await drain(ctx)
    assert (digest.subscriber_id, digest.message.kind) == (sub.id, "digest")
    assert digest.idempotency_key == f"digest:2026-11-27:{sub.id}"
    assert "• Nigeria & Saudi Arabia Discuss Pilgrim Welfare" in digest.message.plain_text


def test_every_relay_command_and_button_is_for_admins() -> None:
    """The review and rule commands, and the review buttons, are the bot admins' alone."""
    registry: CommandRegistry[HandlerContext] = CommandRegistry()
    registry.collect(FEATURE.commands)
    names = ["approve", "mute", "reject", "review", "rules", "unrule", "watch"]
    assert [i.name for i in registry.visible_to(ADMINS)] == names
    assert registry.visible_to({Role.MEMBER, Role.GROUP_ADMIN}) == []
    assert dict(FEATURE.choices) == {BUTTON_PREFIX: REVIEW_BUTTONS}
    assert REVIEW_BUTTONS.who == ADMINS
