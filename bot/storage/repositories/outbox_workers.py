"""The outbox's workers: who is registered, who holds rows, and taking back a dead one's rows."""

from __future__ import annotations

from sqlalchemy import case, delete, func, select, update

from bot.core.clock import Clock, SystemClock
from bot.domain.outbox import Reclaimed
from bot.storage.db import Database, table_of
from bot.storage.models import OutboxRow, OutboxWorkerRow

_OUT = table_of(OutboxRow)
_W = table_of(OutboxWorkerRow)


class OutboxWorkerRepo:
    """Register workers and give a dead worker's leased rows back to the queue."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def register(self, worker_id: str, hostname: str, pid: int) -> None:
        """Record that ``worker_id`` runs (its lock, not this row, says whether it still does)."""
        row = {
            "worker_id": worker_id,
            "hostname": hostname[:255],
            "pid": pid,
            "started_at": self._clock.now(),
        }
        stmt = self._db.insert(_W).values(row).on_conflict_do_nothing(index_elements=["worker_id"])
        async with self._db.write() as session:
            await session.execute(stmt)

    async def unregister(self, worker_id: str) -> None:
        """Forget ``worker_id`` (a clean stop)."""
        async with self._db.write() as session:
            await session.execute(delete(_W).where(_W.c.worker_id == worker_id))

    async def others(self, worker_id: str) -> list[str]:
        """Return every other worker that is registered or holds a leased row."""
        holders = (
            select(_OUT.c.claimed_by)
            .where(_OUT.c.status == "sending", _OUT.c.claimed_by.is_not(None))
            .distinct()
        )
        async with self._db.read() as session:
            leased = {row[0] for row in await session.execute(holders)}
            registered = {row[0] for row in await session.execute(select(_W.c.worker_id))}
        return sorted((leased | registered) - {worker_id})

    async def reclaim(self, worker_id: str) -> Reclaimed:
        """Give every row leased to ``worker_id`` back and forget the worker.

        The rows keep their due time, so they go out first, in their order. A row whose send
        had not started gets its attempt back; one whose send had started keeps it (the
        message may have gone out, and may now go out twice).
        """
        mine = (_OUT.c.status == "sending", _OUT.c.claimed_by == worker_id)
        count = select(func.count(), func.count(_OUT.c.send_started_at)).where(*mine)
        give_back = (
            update(_OUT)
            .where(*mine)
            .values(
                status="pending",
                claimed_by=None,
                lease_until=None,
                attempts=case(
                    (_OUT.c.send_started_at.is_(None), _OUT.c.attempts - 1),
                    else_=_OUT.c.attempts,
                ),
            )
        )
        async with self._db.write() as session:
            rows, in_flight = (await session.execute(count)).one()
            await session.execute(give_back)
            await session.execute(delete(_W).where(_W.c.worker_id == worker_id))
        return Reclaimed(worker_id, int(rows), int(in_flight))

    async def in_flight(self) -> int:
        """Return how many rows are being sent right now, over all workers."""
        stmt = select(func.count()).where(
            _OUT.c.status == "sending", _OUT.c.send_started_at.is_not(None)
        )
        async with self._db.read() as session:
            return int((await session.execute(stmt)).scalar_one())
