"""The daily digest: the last day's relayed topics, one message per subscriber, once a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.core.clock import FrozenClock
from bot.core.ids import BoardId, ChannelName, ChatId, TopicId
from bot.core.messages import Recipient
from bot.forum.source import Topic
from bot.storage.repositories.outbox import Sent, Skipped
from bot.storage.repositories.subscribers import SubscriberSettings
from handlers.context import HandlerContext
from handlers.digest import render_digest, send_digest
from handlers.relay_fanout import relay_topic
from tests.handlers.conftest import START, drain

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
    row = await ctx.subscribers.subscribe(channel, chat, "private", "test", START)
    if settings:
        await ctx.subscribers.update_settings(channel, chat, **settings)
    return row.id


async def seed_day(ctx: HandlerContext, clock: FrozenClock) -> None:
    """Record a day of topics: two relayed, one approved late, one too old, one held."""
    move_to(clock, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    await ctx.topics.record(topic(1, 4, "Too old"), decision="relayed")
    move_to(clock, datetime(2026, 11, 26, 20, 0, tzinfo=UTC))
    await ctx.topics.record(topic(5, 4, "Approved late"), decision="held_for_review")
    move_to(clock, datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    await ctx.topics.record(topic(2, 4, "Umrah seats"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    await ctx.topics.record(topic(3, 2, "Hajj news"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 13, 0, tzinfo=UTC))
    await ctx.topics.record(topic(4, 2, "Buy cheap watches"), decision="spam")
    move_to(clock, datetime(2026, 11, 27, 14, 0, tzinfo=UTC))
    await ctx.topics.set_decision(5, "approved", None, "admin:1001")
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
    await ctx.subscribers.opt_out("whatsapp", "+15", START)
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
        "Forum digest, 27 Nov 2026 — 3 new topics",
        "• Umrah seats — https://forum.example/index.php?topic=2.0",
        "• Hajj news — https://forum.example/index.php?topic=3.0",
        "• Approved late — https://forum.example/index.php?topic=5.0",
    ]
    assert dict(full.message.template_values) == {
        "date": "27 Nov 2026",
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
    await ctx.topics.record(topic(6, 4, "Next day"), decision="relayed")
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
    await ctx.topics.record(topic(2, 4, "Late news"), decision="relayed")
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
    await ctx.topics.record(umrah, decision="relayed")
    claimed = await ctx.outbox.claim_due("w", 10, 60)
    await ctx.outbox.record_outcomes("w", [Skipped(c.id, "outside_window") for c in claimed])
    # An alert that went out, and one skipped for another reason, are not repeated.
    await subscribe(ctx, "whatsapp", "+2348022222222")  # its alert was delivered
    stopped = await subscribe(ctx, "whatsapp", "+2348033333333")
    news = topic(3, 2, "Hajj news")
    await relay_topic(news, ctx)
    await ctx.topics.record(news, decision="relayed")
    for item in await ctx.outbox.claim_due("w", 10, 60):
        outcome = Skipped(item.id, "opted_out") if item.subscriber_id == stopped else Sent(item.id)
        await ctx.outbox.record_outcomes("w", [outcome])
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
    await ctx.topics.record(umrah, decision="relayed")
    claimed = await ctx.outbox.claim_due("w", 10, 60)
    await ctx.outbox.record_outcomes("w", [Skipped(c.id, "outside_window") for c in claimed])
    await ctx.subscribers.opt_out("whatsapp", "+2348011111111", clock.now())
    move_to(clock, DIGEST_AT)
    assert await send_digest(ctx, clock.now()) == 0


def test_long_digests_fit_whatsapp() -> None:
    """A digest with many topics stays under WhatsApp's 1600 characters and says how many more."""
    from bot.storage.models import ForumTopic

    rows = [
        ForumTopic(
            topic_id=n,
            board_id=4,
            subject="A rather long topic title about the Umrah season " * 4,
            link=f"https://forum.example/index.php?topic={n}.0",
            decided_at=DIGEST_AT,
            first_seen_at=DIGEST_AT,
        )
        for n in range(40)
    ]
    recipient = Recipient(ChannelName("whatsapp"), ChatId("+1"))
    text = render_digest(recipient, rows, date(2026, 11, 27)).plain_text
    assert len(text) < 1600
    last = text.splitlines()[-1]
    assert last.startswith("…and ")
    assert last.endswith(" more on the forum.")
    shown = len(text.splitlines()) - 2
    assert last == f"…and {40 - shown} more on the forum."
    assert all(len(line) < 200 for line in text.splitlines())


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
    await ctx.topics.record(topic(7, 2, "Topic on the missed day"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    await ctx.topics.record(topic(8, 2, "Topic today"), decision="relayed")
    move_to(clock, datetime(2026, 11, 27, 19, 5, tzinfo=UTC))  # 26 Nov's run never happened
    await send_digest(ctx, clock.now())
    (digest,) = [c for c in await drain(ctx) if c.subscriber_id == sub]
    text = digest.message.plain_text
    assert "Topic on the missed day" in text
    assert "Topic today" in text
