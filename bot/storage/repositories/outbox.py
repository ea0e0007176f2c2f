"""The outbox: messages are written here first, then claimed, sent and settled by workers."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    String,
    and_,
    bindparam,
    case,
    cast,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql import Insert

from bot.core.clock import Clock, SystemClock
from bot.core.ids import OutboxId
from bot.core.messages import OutboundMessage
from bot.domain.outbox import (
    ClaimedItem,
    Failed,
    NewOutboxItem,
    Outcome,
    Released,
    Retry,
    Sent,
    Skipped,
)
from bot.storage.db import Database, table_of
from bot.storage.models import DeliveryProblemRow, OutboxRow, UtcDateTime
from bot.storage.repositories.outbox_reports import OutboxReports, recipient_of

__all__ = [
    "ClaimedItem",
    "Failed",
    "NewOutboxItem",
    "OutboxRepo",
    "Outcome",
    "Released",
    "Retry",
    "Sent",
    "Skipped",
]

logger = logging.getLogger(__name__)

ENQUEUE_CHUNK = 2000
"""Rows per INSERT transaction: big broadcasts never hold SQLite's write lock for long."""

_T = table_of(OutboxRow)


class OutboxRepo(OutboxReports):
    """Enqueue, claim with a lease, and settle outbox rows."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def enqueue(self, items: Sequence[NewOutboxItem]) -> int:
        """Insert new rows, ignoring keys already present; return how many were inserted."""
        now = self._clock.now()
        seen: set[str] = set()
        rows: list[dict[str, Any]] = []
        for item in items:
            if item.idempotency_key in seen:
                continue
            seen.add(item.idempotency_key)
            rows.append(_row_for(item, now))
        inserted = 0
        for start in range(0, len(rows), ENQUEUE_CHUNK):
            stmt = (
                self._db.insert(_T)
                .on_conflict_do_nothing(index_elements=[_T.c.idempotency_key])
                .returning(_T.c.id)
            )
            async with self._db.write() as session:
                result = await session.execute(stmt, rows[start : start + ENQUEUE_CHUNK])
                inserted += len(result.all())
        return inserted

    async def claim_due(
        self,
        worker_id: str,
        limit: int,
        lease_seconds: float,
        *,
        only: Collection[tuple[str, str]] | None = None,
        skip_channels: Collection[str] = (),
    ) -> list[ClaimedItem]:
        """Lease up to ``limit`` due rows to ``worker_id`` in one atomic statement.

        ``only`` limits the claim to rows addressed to those ``(channel, chat_id)`` pairs
        (any thread); None claims every due row, an empty collection none. Rows of
        ``skip_channels`` (down right now) are left as they are, due the moment it is back.
        """
        now = self._clock.now()
        scope: list[Any] = []
        if skip_channels:
            scope.append(_T.c.channel.not_in(sorted(set(skip_channels))))
        if only is not None:
            if not only:
                return []
            # In the statement itself, not a filter after it: a row outside the scope is
            # never leased, so a scoped process (``minbar chat``) cannot take it from the
            # worker it belongs to, not even for the length of a lease.
            scope.append(tuple_(_T.c.channel, _T.c.chat_id).in_(sorted(set(only))))
        due = (
            select(_T.c.id)
            .where(
                or_(
                    and_(_T.c.status == "pending", _T.c.next_attempt_at <= now),
                    and_(_T.c.status == "sending", _T.c.lease_until < now),
                ),
                *scope,
            )
            .order_by(_T.c.next_attempt_at, _T.c.id)
            .limit(limit)
            # PostgreSQL: concurrent claimers skip each other's rows. SQLite drops the
            # clause; its single writer (BEGIN IMMEDIATE) gives the same guarantee.
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(_T)
            .where(_T.c.id.in_(due.scalar_subquery()))
            .values(
                status="sending",
                claimed_by=worker_id,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=_T.c.attempts + 1,
                send_started_at=None,
            )
            .returning(*_T.c)
        )
        async with self._db.write() as session:
            rows = (await session.execute(stmt)).mappings().all()
        ordered = sorted(rows, key=lambda r: (r["next_attempt_at"], r["id"]))
        return [_claimed(row) for row in ordered]

    async def record_outcomes(
        self,
        worker_id: str,
        outcomes: Sequence[Outcome],
        *,
        started: Collection[OutboxId] = (),
    ) -> None:
        """Mark ``started`` rows in flight and settle ``outcomes``, in one transaction.

        Rows no longer leased to ``worker_id`` are left alone.
        """
        if not outcomes and not started:
            return
        now = self._clock.now()
        groups: dict[type, list[dict[str, Any]]] = {}
        for outcome in outcomes:
            groups.setdefault(type(outcome), []).append(_params_for(outcome, now, worker_id))
        applied = 0
        async with self._db.write() as session:
            if started:
                await session.execute(
                    update(_T)
                    .where(
                        _T.c.id.in_(sorted(started)),
                        _T.c.status == "sending",
                        _T.c.claimed_by == worker_id,
                    )
                    .values(send_started_at=now)
                )
            for kind, params in groups.items():
                result = await session.execute(_SETTLE[kind], params)
                applied += max(result.rowcount, 0)  # type: ignore[attr-defined]
            lost = [o.id for o in outcomes if isinstance(o, Skipped) and o.reason in LOST_SKIPS]
            if lost:
                await session.execute(_problems_from(lost, now))
        # asyncpg cannot count rows of an executemany; only SQLite can tell what was skipped.
        if self._db.engine.dialect.supports_sane_multi_rowcount and applied < len(outcomes):
            logger.info(
                "Worker %s settled %d of %d rows; the rest were reclaimed by another worker",
                worker_id,
                applied,
                len(outcomes),
            )

    async def hold_recipient(self, rate_key: str, until: datetime) -> int:
        """Push every pending row of one recipient to ``until``; return rows moved."""
        return await self._hold(_T.c.rate_key == rate_key, until)

    async def hold_channel(self, channel: str, until: datetime) -> int:
        """Push every pending row of a channel to ``until``; return rows moved."""
        return await self._hold(_T.c.channel == channel, until)

    async def reroute_chat(self, channel: str, old_chat_id: str, new_chat_id: str) -> int:
        """Point unsent rows at a chat's new id (Telegram group → supergroup); return rows."""
        thread_suffix = case(
            (_T.c.thread_id.is_(None), literal("")),
            else_=literal("/") + cast(_T.c.thread_id, String),
        )
        stmt = (
            update(_T)
            .where(
                _T.c.channel == channel,
                _T.c.chat_id == old_chat_id,
                _T.c.status.in_(("pending", "sending")),
            )
            .values(
                chat_id=new_chat_id,
                rate_key=literal(f"{channel}:{new_chat_id}") + thread_suffix,
            )
        )
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def _hold(self, where: Any, until: datetime) -> int:
        stmt = (
            update(_T)
            .where(where, _T.c.status == "pending", _T.c.next_attempt_at < until)
            .values(next_attempt_at=until)
        )
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]


