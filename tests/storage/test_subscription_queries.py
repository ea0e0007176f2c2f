"""Queries behind subscriber alerts and the digest, on every backend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient, text_message
from bot.domain.outbox import NewOutboxItem, Sent, Skipped
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.subscribers import SubscriberRepo
from bot.storage.repositories.topics import TopicRepo


@dataclass(frozen=True)
class FakeTopic:
    """The facts TopicRepo keeps of a topic."""

    topic_id: int
    board_id: int | None
    board_name: str
    subject: str = "A topic"
    link: str = "https://forum.example/index.php?topic=1.0"
    posted_at: datetime = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    author: str | None = "admin"
    body_html: str = ""


async def test_for_topic_alerts_and_digest_subscribers(db: Database, clock: FrozenClock) -> None:
    """Instant alerts go to active instant subscribers of the board; digest ones are separate."""
    repo = SubscriberRepo(db, clock)
    now = clock.now()
    for chat in ("all", "board4", "board2", "digest", "off", "stopped"):
        await repo.subscribe("telegram", chat, "private", "test", now)
    await repo.update_settings("telegram", "board4", boards=[4])
    await repo.update_settings("telegram", "board2", boards=[2])
    await repo.update_settings("telegram", "digest", delivery="digest")
    await repo.update_settings("telegram", "off", topic_alerts=False, delivery="digest")
    await repo.opt_out("telegram", "stopped", now)
    assert [s.chat_id for s in await repo.for_topic_alerts(4)] == ["all", "board4"]
    assert [s.chat_id for s in await repo.for_topic_alerts(None)] == ["all"]
    assert [s.chat_id for s in await repo.digest_subscribers()] == ["digest"]
    rows = await repo.by_ids([s.id for s in await repo.for_topic_alerts(2)] + [999_999])
    assert [s.chat_id for s in rows] == ["all", "board2"]
    assert await repo.by_ids([]) == []


async def test_boards_seen_uses_the_latest_name(db: Database, clock: FrozenClock) -> None:
    """Each board appears once, under the name of its newest topic, sorted by name."""
    repo = TopicRepo(db, clock)
    await repo.record(FakeTopic(1, 4, "Umrah"), decision="relayed")
    await repo.record(FakeTopic(2, 2, "News"), decision="spam")
    clock.advance(60)
    await repo.record(FakeTopic(3, 4, "Umrah & Hajj"), decision="relayed")
    await repo.record(FakeTopic(4, None, "Feed without ids"), decision="relayed")
    assert await repo.boards_seen() == [
        (None, "Feed without ids"),
        (2, "News"),
        (4, "Umrah & Hajj"),
    ]


async def test_relayed_between_counts_the_decision_time(db: Database, clock: FrozenClock) -> None:
    """Relayed topics count when seen, approved ones when approved; others never."""
    repo = TopicRepo(db, clock)
    start = clock.now()
    await repo.record(FakeTopic(1, 4, "B"), decision="relayed")
    await repo.record(FakeTopic(2, 4, "B"), decision="held_for_review")
    await repo.record(FakeTopic(3, 4, "B"), decision="spam")
    clock.advance(3600)
    await repo.record(FakeTopic(4, 4, "B"), decision="relayed")
    clock.advance(3600)
    await repo.set_decision(2, "approved", None, "admin")
    end = clock.now() + timedelta(seconds=1)
    assert [t.topic_id for t in await repo.relayed_between(start, end)] == [1, 4, 2]
    later = start + timedelta(minutes=30)
    assert [t.topic_id for t in await repo.relayed_between(later, end)] == [4, 2]
    assert await repo.relayed_between(start, start) == []


async def test_skipped_topic_alerts_by_reason_and_time(db: Database, clock: FrozenClock) -> None:
    """Only skipped subscriber alerts of the reason, queued in the span, are reported."""
    outbox = OutboxRepo(db, clock)
    recipient = Recipient(ChannelName("whatsapp"), ChatId("+1"))
    message = text_message(recipient, "alert", kind="topic_alert")

    def item(key: str, topic: int | None, sub: int | None) -> NewOutboxItem:
        return NewOutboxItem(key, message, topic_id=topic, subscriber_id=sub)

    start = clock.now()
    await outbox.enqueue(
        [
            item("a", 10, 1),
            item("b", 11, 1),
            item("c", 10, 2),
            item("d", 12, 3),
            item("e", 13, None),
        ]
    )
    claimed = {c.idempotency_key: c.id for c in await outbox.claim_due("w", 10, 60)}
    await outbox.record_outcomes(
        "w",
        [
            Skipped(claimed["a"], "outside_window"),
            Skipped(claimed["b"], "outside_window"),
            Skipped(claimed["c"], "opted_out"),
            Sent(claimed["d"]),
            Skipped(claimed["e"], "outside_window"),
        ],
    )
    end = clock.now() + timedelta(seconds=1)
    assert await outbox.skipped_topic_alerts("outside_window", start, end) == {1: [10, 11]}
    assert await outbox.skipped_topic_alerts("outside_window", end, end + timedelta(1)) == {}
