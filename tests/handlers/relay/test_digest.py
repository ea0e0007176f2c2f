"""The daily digest: the last day's relayed topics, one message per subscriber, once a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.channel import Capabilities
from bot.core.clock import FrozenClock
from bot.core.ids import BoardId, ChannelName, ChatId, TopicId
from bot.core.messages import Recipient
from bot.domain.outbox import Sent, Skipped
from bot.domain.subscribers import SubscriberSettings
from bot.domain.topics import Topic, TopicRecord
from bot.storage.db import Database
from handlers.context import HandlerContext
from handlers.relay.digest import render_digest, send_digest
from handlers.relay.fanout import relay_topic
from tests.fakes.channel import FakeChannel, telegram_like, whatsapp_like
from tests.handlers.conftest import EN, START, drain, make_context, outbox_of

DIGEST_AT = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
"""20:00 in Lagos."""


def topic(topic_id: int, board_id: int, subject: str) -> Topic:
    """Return a topic on ``board_id``."""
    return Topic(
        topic_id=TopicId(topic_id),
        board_id=BoardId(board_id),
        board_name=f"Board {board_id}",
        subject=subject,
        link=f"https://forum.example/index.php?topic={topic_id}.0",
        posted_at=datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
        author="admin",
        body_html="",
        guid=None,
    )


def move_to(clock: FrozenClock, when: datetime) -> None:
    """Set the frozen clock to ``when``."""
    clock.advance((when - clock.now()).total_seconds())


async def subscribe(ctx: HandlerContext, channel: str, chat: str, **settings: object) -> int:
    """Subscribe a chat with ``settings``; return its subscriber id."""
    row = await ctx.repos.subscribers.subscribe(channel, chat, "private", "test", START)
    if settings:
        await ctx.repos.subscribers.update_settings(channel, chat, **settings)
    return row.id


async def seed_day(ctx: HandlerContext, clock: FrozenClock) -> None:
    """Record a day of topics: two relayed, one approved late, one too old, one held."""
    move_to(clock, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(1, 4, "Too old"), decision="relayed")
    move_to(clock, datetime(2026, 11, 26, 20, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(5, 4, "Approved late"), decision="held_for_review")
    move_to(clock, datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(2, 4, "Umrah seats"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(3, 2, "Hajj news"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 13, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(4, 2, "Buy cheap watches"), decision="spam")
    move_to(clock, datetime(2026, 11, 27, 14, 0, tzinfo=UTC))
    await ctx.repos.topics.set_decision(5, "approved", None, "admin:1001")
    move_to(clock, DIGEST_AT)


async def test_digest_lists_the_days_topics_per_subscriber(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """Digest subscribers get one message with the day's relayed topics their boards allow."""
    everything = await subscribe(ctx, "telegram", "10", delivery="digest")
    news_only = await subscribe(ctx, "telegram", "11", delivery="digest", boards=[2])
    await subscribe(ctx, "telegram", "12", delivery="digest", boards=[9])
    await subscribe(ctx, "telegram", "13")
    await subscribe(ctx, "telegram", "14", delivery="digest", topic_alerts=False)
    await subscribe(ctx, "whatsapp", "+15", delivery="digest")
    await ctx.repos.subscribers.opt_out("whatsapp", "+15", START)
    await seed_day(ctx, clock)
    assert await send_digest(ctx, clock.now()) == 2
    sent = {item.subscriber_id: item for item in await drain(ctx)}
    assert set(sent) == {everything, news_only}
    full = sent[everything]
    assert (full.idempotency_key, full.message.kind) == (
        f"digest:2026-11-27:{everything}",
        "digest",
    )
    assert full.message.plain_text.splitlines() == [
        "Forum digest, Fri 27 Nov 2026 — 3 new topics",
        "• Umrah seats — https://forum.example/index.php?topic=2.0",
        "• Hajj news — https://forum.example/index.php?topic=3.0",
        "• Approved late — https://forum.example/index.php?topic=5.0",
    ]
    assert dict(full.message.template_values) == {
        "date": "Fri 27 Nov 2026",
        "count": "3",
        "titles": "Umrah seats; Hajj news; Approved late",
    }
    assert sent[news_only].message.plain_text.splitlines()[1:] == [
        "• Hajj news — https://forum.example/index.php?topic=3.0"
    ]


