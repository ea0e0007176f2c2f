"""Questions about outbox rows: one row, depth, broadcast progress, delivery reports, cards."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, true, update

from bot.core.clock import Clock
from bot.core.ids import ChannelName, ChatId, OutboxId
from bot.core.messages import ChatKind, OutboundMessage, Recipient
from bot.domain.outbox import STATUSES, DeliveryRecord, OutboxEntry
from bot.storage.db import Database, table_of
from bot.storage.models import OutboxRow

_T = table_of(OutboxRow)
_IN_CHUNK = 500
"""Ids per IN (...) list, well under every backend's bound-parameter limit."""


def recipient_of(channel: str, chat_id: str, chat_kind: str, thread_id: int | None) -> Recipient:
    """Return the recipient stored in an outbox row's columns."""
    return Recipient(ChannelName(channel), ChatId(chat_id), ChatKind.parse(chat_kind), thread_id)


class OutboxReports:
    """Read-mostly outbox queries: /status, reports, delivery receipts, features' questions.

    Features get this view (``Repositories.deliveries``), never the enqueueing repository:
    they queue messages only through the outbox port, which also wakes the worker.
    """

    _db: Database
    _clock: Clock

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def skip_pending(self, kind: str, topic_id: int, reason: str) -> int:
        """Skip the not-yet-claimed rows of ``kind`` for a topic (e.g. cards made stale)."""
        stmt = (
            update(_T)
            .where(_T.c.kind == kind, _T.c.topic_id == topic_id, _T.c.status == "pending")
            .values(status="skipped", last_error=reason[:500])
        )
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def skip_pending_for_chat(
        self, channel: str, chat_id: str, thread_id: int | None, reason: str
    ) -> int:
        """Skip the not-yet-claimed rows of one chat (thread) (a destination paused); count them."""
        thread = _T.c.thread_id.is_(None) if thread_id is None else _T.c.thread_id == thread_id
        return await self._skip_pending(channel, chat_id, reason, thread)

    async def skip_pending_to_chat(self, channel: str, chat_id: str, reason: str) -> int:
        """Skip the not-yet-claimed rows of a chat, every thread (it cannot be reached); count."""
        return await self._skip_pending(channel, chat_id, reason, true())

    async def _skip_pending(
        self, channel: str, chat_id: str, reason: str, thread: ColumnElement[bool]
    ) -> int:
        stmt = (
            update(_T)
            .where(_T.c.channel == channel, _T.c.chat_id == chat_id, thread)
            .where(_T.c.status == "pending")
            .values(status="skipped", error_key=reason[:64], last_error=reason[:500])
        )
        async with self._db.write() as session:
            result = await session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def provider_id_of(self, idempotency_key: str) -> str | None:
        """Return the platform's id of the message queued under a key, once it was sent."""
        stmt = select(_T.c.provider_message_id).where(
            _T.c.idempotency_key == idempotency_key, _T.c.status == "sent"
        )
        async with self._db.read() as session:
            found = await session.scalar(stmt)
        return str(found) if found is not None else None

    async def statuses_of(self, idempotency_keys: Collection[str]) -> dict[str, str]:
        """Return the status of each queued key (keys never queued are left out)."""
        if not idempotency_keys:
            return {}
        stmt = select(_T.c.idempotency_key, _T.c.status).where(
            _T.c.idempotency_key.in_(sorted(set(idempotency_keys)))
        )
        async with self._db.read() as session:
            return {str(key): str(status) for key, status in (await session.execute(stmt)).all()}

    async def last_outcome_to(
        self, channel: str, chat_id: str, kind: str
    ) -> tuple[str, str | None] | None:
        """Return (status, error key) of the newest settled row of ``kind`` to one chat."""
        stmt = (
            select(_T.c.status, _T.c.error_key)
            .where(
                _T.c.channel == channel,
                _T.c.chat_id == chat_id,
                _T.c.kind == kind,
                _T.c.status.in_(["sent", "failed"]),
            )
            .order_by(_T.c.id.desc())
            .limit(1)
        )
        async with self._db.read() as session:
            found = (await session.execute(stmt)).first()
        return (str(found[0]), found[1]) if found is not None else None

    async def get(self, id: OutboxId) -> OutboxEntry | None:
        """Return one row by id."""
        async with self._db.read() as session:
            row = await session.get(OutboxRow, id)
            if row is None:
                return None
            return OutboxEntry(
                id=OutboxId(row.id),
                idempotency_key=row.idempotency_key,
                recipient=recipient_of(row.channel, row.chat_id, row.chat_kind, row.thread_id),
                kind=row.kind,
                payload=dict(row.payload),
                status=row.status,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
                claimed_by=row.claimed_by,
                lease_until=row.lease_until,
                provider_message_id=row.provider_message_id,
                provider_status=row.provider_status,
                error_key=row.error_key,
                last_error=row.last_error,
                created_at=row.created_at,
                sent_at=row.sent_at,
                broadcast_id=row.broadcast_id,
                topic_id=row.topic_id,
                subscriber_id=row.subscriber_id,
                destination_id=row.destination_id,
            )

    async def next_due_at(self) -> datetime | None:
        """Return when the next row becomes claimable (pending due time or lease expiry)."""
        pending = select(func.min(_T.c.next_attempt_at)).where(_T.c.status == "pending")
        leased = select(func.min(_T.c.lease_until)).where(_T.c.status == "sending")
        async with self._db.read() as session:
            times = [await session.scalar(pending), await session.scalar(leased)]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    async def depth_by_status(self) -> dict[str, int]:
        """Return the number of rows in each status (every status present, zeros included)."""
        stmt = select(_T.c.status, func.count()).group_by(_T.c.status)
        async with self._db.read() as session:
            counts = {str(s): int(n) for s, n in (await session.execute(stmt)).all()}
        return {status: counts.get(status, 0) for status in STATUSES} | counts

    async def broadcast_progress(self, broadcast_id: int) -> dict[str, int]:
        """Count a broadcast's rows by status, plus ``total`` and ``provider_<status>`` counts."""
        by_status = (
            select(_T.c.status, func.count())
            .where(_T.c.broadcast_id == broadcast_id)
            .group_by(_T.c.status)
        )
        by_provider = (
            select(_T.c.provider_status, func.count())
            .where(_T.c.broadcast_id == broadcast_id, _T.c.provider_status.is_not(None))
            .group_by(_T.c.provider_status)
        )
        async with self._db.read() as session:
            statuses = {str(s): int(n) for s, n in (await session.execute(by_status)).all()}
            providers = {str(s): int(n) for s, n in (await session.execute(by_provider)).all()}
        report = {status: statuses.get(status, 0) for status in STATUSES} | statuses
        report["total"] = sum(statuses.values())
        report.update({f"provider_{s}": n for s, n in providers.items()})
        return report

    async def skipped_topic_alerts(
        self, reason: str, start: datetime, end: datetime
    ) -> dict[int, list[int]]:
        """Return ``subscriber id -> topic ids`` of alerts skipped for ``reason`` in a span."""
        stmt = (
            select(_T.c.subscriber_id, _T.c.topic_id)
            .where(
                _T.c.status == "skipped",
                _T.c.error_key == reason[:64],
                _T.c.subscriber_id.is_not(None),
                _T.c.topic_id.is_not(None),
                _T.c.created_at >= start,
                _T.c.created_at < end,
            )
            .order_by(_T.c.subscriber_id, _T.c.id)
        )
        async with self._db.read() as session:
            rows = (await session.execute(stmt)).all()
        found: dict[int, list[int]] = {}
        for subscriber_id, topic_id in rows:
            topics = found.setdefault(int(subscriber_id), [])
            if int(topic_id) not in topics:
                topics.append(int(topic_id))
        return found

    async def sent_cards(self, kind: str, topic_id: int) -> list[tuple[Recipient, str]]:
        """Return recipient and provider message id of each sent message of ``kind`` about a topic.

        Later edits of those messages (rows with ``edit_of``) are left out: they are not cards.
        """
        stmt = (
            select(
                _T.c.channel,
                _T.c.chat_id,
                _T.c.chat_kind,
                _T.c.thread_id,
                _T.c.provider_message_id,
                _T.c.payload,
            )
            .where(
                _T.c.kind == kind,
                _T.c.topic_id == topic_id,
                _T.c.status == "sent",
                _T.c.provider_message_id.is_not(None),
            )
            .order_by(_T.c.id)
        )
        async with self._db.read() as session:
            rows = (await session.execute(stmt)).all()
        return [
            (recipient_of(channel, chat_id, chat_kind, thread_id), str(provider_id))
            for channel, chat_id, chat_kind, thread_id, provider_id, payload in rows
            if not (payload or {}).get("edit_of")
        ]

    async def record_provider_statuses(
        self,
        reports: Sequence[tuple[str, str, str | None]],
        rank: Callable[[str], int],
    ) -> tuple[list[DeliveryRecord], set[str]]:
        """Apply many ``(provider id, status, error key)`` reports in one transaction.

        Returns the rows whose status moved forward (with the report applied) and the provider
        ids no row carries yet. Reports for one id are applied in rank order, so a batch that
        holds both "sent" and "delivered" ends at "delivered".
        """
        if not reports:
            return [], set()
        ids = sorted({sid for sid, _, _ in reports})
        advanced: dict[int, DeliveryRecord] = {}
        async with self._db.write() as session:
            found: dict[str, OutboxRow] = {}
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                stmt = (
                    select(OutboxRow)
                    .where(OutboxRow.provider_message_id.in_(chunk))
                    .order_by(OutboxRow.id)
                    .with_for_update()
                )
                for match in (await session.scalars(stmt)).all():
                    found[str(match.provider_message_id)] = match  # the newest row wins
            for sid, status, error_key in sorted(reports, key=lambda r: rank(r[1])):
                row = found.get(sid)
                if row is None:
                    continue
                if row.provider_status is not None and rank(status) <= rank(row.provider_status):
                    continue
                row.provider_status = status
                if error_key is not None:
                    row.error_key = error_key[:64]
                    row.last_error = f"provider reported {status} ({error_key})"[:500]
                advanced[row.id] = _record(row)
        return list(advanced.values()), {sid for sid in ids if sid not in found}


def _record(row: OutboxRow) -> DeliveryRecord:
    recipient = recipient_of(row.channel, row.chat_id, row.chat_kind, row.thread_id)
    return DeliveryRecord(
        id=OutboxId(row.id),
        idempotency_key=row.idempotency_key,
        message=OutboundMessage.from_payload(recipient, row.payload),
        provider_status=str(row.provider_status),
        error_key=row.error_key,
        broadcast_id=row.broadcast_id,
        topic_id=row.topic_id,
        subscriber_id=row.subscriber_id,
        destination_id=row.destination_id,
    )