def _row_for(item: NewOutboxItem, now: datetime) -> dict[str, Any]:
    recipient = item.message.recipient
    return {
        "idempotency_key": item.idempotency_key,
        "channel": recipient.channel,
        "chat_id": recipient.chat_id,
        "chat_kind": str(recipient.kind),
        "thread_id": recipient.thread_id,
        "rate_key": recipient.key,
        "kind": item.message.kind,
        "payload": item.message.to_payload(),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": item.not_before or now,
        "created_at": now,
        "broadcast_id": item.broadcast_id,
        "topic_id": item.topic_id,
        "subscriber_id": item.subscriber_id,
        "destination_id": item.destination_id,
    }


def _claimed(row: Any) -> ClaimedItem:
    recipient = recipient_of(row["channel"], row["chat_id"], row["chat_kind"], row["thread_id"])
    return ClaimedItem(
        id=OutboxId(row["id"]),
        idempotency_key=row["idempotency_key"],
        message=OutboundMessage.from_payload(recipient, row["payload"]),
        attempts=row["attempts"],
        rate_key=row["rate_key"],
        created_at=row["created_at"],
        broadcast_id=row["broadcast_id"],
        subscriber_id=row["subscriber_id"],
        destination_id=row["destination_id"],
    )


def _settle(**values: Any) -> Any:
    return (
        update(_T)
        .where(
            _T.c.id == bindparam("b_id"),
            _T.c.status == "sending",
            _T.c.claimed_by == bindparam("b_worker"),
        )
        .values(claimed_by=None, lease_until=None, **values)
    )


def _at(name: str) -> Any:
    return bindparam(name, type_=UtcDateTime())


_SETTLE: dict[type, Any] = {
    Sent: _settle(
        status="sent",
        sent_at=_at("b_now"),
        provider_message_id=bindparam("b_provider_id"),
        error_key=None,
        last_error=None,
    ),
    Retry: _settle(
        status="pending",
        next_attempt_at=_at("b_next"),
        error_key=bindparam("b_error_key"),
        last_error=bindparam("b_detail"),
    ),
    Failed: _settle(
        status="failed",
        error_key=bindparam("b_error_key"),
        last_error=bindparam("b_detail"),
    ),
    Skipped: _settle(
        status="skipped",
        error_key=bindparam("b_error_key"),
        last_error=bindparam("b_detail"),
    ),
    Released: _settle(
        status="pending",
        next_attempt_at=_at("b_next"),
        attempts=_T.c.attempts - 1,
    ),
}


def _params_for(outcome: Outcome, now: datetime, worker_id: str) -> dict[str, Any]:
    base: dict[str, Any] = {"b_id": outcome.id, "b_worker": worker_id}
    match outcome:
        case Sent():
            return base | {"b_now": now, "b_provider_id": outcome.provider_message_id}
        case Retry():
            return base | {
                "b_next": outcome.next_attempt_at,
                "b_error_key": outcome.error_key[:64],
                "b_detail": outcome.detail[:500],
            }
        case Failed():
            return base | {"b_error_key": outcome.error_key[:64], "b_detail": outcome.detail[:500]}
        case Skipped():
            return base | {"b_error_key": outcome.reason[:64], "b_detail": outcome.reason[:500]}
        case Released():
            return base | {"b_next": outcome.next_attempt_at}


LOST_SKIPS = frozenset({"outside_window"})
"""Skip reasons that lose a message the person wanted; each becomes a delivery problem."""


def _problems_from(ids: Sequence[OutboxId], now: datetime) -> Insert:
    """Return an INSERT of one delivery problem per skipped row, copied from the row itself."""
    rows = select(
        _T.c.channel,
        _T.c.chat_id,
        _T.c.destination_id,
        literal("skipped"),
        _T.c.kind,
        _T.c.error_key,
        literal("skipped: no free-form message allowed and no template for this kind"),
        literal(now, UtcDateTime()),
        literal(False, Boolean),
    ).where(_T.c.id.in_(sorted(ids)), _T.c.status == "skipped")
    columns = DeliveryProblemRow.__table__.c
    return insert(DeliveryProblemRow).from_select(
        [
            columns.channel,
            columns.chat_id,
            columns.destination_id,
            columns.kind,
            columns.message_kind,
            columns.error_key,
            columns.detail,
            columns.at,
            columns.alerted,
        ],
        rows,
    )
