"""TopicRepo: each forum topic is recorded once, even when two processes race."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.clock import FrozenClock
from bot.storage.db import Database
from bot.storage.repositories.topics import TopicRepo


@dataclass(frozen=True)
class FakeTopic:
    """The topic facts the repository keeps."""

    topic_id: int
    board_id: int | None = 2
    board_name: str = "Hajj"
    subject: str = "Hajj 2026 packages"
    link: str = "https://forum.example/index.php?topic=1.0"
    posted_at: datetime = datetime(2026, 2, 28, 18, 0, tzinfo=UTC)
    author: str | None = "Hikmah Travels"
    body_html: str = "<b>Umrah</b> in Ramadan"


async def test_the_author_and_teaser_are_kept_for_a_later_relay(
    db: Database, clock: FrozenClock
) -> None:
    """A topic held for review keeps what is needed to relay it later as it was."""
    repo = TopicRepo(db, clock)
    await repo.record(FakeTopic(7), decision="pending_review", reason="review mode")
    row = await repo.get(7)
    assert row is not None
    assert (row.topic.author, row.topic.body_html) == (
        "Hikmah Travels",
        "<b>Umrah</b> in Ramadan",
    )
    assert (row.topic.board_id, row.topic.board_name, row.link) == (
        2,
        "Hajj",
        "https://forum.example/index.php?topic=1.0",
    )
    assert row.is_held
    assert not row.was_relayed


async def test_record_once_and_read_back(db: Database, clock: FrozenClock) -> None:
    """The first record inserts and reports True; a repeat keeps the first decision."""
    repo = TopicRepo(db, clock)
    assert await repo.is_empty()
    assert await repo.record(FakeTopic(1), decision="relayed", reason="auto")
    assert not await repo.record(FakeTopic(1), decision="held", reason="second try")
    assert not await repo.is_empty()
    topic = await repo.get(1)
    assert topic is not None
    assert (topic.decision, topic.decision_reason, topic.first_seen_at, topic.topic.posted_at) == (
        "relayed",
        "auto",
        clock.now(),
        FakeTopic(1).posted_at,
    )
    assert topic.was_relayed


async def test_unseen_ids(db: Database, clock: FrozenClock) -> None:
    """Only ids never recorded come back, however many are asked about."""
    repo = TopicRepo(db, clock)
    for topic_id in (1, 3):
        await repo.record(FakeTopic(topic_id), decision="relayed")
    assert await repo.unseen_ids([1, 2, 3, 4]) == {2, 4}
    assert await repo.unseen_ids(range(1, 1201)) == set(range(1, 1201)) - {1, 3}
    assert await repo.unseen_ids([]) == set()


async def test_set_decision_and_recent(db: Database, clock: FrozenClock) -> None:
    """An admin decision replaces the automatic one; recent lists newest first."""
    repo = TopicRepo(db, clock)
    await repo.record(FakeTopic(1), decision="held", reason="review")
    clock.advance(10)
    await repo.record(FakeTopic(2), decision="relayed")
    assert await repo.set_decision(1, "approved", "fine", "admin:7")
    assert not await repo.set_decision(99, "approved", None, "admin:7")
    topic = await repo.get(1)
    assert topic is not None
    assert (topic.decision, topic.decided_by, topic.decided_at) == (
        "approved",
        "admin:7",
        clock.now(),
    )
    assert [t.topic_id for t in await repo.recent(5)] == [2, 1]
    assert [t.topic_id for t in await repo.recent(1)] == [2]


async def test_concurrent_record_has_one_winner(
    db: Database, db_twin: Callable[[], Database], clock: FrozenClock
) -> None:
    """Two processes recording the same topic at once: exactly one gets True."""
    repos = [TopicRepo(db_twin(), clock) for _ in range(4)]
    for topic_id in range(10):
        results = await asyncio.gather(
            *(r.record(FakeTopic(topic_id), decision="relayed") for r in repos)
        )
        assert results.count(True) == 1
