"""Reclaimer: a dead worker's rows come back at once; a live worker's rows are left alone."""

from __future__ import annotations

from bot.domain.outbox import Reclaimed
from bot.outbox.reclaim import Reclaimer
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_workers import OutboxWorkerRepo
from tests.outbox.conftest import FakeTime, item


class SetLiveness:
    """Liveness as a set of running worker ids (this process's own included once held)."""

    def __init__(self, alive: set[str]) -> None:
        self.alive = alive
        self.own: str | None = None

    async def hold(self, worker_id: str) -> None:
        """Run as ``worker_id``."""
        self.own = worker_id
        self.alive.add(worker_id)

    async def is_alive(self, worker_id: str) -> bool:
        """Return whether the id is running."""
        return worker_id in self.alive

    async def ensure_held(self) -> bool:
        """Our own id is always held here."""
        return True

    async def release(self) -> None:
        """Stop running."""
        if self.own is not None:
            self.alive.discard(self.own)


async def test_start_takes_back_only_the_dead_workers_rows(
    db: Database, fake_time: FakeTime
) -> None:
    """At start-up the rows of a dead worker are due again; a live one's stay leased to it."""
    outbox, workers = OutboxRepo(db, fake_time.clock), OutboxWorkerRepo(db, fake_time.clock)
    await outbox.enqueue([item(f"k{n}", str(n)) for n in range(4)])
    await outbox.claim_due("dead:1:01", 2, 60)
    await outbox.claim_due("live:2:02", 2, 60)
    alive = {"live:2:02"}
    reclaimer = Reclaimer(workers, SetLiveness(alive), hostname="me", pid=3)

    taken = await reclaimer.start("me:3:03")

    assert taken == [Reclaimed("dead:1:01", rows=2, in_flight=0)]
    again = await outbox.claim_due("me:3:03", 10, 60)
    assert len(again) == 2  # the dead worker's two, now; the live worker's two are still its own
    assert "me:3:03" in await workers.others("someone-else")
    await reclaimer.stop()
    assert "me:3:03" not in alive
    # Stopped with two rows still leased (a real worker settles them first): the next worker
    # to start takes them back at once.
    successor = Reclaimer(workers, SetLiveness(alive), hostname="next", pid=4)
    assert await successor.start("next:4:04") == [Reclaimed("me:3:03", rows=2, in_flight=0)]


async def test_a_worker_that_dies_later_is_swept_on_the_next_round(
    db: Database, fake_time: FakeTime
) -> None:
    """A worker alive at start-up that dies afterwards loses its rows at the next sweep."""
    outbox, workers = OutboxRepo(db, fake_time.clock), OutboxWorkerRepo(db, fake_time.clock)
    await outbox.enqueue([item("k1", "1")])
    await outbox.claim_due("other:1:01", 1, 60)
    alive = {"other:1:01"}
    reclaimer = Reclaimer(workers, SetLiveness(alive), hostname="me", pid=3)
    assert await reclaimer.start("me:3:03") == []
    alive.discard("other:1:01")
    assert await reclaimer.sweep() == [Reclaimed("other:1:01", rows=1, in_flight=0)]
    assert len(await outbox.claim_due("me:3:03", 10, 60)) == 1