async def test_digest_runs_once_a_day(ctx: HandlerContext, clock: FrozenClock) -> None:
    """A second run the same local day queues nothing; the next day queues anew."""
    await subscribe(ctx, "telegram", "10", delivery="digest")
    await seed_day(ctx, clock)
    assert await send_digest(ctx, clock.now()) == 1
    assert await send_digest(ctx, clock.now()) == 0
    move_to(clock, datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(6, 4, "Next day"), decision="relayed")
    move_to(clock, datetime(2026, 11, 28, 19, 0, tzinfo=UTC))
    assert await send_digest(ctx, clock.now()) == 1
    keys = [item.idempotency_key for item in await drain(ctx)]
    assert [k.rsplit(":", 1)[0] for k in keys] == ["digest:2026-11-27", "digest:2026-11-28"]


async def test_nothing_is_sent_on_a_quiet_day(ctx: HandlerContext, clock: FrozenClock) -> None:
    """Without topics in the last day no digest is queued."""
    await subscribe(ctx, "telegram", "10", delivery="digest")
    move_to(clock, DIGEST_AT)
    assert await send_digest(ctx, clock.now()) == 0
    assert await drain(ctx) == []


async def test_digest_date_is_the_local_day(ctx: HandlerContext, clock: FrozenClock) -> None:
    """The key's date is Lagos's date: 23:30 UTC is already the next day there."""
    sub = await subscribe(ctx, "telegram", "10", delivery="digest")
    move_to(clock, datetime(2026, 11, 27, 22, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(2, 4, "Late news"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 23, 30, tzinfo=UTC))
    await send_digest(ctx, clock.now())
    (item,) = await drain(ctx)
    assert item.idempotency_key == f"digest:2026-11-28:{sub}"


async def test_whatsapp_alerts_outside_the_window_wait_for_the_digest(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """An instant WhatsApp alert skipped outside the 24-h window is listed in that day's digest."""
    waiting = await subscribe(ctx, "whatsapp", "+2348011111111")
    move_to(clock, datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    umrah = topic(2, 4, "Umrah seats")
    await relay_topic(umrah, ctx)
    await ctx.repos.topics.record(umrah, decision="relayed")
    claimed = await outbox_of(ctx).claim_due("w", 10, 60)
    await outbox_of(ctx).record_outcomes("w", [Skipped(c.id, "outside_window") for c in claimed])
    # An alert that went out, and one skipped for another reason, are not repeated.
    await subscribe(ctx, "whatsapp", "+2348022222222")  # its alert was delivered
    stopped = await subscribe(ctx, "whatsapp", "+2348033333333")
    news = topic(3, 2, "Hajj news")
    await relay_topic(news, ctx)
    await ctx.repos.topics.record(news, decision="relayed")
    for item in await outbox_of(ctx).claim_due("w", 10, 60):
        outcome = Skipped(item.id, "opted_out") if item.subscriber_id == stopped else Sent(item.id)
        await outbox_of(ctx).record_outcomes("w", [outcome])
    move_to(clock, DIGEST_AT)
    assert await send_digest(ctx, clock.now()) == 1
    (item,) = await drain(ctx)
    assert (item.subscriber_id, item.message.recipient.chat_id) == (waiting, "+2348011111111")
    assert item.message.plain_text.splitlines()[1:] == [
        "• Umrah seats — https://forum.example/index.php?topic=2.0"
    ]


async def test_missed_alerts_skip_those_who_stopped(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """A WhatsApp subscriber who sent STOP after the skipped alert gets no digest."""
    await subscribe(ctx, "whatsapp", "+2348011111111")
    umrah = topic(2, 4, "Umrah seats")
    await relay_topic(umrah, ctx)
    await ctx.repos.topics.record(umrah, decision="relayed")
    claimed = await outbox_of(ctx).claim_due("w", 10, 60)
    await outbox_of(ctx).record_outcomes("w", [Skipped(c.id, "outside_window") for c in claimed])
    await ctx.repos.subscribers.opt_out("whatsapp", "+2348011111111", clock.now())
    move_to(clock, DIGEST_AT)
    assert await send_digest(ctx, clock.now()) == 0


async def test_long_digests_fit_each_platform(db: Database, clock: FrozenClock) -> None:
    """A long digest stays within each platform's declared max_text and says how many more."""
    small = FakeChannel("textline", Capabilities(buttons=False, max_text=700))
    ctx = make_context(db, clock, channels=(telegram_like(), whatsapp_like(), small))
    subs = {
        channel: await subscribe(ctx, channel, chat, delivery="digest")
        for channel, chat in [("telegram", "10"), ("whatsapp", "+1"), ("textline", "+2")]
    }
    move_to(clock, datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    for n in range(1, 41):
        await ctx.repos.topics.record(
            topic(n, 4, "A rather long topic title about the Umrah season " * 4), decision="relayed"
        )
    move_to(clock, DIGEST_AT)
    assert await send_digest(ctx, clock.now()) == 3
    by_sub = {c.subscriber_id: c.message for c in await drain(ctx)}
    shown: dict[str, int] = {}
    for channel, sub in subs.items():
        message = by_sub[sub]
        assert message.recipient.channel == channel
        text = message.plain_text
        lines = text.splitlines()
        assert len(text) <= ctx.capabilities(channel).max_text
        assert lines[0] == "Forum digest, Fri 27 Nov 2026 — 40 new topics"
        assert all(len(line) < 200 for line in lines)
        shown[channel] = len(lines) - 2
        assert lines[-1] == f"…and {40 - shown[channel]} more on the forum."
    assert len(by_sub[subs["whatsapp"]].plain_text) < 1600
    assert shown["telegram"] > shown["whatsapp"] > shown["textline"] > 0


async def test_missed_alerts_follow_the_session_window_capability(
    db: Database, clock: FrozenClock
) -> None:
    """Only platforms that declare a session window get skipped alerts listed in the digest."""
    windowed = FakeChannel(
        "textline", Capabilities(buttons=False, session_window=timedelta(hours=24))
    )
    ctx = make_context(db, clock, channels=(telegram_like(), windowed))
    await subscribe(ctx, "telegram", "10")
    waiting = await subscribe(ctx, "textline", "+2")
    move_to(clock, datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    umrah = topic(2, 4, "Umrah seats")
    assert await relay_topic(umrah, ctx) == 2
    await ctx.repos.topics.record(umrah, decision="relayed")
    claimed = await outbox_of(ctx).claim_due("w", 10, 60)
    assert len(claimed) == 2
    await outbox_of(ctx).record_outcomes("w", [Skipped(c.id, "outside_window") for c in claimed])
    move_to(clock, DIGEST_AT)
    assert await send_digest(ctx, clock.now()) == 1
    (item,) = await drain(ctx)
    assert (item.subscriber_id, item.message.recipient.key) == (waiting, "textline:+2")
    assert item.message.plain_text.splitlines()[1:] == [
        "• Umrah seats — https://forum.example/index.php?topic=2.0"
    ]


def test_render_digest_cuts_at_the_budget() -> None:
    """render_digest lists topics until the budget is spent, then counts the rest."""
    records = [
        TopicRecord(topic(n, 4, f"Topic {n:02d}"), first_seen_at=DIGEST_AT, decision="relayed")
        for n in range(1, 11)
    ]
    recipient = Recipient(ChannelName("whatsapp"), ChatId("+1"))
    line = len("\n• Topic 01 — https://forum.example/index.php?topic=1.0")
    lines = render_digest(recipient, records, date(2026, 11, 27), EN, budget=3 * line).plain_text
    assert lines.splitlines() == [
        "Forum digest, Fri 27 Nov 2026 — 10 new topics",
        "• Topic 01 — https://forum.example/index.php?topic=1.0",
        "• Topic 02 — https://forum.example/index.php?topic=2.0",
        "• Topic 03 — https://forum.example/index.php?topic=3.0",
        "…and 7 more on the forum.",
    ]


def test_settings_defaults_apply_to_missing_keys() -> None:
    """Missing or malformed settings read as instant alerts for every board."""
    assert SubscriberSettings.from_json({}) == SubscriberSettings(
        topic_alerts=True, promotions=True, delivery="instant", boards=()
    )
    odd = SubscriberSettings.from_json({"delivery": "weekly", "boards": "4", "promotions": False})
    assert (odd.delivery, odd.boards, odd.promotions) == ("instant", (), False)


async def test_a_late_or_missed_run_leaves_no_gap(ctx: HandlerContext, clock: FrozenClock) -> None:
    """After a day with no digest (service down at 20:00), the next one covers both days."""
    sub = await subscribe(ctx, "telegram", "9001", delivery="digest")
    move_to(clock, datetime(2026, 11, 25, 19, 0, tzinfo=UTC))
    await send_digest(ctx, clock.now())  # the last digest that ran: 25 Nov, 20:00 Lagos
    move_to(clock, datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(7, 2, "Topic on the missed day"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    await ctx.repos.topics.record(topic(8, 2, "Topic today"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 19, 5, tzinfo=UTC))  # 26 Nov's run never happened
    await send_digest(ctx, clock.now())
    (digest,) = [c for c in await drain(ctx) if c.subscriber_id == sub]
    text = digest.message.plain_text
    assert "Topic on the missed day" in text
    assert "Topic today" in text
