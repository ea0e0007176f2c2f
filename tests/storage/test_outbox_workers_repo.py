"""OutboxWorkerRepo: registered workers, who holds rows, and taking a dead worker's rows back."""

from __future__ import annotations

from bot.core.clock import FrozenClock
from bot.core.ids import OutboxId
from bot.domain.outbox import Reclaimed, Sent
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_workers import OutboxWorkerRepo
from tests.storage.test_outbox_repo import item


async def test_reclaim_gives_back_a_dead_workers_rows_and_counts_the_started_ones(
    db: Database, clock: FrozenClock
) -> None:
    """Every row leased to the worker is due again at once; started ones keep their attempt."""
    outbox, workers = OutboxRepo(db, clock), OutboxWorkerRepo(db, clock)
    await outbox.enqueue([item(f"k{n}", str(n)) for n in range(5)])
    await workers.register("dead:1:aa", "dead", 1)
    claimed = await outbox.claim_due("dead:1:aa", 4, 60)
    ids = [c.id for c in claimed]
    await outbox.record_outcomes("dead:1:aa", [Sent(ids[0], "p0")], started=[ids[1], ids[2]])
    assert await workers.in_flight() == 2

    assert await workers.reclaim("dead:1:aa") == Reclaimed("dead:1:aa", rows=3, in_flight=2)
    assert await workers.in_flight() == 0
    assert await workers.others("me:1:bb") == []  # forgotten, and it holds nothing now
    entries = {i: await outbox.get(i) for i in ids}
    first = entries[ids[0]]
    assert first is not None
    assert first.status == "sent"
    assert [(e.status, e.attempts) for i in ids[1:] if (e := entries[i])] == [
        ("pending", 1),  # started: the message may be out, the attempt counts
        ("pending", 1),
        ("pending", 0),  # never started: the attempt is given back
    ]
    again = await outbox.claim_due("me:1:bb", 10, 60)
    assert sorted(c.id for c in again) == sorted([*ids[1:], OutboxId(5)])


async def test_others_lists_registered_workers_and_row_holders(
    db: Database, clock: FrozenClock
) -> None:
    """Workers that registered, or hold leased rows, are listed; the caller itself is not."""
    outbox, workers = OutboxRepo(db, clock), OutboxWorkerRepo(db, clock)
    await workers.register("me:1:01", "me", 1)
    await workers.register("idle:2:02", "idle", 2)
    await outbox.enqueue([item("k1")])
    await outbox.claim_due("legacy-host:7", 1, 60)  # an older release, never registered
    assert await workers.others("me:1:01") == ["idle:2:02", "legacy-host:7"]
    await workers.unregister("idle:2:02")
    assert await workers.others("me:1:01") == ["legacy-host:7"]


async def test_a_new_claim_clears_the_previous_attempts_start(
    db: Database, clock: FrozenClock
) -> None:
    """A row given back after a started send is not in flight again until its next start."""
    outbox, workers = OutboxRepo(db, clock), OutboxWorkerRepo(db, clock)
    await outbox.enqueue([item("k1")])
    (row,) = await outbox.claim_due("a:1:01", 1, 60)
    await outbox.record_outcomes("a:1:01", [], started=[row.id])
    await workers.reclaim("a:1:01")
    await outbox.claim_due("b:1:02", 1, 60)
    assert await workers.in_flight() == 0


async def test_a_start_is_recorded_only_for_the_lease_holder(
    db: Database, clock: FrozenClock
) -> None:
    """A worker whose rows were taken back cannot mark them in flight any more."""
    outbox, workers = OutboxRepo(db, clock), OutboxWorkerRepo(db, clock)
    await outbox.enqueue([item("k1")])
    (row,) = await outbox.claim_due("old:1:01", 1, 60)
    await workers.reclaim("old:1:01")
    await outbox.claim_due("new:1:02", 1, 60)
    await outbox.record_outcomes("old:1:01", [Sent(row.id, "late")], started=[row.id])
    assert await workers.in_flight() == 0
    entry = await outbox.get(row.id)
    assert entry is not None
    assert (entry.status, entry.claimed_by) == ("sending", "new:1:02")
