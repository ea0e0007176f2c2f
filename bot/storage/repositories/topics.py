"""Forum topics Minbar has seen, and the decision taken on each (relay, hold, skip…)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, func, select, update

from bot.core.clock import Clock, SystemClock
from bot.core.ids import BoardId, TopicId
from bot.domain.topics import Topic, TopicRecord
from bot.storage.db import Database, table_of
from bot.storage.models import ForumTopicRow

_T = table_of(ForumTopicRow)
_IN_CHUNK = 500
"""Ids per IN (...) list, well under every backend's bound-parameter limit."""


class TopicRepo:
    """Remember topics so each is judged, and relayed, exactly once."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def is_empty(self) -> bool:
        """Return True before the first topic was ever recorded (first run)."""
        async with self._db.read() as session:
            return not await session.scalar(select(exists().where(_T.c.topic_id.is_not(None))))

    async def newest_id(self) -> int | None:
        """Return the highest topic id ever recorded (None before the first)."""
        async with self._db.read() as session:
            newest: int | None = await session.scalar(select(func.max(_T.c.topic_id)))
        return newest

    async def unseen_ids(self, topic_ids: Collection[int]) -> set[int]:
        """Return the ids among ``topic_ids`` that were never recorded."""
        wanted = sorted(set(topic_ids))
        seen: set[int] = set()
        async with self._db.read() as session:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                stmt = select(_T.c.topic_id).where(_T.c.topic_id.in_(chunk))
                seen.update((await session.scalars(stmt)).all())
        return set(wanted) - seen

    async def record(
        self,
        topic: Topic,
        *,
        decision: str,
        reason: str | None = None,
        decided_by: str = "auto",
    ) -> bool:
        """Insert the topic unless known; True only for the one caller that inserted it."""
        now = self._clock.now()
        stmt = (
            self._db.insert(_T)
            .values(
                topic_id=topic.topic_id,
                board_id=topic.board_id,
                board_name=topic.board_name[:200],
                subject=topic.subject[:500],
                link=topic.link[:500],
                posted_at=topic.posted_at,
                first_seen_at=now,
                decision=decision,
                decision_reason=reason[:500] if reason else None,
                decided_by=decided_by,
                decided_at=now,
                author=topic.author[:200] if topic.author else None,
                body_html=topic.body_html,
            )
            .on_conflict_do_nothing(index_elements=[_T.c.topic_id])
            .returning(_T.c.topic_id)
        )
        async with self._db.write() as session:
            return (await session.execute(stmt)).first() is not None

    async def set_decision(
        self,
        topic_id: int,
        decision: str,
        reason: str | None,
        by: str,
        *,
        only_if: str | Collection[str] | None = None,
    ) -> bool:
        """Change a topic's decision; with ``only_if``, only from one of those decisions.

        Returns False when the topic is unknown or its decision is not in ``only_if``. The
        check and the change are one UPDATE, so of two admins deciding at once exactly one wins.
        """
        stmt = update(_T).where(_T.c.topic_id == topic_id)
        if only_if is not None:
            current = (only_if,) if isinstance(only_if, str) else tuple(only_if)
            stmt = stmt.where(_T.c.decision.in_(current))
        stmt = stmt.values(
            decision=decision,
            decision_reason=reason[:500] if reason else None,
            decided_by=by[:64],
            decided_at=self._clock.now(),
        )
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, topic_id: int) -> TopicRecord | None:
        """Return one recorded topic."""
        async with self._db.read() as session:
            row = await session.get(ForumTopicRow, topic_id)
            return to_record(row) if row is not None else None

    async def with_decision(self, decisions: Collection[str], limit: int = 50) -> list[TopicRecord]:
        """Return topics whose decision is one of ``decisions``, oldest first (e.g. held ones)."""
        stmt = (
            select(ForumTopicRow)
            .where(ForumTopicRow.decision.in_(tuple(decisions)))
            .order_by(ForumTopicRow.first_seen_at, ForumTopicRow.topic_id)
            .limit(limit)
        )
        async with self._db.read() as session:
            return [to_record(r) for r in (await session.scalars(stmt)).all()]

    async def recent(self, limit: int) -> list[TopicRecord]:
        """Return the most recently seen topics, newest first."""
        stmt = (
            select(ForumTopicRow)
            .order_by(ForumTopicRow.first_seen_at.desc(), ForumTopicRow.topic_id.desc())
            .limit(limit)
        )
        async with self._db.read() as session:
            return [to_record(r) for r in (await session.scalars(stmt)).all()]

    async def boards_seen(self) -> list[tuple[int | None, str]]:
        """Return every board a topic came from, with its latest name, sorted by name."""
        stmt = select(_T.c.board_id, _T.c.board_name, func.max(_T.c.first_seen_at)).group_by(
            _T.c.board_id, _T.c.board_name
        )
        async with self._db.read() as session:
            rows = (await session.execute(stmt)).all()
        latest: dict[int | None, tuple[datetime, str]] = {}
        for board_id, name, seen in rows:
            # A renamed board keeps its id: show the name it has now.
            if board_id not in latest or seen > latest[board_id][0]:
                latest[board_id] = (seen, name)
        return sorted(
            ((board_id, name) for board_id, (_, name) in latest.items()),
            key=lambda pair: (pair[1].casefold(), pair[0] or 0),
        )

    async def relayed_between(self, start: datetime, end: datetime) -> list[TopicRecord]:
        """Return topics relayed or approved in ``[start, end)``, oldest first."""
        # decided_at, not first_seen_at: a topic held for review counts on the day it is approved.
        decided = func.coalesce(ForumTopicRow.decided_at, ForumTopicRow.first_seen_at)
        stmt = (
            select(ForumTopicRow)
            .where(
                ForumTopicRow.decision.in_(("relayed", "approved")),
                decided >= start,
                decided < end,
            )
            .order_by(decided, ForumTopicRow.topic_id)
        )
        async with self._db.read() as session:
            return [to_record(r) for r in (await session.scalars(stmt)).all()]


def to_record(row: ForumTopicRow) -> TopicRecord:
    """Return the domain record of a stored topic."""
    topic = Topic(
        topic_id=TopicId(row.topic_id),
        board_id=BoardId(row.board_id) if row.board_id is not None else None,
        board_name=row.board_name,
        subject=row.subject,
        link=row.link,
        posted_at=row.posted_at,
        author=row.author,
        body_html=row.body_html or "",
    )
    return TopicRecord(
        topic=topic,
        first_seen_at=row.first_seen_at,
        decision=row.decision,
        decision_reason=row.decision_reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
