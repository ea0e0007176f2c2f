"""The inbox: inbound items stored before they are acknowledged, then claimed and settled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update

from bot.core.clock import Clock, SystemClock
from bot.core.ids import InboxId
from bot.core.status import InboxStatus
from bot.domain.inbox import InboxItem, InboxKind, InboxState, NewInboxItem
from bot.storage.db import Database, Upsert, table_of
from bot.storage.models import InboxRow

_T = table_of(InboxRow)
_PENDING = InboxState.PENDING.value


class InboxRepo:
    """Store inbound items once each, lease them to workers, and record how each ended."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def add(self, item: NewInboxItem) -> InboxId | None:
        """Store ``item``; return its id, or None when that provider ref is already stored."""
        stmt = self._insert([item]).returning(_T.c.id)
        async with self._db.write() as session:
            row = (await session.execute(stmt)).first()
        return InboxId(row[0]) if row is not None else None

    async def add_many(self, items: Sequence[NewInboxItem]) -> int:
        """Store several items in one transaction; return how many were new.

        Delivery reports come two or three per message: one transaction each held the WhatsApp
        sender to 90 % of its rate on SQLite, whose one writer the outbox needs too.
        """
        if not items:
            return 0
        stmt = self._insert(items).returning(_T.c.id)
        async with self._db.write() as session:
            return len((await session.execute(stmt)).all())

    def _insert(self, items: Sequence[NewInboxItem]) -> Upsert:
        """Return the INSERT of ``items`` that skips provider refs already stored."""
        now = self._clock.now()
        rows = [
            {
                "platform": item.platform[:32],
                "provider_ref": item.provider_ref[:200],
                "kind": item.kind.value,
                "chat_key": item.chat_key[:300],
                "payload": item.payload,
                "state": _first_state(item).value,
                "attempts": 0,
                "next_attempt_at": now,
                "received_at": now,
            }
            for item in items
        ]
        return (
            self._db.insert(_T)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[_T.c.platform, _T.c.provider_ref])
        )

    async def state_of(self, platform: str, provider_ref: str) -> InboxState | None:
        """Return where the item with this provider ref is, or None when none is stored."""
        stmt = select(_T.c.state).where(
            _T.c.platform == platform, _T.c.provider_ref == provider_ref[:200]
        )
        async with self._db.read() as session:
            state = (await session.execute(stmt)).scalar_one_or_none()
        return InboxState(state) if state is not None else None

    async def claim_messages(
        self, *, limit: int, lease: timedelta, only: frozenset[str] | None = None
    ) -> list[InboxItem]:
        """Lease the oldest pending message of up to ``limit`` chats whose turn it is.

        Only a chat's oldest pending row is ever claimable, so while one is leased (or waits
        for its retry) the chat's later messages wait behind it: order per chat holds across
        workers and processes. ``only`` limits the claim to those chat keys (``minbar chat``
        on a shared database must never take a real person's message).
        """
        now = self._clock.now()
        heads_where = [_T.c.state == _PENDING, _T.c.kind == InboxKind.MESSAGE.value]
        if only is not None:
            heads_where.append(_T.c.chat_key.in_(sorted(only)))
        heads = select(func.min(_T.c.id)).where(*heads_where).group_by(_T.c.chat_key)
        # The heads first, on their own: pending messages are few and indexed, while an
        # ``id IN (subquery)`` made SQLite scan the whole table (handled rows and reports
        # included) on every wake-up.
        async with self._db.read() as session:
            head_ids = [row[0] for row in await session.execute(heads)]
        if not head_ids:
            return []
        ready = (
            select(_T.c.id)
            .where(_T.c.id.in_(head_ids), _T.c.next_attempt_at <= now, _unleased(now))
            .order_by(_T.c.id)
            .limit(limit)
        )
        return await self._lease(ready, now, lease)

    async def claim_reports(self, *, limit: int, lease: timedelta) -> list[InboxItem]:
        """Lease up to ``limit`` due delivery reports (their order does not matter)."""
        now = self._clock.now()
        ready = (
            select(_T.c.id)
            .where(
                _T.c.state == _PENDING,
                _T.c.kind == InboxKind.REPORT.value,
                _T.c.next_attempt_at <= now,
                _unleased(now),
            )
            .order_by(_T.c.id)
            .limit(limit)
        )
        return await self._lease(ready, now, lease)

    async def _lease(
        self, ready: Select[tuple[int]], now: datetime, lease: timedelta
    ) -> list[InboxItem]:
        # Look first, in a read: an empty inbox (the usual case) then costs no write
        # transaction, which on SQLite would queue behind, and hold up, the outbox's sends.
        async with self._db.read() as session:
            ids = [row[0] for row in await session.execute(ready)]
        if not ids:
            return []
        # The lease test is repeated on the row itself: a second worker that saw the same ids
        # (PostgreSQL's READ COMMITTED re-checks the row) skips what the first took.
        stmt = (
            update(_T)
            .where(_T.c.id.in_(ids), _T.c.state == _PENDING, _unleased(now))
            .values(lease_until=now + lease, attempts=_T.c.attempts + 1)
            .returning(
                _T.c.id,
                _T.c.platform,
                _T.c.provider_ref,
                _T.c.kind,
                _T.c.chat_key,
                _T.c.payload,
                _T.c.attempts,
                _T.c.received_at,
            )
        )
        async with self._db.write() as session:
            rows = (await session.execute(stmt)).all()
        items = [
            InboxItem(
                id=InboxId(r.id),
                platform=r.platform,
                provider_ref=r.provider_ref,
                kind=InboxKind(r.kind),
                chat_key=r.chat_key,
                payload=r.payload,
                attempts=r.attempts,
                received_at=r.received_at,
            )
            for r in rows
        ]
        return sorted(items, key=lambda item: item.id)

    async def mark_done(self, ids: Sequence[InboxId]) -> None:
        """Record that these items were handled."""
        if not ids:
            return
        now = self._clock.now()
        async with self._db.write() as session:
            await session.execute(
                update(_T)
                .where(_T.c.id.in_(list(ids)))
                .values(state=InboxState.DONE.value, handled_at=now, lease_until=None)
            )

    async def retry_later(self, item_id: InboxId, at: datetime, error: str) -> None:
        """Give a failed item back for another attempt at ``at``."""
        async with self._db.write() as session:
            await session.execute(
                update(_T)
                .where(_T.c.id == item_id)
                .values(next_attempt_at=at, lease_until=None, last_error=error[:2000])
            )

    async def retry_many(self, ids: Sequence[InboxId], at: datetime, error: str) -> None:
        """Give several items back for another attempt at ``at``, in one statement."""
        if not ids:
            return
        async with self._db.write() as session:
            await session.execute(
                update(_T)
                .where(_T.c.id.in_(list(ids)))
                .values(next_attempt_at=at, lease_until=None, last_error=error[:2000])
            )

    async def mark_dead(self, item_id: InboxId, error: str) -> None:
        """Give up on an item: it stays, counted as dead, and no longer blocks its chat."""
        now = self._clock.now()
        async with self._db.write() as session:
            await session.execute(
                update(_T)
                .where(_T.c.id == item_id)
                .values(
                    state=InboxState.DEAD.value,
                    handled_at=now,
                    lease_until=None,
                    last_error=error[:2000],
                )
            )

    async def counts(self) -> InboxStatus:
        """Return how many items wait, died or could not be read."""
        stmt = select(_T.c.state, func.count(), func.min(_T.c.received_at)).group_by(_T.c.state)
        async with self._db.read() as session:
            rows = (await session.execute(stmt)).all()
        by_state = {state: (count, oldest) for state, count, oldest in rows}
        pending, oldest = by_state.get(_PENDING, (0, None))
        return InboxStatus(
            pending=pending,
            dead=by_state.get(InboxState.DEAD.value, (0, None))[0],
            unreadable=by_state.get(InboxState.UNREADABLE.value, (0, None))[0],
            oldest_pending_at=oldest,
        )

    async def prune(self, *, handled_before: datetime, dead_before: datetime) -> int:
        """Forget handled and unreadable items older than the first cutoff, dead ones older
        than the second; return how many.

        The provider-ref uniqueness lasts as long as a row is kept: Telegram may reuse
        ``update_id``s after a week without updates, so rows must not be kept forever.
        """
        settled = (InboxState.DONE.value, InboxState.UNREADABLE.value)
        stmt = delete(_T).where(
            or_(
                and_(_T.c.state.in_(settled), _T.c.received_at < handled_before),
                and_(_T.c.state == InboxState.DEAD.value, _T.c.received_at < dead_before),
            )
        )
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]


def _unleased(now: datetime) -> ColumnElement[bool]:
    return or_(_T.c.lease_until.is_(None), _T.c.lease_until < now)


def _first_state(item: NewInboxItem) -> InboxState:
    return InboxState.UNREADABLE if item.kind is InboxKind.UNREADABLE else InboxState.PENDING
