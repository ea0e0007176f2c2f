"""LateTopicRepo: the missing topic ids the relay keeps looking for, and its scan mark."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.core.clock import FrozenClock
from bot.core.ids import TopicId
from bot.domain.topics import Topic
from bot.storage.db import Database
from bot.storage.repositories.late_topics import LateTopicRepo
from bot.storage.repositories.topics import TopicRepo


def _topic(topic_id: int) -> Topic:
    return Topic(
        topic_id=TopicId(topic_id),
        board_id=None,
        board_name="General News",
        subject=f"Topic {topic_id}",
        link=f"https://forum.example/index.php?topic={topic_id}.0",
        posted_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        author=None,
        body_html="",
    )


async def test_gaps_skip_recorded_topics_and_keep_their_first_sighting(
    db: Database, clock: FrozenClock
) -> None:
    """A recorded topic is never a gap, and noting a gap again keeps when it was first noticed."""
    repo = LateTopicRepo(db, clock)
    await TopicRepo(db, clock).record(_topic(11), decision="relayed")
    assert await repo.note_gaps([10, 11, 12], scanned_up_to=13, cap=100) == []
    first = clock.now()
    clock.advance(600)
    await repo.note_gaps([12], scanned_up_to=13, cap=100)
    gaps = await repo.open_gaps()
    assert [(g.topic_id, g.noticed_at, g.probes) for g in gaps] == [(12, first, 0), (10, first, 0)]


async def test_the_scan_mark_only_moves_up(db: Database, clock: FrozenClock) -> None:
    """A narrower poll cannot move the mark back, which would turn old ids into new gaps."""
    repo = LateTopicRepo(db, clock)
    assert await repo.scanned_up_to() is None
    await repo.note_gaps([], scanned_up_to=40, cap=100)
    await repo.note_gaps([], scanned_up_to=25, cap=100)
    assert await repo.scanned_up_to() == 40
    await repo.note_gaps([], scanned_up_to=41, cap=100)
    assert await repo.scanned_up_to() == 41


async def test_beyond_the_cap_the_lowest_ids_are_let_go(db: Database, clock: FrozenClock) -> None:
    """The table stays bounded: over the cap the oldest ids are dropped and returned."""
    repo = LateTopicRepo(db, clock)
    await repo.note_gaps(range(1, 6), scanned_up_to=6, cap=5)
    assert await repo.note_gaps([7, 8], scanned_up_to=9, cap=5) == [1, 2]
    assert [g.topic_id for g in await repo.open_gaps()] == [8, 7, 5, 4, 3]


async def test_probes_are_counted_and_dated(db: Database, clock: FrozenClock) -> None:
    """Each probe bumps the gap's count and time, so the next poll asks the least recent."""
    repo = LateTopicRepo(db, clock)
    await repo.note_gaps([3, 4], scanned_up_to=5, cap=10)
    clock.advance(60)
    await repo.mark_probed([3])
    await repo.mark_probed([3])
    by_id = {g.topic_id: g for g in await repo.open_gaps()}
    assert (by_id[3].probes, by_id[3].last_probed_at) == (2, clock.now())
    assert (by_id[4].probes, by_id[4].last_probed_at) == (0, None)


async def test_found_topics_are_resolved_and_old_gaps_dropped(
    db: Database, clock: FrozenClock
) -> None:
    """Recorded gaps leave the table; gaps noticed before the cutoff are dropped and returned."""
    repo = LateTopicRepo(db, clock)
    await repo.note_gaps([1, 2], scanned_up_to=3, cap=10)
    clock.advance(3600)
    await repo.note_gaps([4, 5], scanned_up_to=6, cap=10)
    await TopicRepo(db, clock).record(_topic(5), decision="relayed")
    assert await repo.resolve_recorded() == [5]
    dropped = await repo.drop_noticed_before(clock.now() - timedelta(minutes=30))
    assert [g.topic_id for g in dropped] == [1, 2]
    assert [g.topic_id for g in await repo.open_gaps()] == [4]


async def test_a_new_process_reads_the_same_gaps(
    db: Database, db_twin: Callable[[], Database], clock: FrozenClock
) -> None:
    """Gaps and the mark live in the database, so a restart continues where it stopped."""
    await LateTopicRepo(db, clock).note_gaps([7], scanned_up_to=9, cap=10)
    again = LateTopicRepo(db_twin(), clock)
    assert await again.scanned_up_to() == 9
    assert [g.topic_id for g in await again.open_gaps()] == [7]


async def test_the_newest_recorded_id_is_known(db: Database, clock: FrozenClock) -> None:
    """TopicRepo tells the highest id it recorded, the scan's start after an upgrade."""
    topics = TopicRepo(db, clock)
    assert await topics.newest_id() is None
    for topic_id in (4, 9, 2):
        await topics.record(_topic(topic_id), decision="backfill_skipped")
    assert await topics.newest_id() == 9
