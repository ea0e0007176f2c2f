"""Topic ids the feeds skipped (gaps), kept until found or past the late-approval horizon."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select, update

from bot.core.clock import Clock, SystemClock
from bot.core.ids import TopicId
from bot.domain.topics import TopicGap
from bot.storage.db import Database, table_of
from bot.storage.models import ForumTopicRow, LateTopicRow, ServiceStateRow

_T = table_of(LateTopicRow)
_TOPICS = table_of(ForumTopicRow)
_STATE = table_of(ServiceStateRow)
SCANNED_KEY = "relay.late.scanned_up_to"
"""``service_state`` key of the highest topic id already sorted into "seen" or "gap"."""
_IN_CHUNK = 500
"""Ids per IN (...) list, well under every backend's bound-parameter limit."""


class LateTopicRepo:
    """Remember which topic ids are still missing, so a late approval is never lost."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def scanned_up_to(self) -> int | None:
        """Return the highest topic id already sorted into seen or gap (None: never scanned)."""
        async with self._db.read() as session:
            value = await session.scalar(select(_STATE.c.value).where(_STATE.c.key == SCANNED_KEY))
        return int(value["topic_id"]) if value else None

    async def note_gaps(
        self, topic_ids: Collection[int], *, scanned_up_to: int, cap: int
    ) -> list[TopicId]:
        """Track the unrecorded ids among ``topic_ids`` and advance the scan mark, in one go.

        An id already tracked keeps the time it was first noticed. Beyond ``cap`` tracked
        gaps the lowest ids are let go; those are returned.
        """
        now = self._clock.now()
        wanted = sorted(set(topic_ids))
        async with self._db.write() as session:
            recorded: set[int] = set()
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                found = await session.scalars(
                    select(_TOPICS.c.topic_id).where(_TOPICS.c.topic_id.in_(chunk))
                )
                recorded.update(found.all())
            rows = [
                {"topic_id": t, "noticed_at": now, "probes": 0} for t in wanted if t not in recorded
            ]
            for start in range(0, len(rows), _IN_CHUNK):
                stmt = self._db.insert(_T).values(rows[start : start + _IN_CHUNK])
                await session.execute(stmt.on_conflict_do_nothing(index_elements=[_T.c.topic_id]))
            # The mark only moves up: a narrower feed must not turn old ids into new gaps.
            old = await session.scalar(select(_STATE.c.value).where(_STATE.c.key == SCANNED_KEY))
            mark = max(scanned_up_to, int(old["topic_id"]) if old else scanned_up_to)
            value = {"topic_id": mark}
            await session.execute(
                self._db.insert(_STATE)
                .values(key=SCANNED_KEY, value=value, updated_at=now)
                .on_conflict_do_update(
                    index_elements=[_STATE.c.key], set_={"value": value, "updated_at": now}
                )
            )
            total = await session.scalar(select(func.count()).select_from(_T)) or 0
            if total <= cap:
                return []
            lowest = select(_T.c.topic_id).order_by(_T.c.topic_id).limit(total - cap)
            evicted = await session.scalars(
                delete(_T).where(_T.c.topic_id.in_(lowest)).returning(_T.c.topic_id)
            )
            return sorted(TopicId(t) for t in evicted.all())

    async def open_gaps(self) -> list[TopicGap]:
        """Return every tracked gap, newest id first."""
        async with self._db.read() as session:
            rows = (await session.execute(select(_T).order_by(_T.c.topic_id.desc()))).all()
        return [
            TopicGap(TopicId(r.topic_id), r.noticed_at, r.last_probed_at, r.probes) for r in rows
        ]

    async def mark_probed(self, topic_ids: Collection[int]) -> None:
        """Note that these gaps were looked up one by one just now."""
        if not topic_ids:
            return
        stmt = (
            update(_T)
            .where(_T.c.topic_id.in_(sorted(set(topic_ids))))
            .values(last_probed_at=self._clock.now(), probes=_T.c.probes + 1)
        )
        async with self._db.write() as session:
            await session.execute(stmt)

    async def resolve_recorded(self) -> list[TopicId]:
        """Stop tracking every gap whose topic is recorded now (found, relayed or held)."""
        recorded = select(_TOPICS.c.topic_id).where(_TOPICS.c.topic_id == _T.c.topic_id)
        stmt = delete(_T).where(recorded.exists()).returning(_T.c.topic_id)
        async with self._db.write() as session:
            return sorted(TopicId(t) for t in (await session.scalars(stmt)).all())

    async def drop_noticed_before(self, cutoff: datetime) -> list[TopicGap]:
        """Stop tracking the gaps first noticed before ``cutoff``; return them."""
        stmt = (
            delete(_T)
            .where(_T.c.noticed_at < cutoff)
            .returning(_T.c.topic_id, _T.c.noticed_at, _T.c.last_probed_at, _T.c.probes)
        )
        async with self._db.write() as session:
            rows = (await session.execute(stmt)).all()
        gaps = [TopicGap(TopicId(r[0]), r[1], r[2], r[3]) for r in rows]
        return sorted(gaps, key=lambda g: g.topic_id)
