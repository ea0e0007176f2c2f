"""Leads: stored with a per-month reference, claimed once, every change kept with who and when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import Clock, SystemClock
from bot.core.ids import ChannelName, ChatId
from bot.domain.leads import Claim, Lead, LeadEvent, LeadStatus, NewLead
from bot.storage.db import Database, table_of
from bot.storage.models import LeadEventRow, LeadRow, LeadSequenceRow

__all__ = ["LeadRepo", "reference"]

_SEQ = table_of(LeadSequenceRow)


def reference(prefix: str, at: datetime, number: int) -> str:
    """Return the human reference of a lead: ``ATQ-2612-0042`` (prefix, yymm, number)."""
    return f"{prefix}-{at:%y%m}-{number:04d}"


class LeadRepo:
    """Create, claim and move leads; the history is written in the same transaction."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def create(self, new: NewLead, prefix: str) -> Lead:
        """Store a confirmed enquiry under the next reference of this month; return it."""
        now = self._clock.now()
        period = f"{now:%y%m}"
        # One statement both creates the month's counter and increments it, atomically on
        # SQLite and PostgreSQL, so concurrent processes never share a number.
        bump = (
            self._db.insert(_SEQ)
            .values(period=period, last=1)
            .on_conflict_do_update(index_elements=[_SEQ.c.period], set_={"last": _SEQ.c.last + 1})
            .returning(_SEQ.c.last)
        )
        async with self._db.write() as session:
            number = (await session.execute(bump)).scalar_one()
            row = LeadRow(
                ref=reference(prefix, now, number),
                status=LeadStatus.NEW.value,
                channel=new.channel,
                chat_id=new.chat_id,
                language=new.language,
                source=new.source,
                package=new.package,
                travel_month=new.travel_month,
                travellers=new.travellers,
                full_name=new.full_name,
                phone=new.phone,
                note=new.note,
                escalation=0,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            session.add(_event(row.id, "created", f"{new.channel}:{new.chat_id}", new.source, now))
            return _lead(row)

    async def get(self, ref: str) -> Lead | None:
        """Return the lead with reference ``ref`` (any case), or None."""
        async with self._db.read() as session:
            row = (
                await session.scalars(select(LeadRow).where(LeadRow.ref == ref.upper()))
            ).one_or_none()
            return _lead(row) if row is not None else None

    async def claim(self, ref: str, agent: str) -> Claim | None:
        """Make ``agent`` the owner unless someone was first; None for an unknown reference.

        A conditional update: of two agents pressing at once exactly one owns the lead.
        """
        now = self._clock.now()
        async with self._db.write() as session:
            won = await session.execute(
                update(LeadRow)
                .where(LeadRow.ref == ref, LeadRow.status == LeadStatus.NEW.value)
                .values(status=LeadStatus.CLAIMED.value, owner=agent, updated_at=now)
                .returning(LeadRow.id)
            )
            lead_id = won.scalar_one_or_none()
            if lead_id is not None:
                session.add(_event(lead_id, "claimed", agent, "", now))
            row = (
                await session.scalars(
                    select(LeadRow)
                    .where(LeadRow.ref == ref)
                    .execution_options(populate_existing=True)
                )
            ).one_or_none()
            if row is None:
                return None
            return Claim(won=lead_id is not None, lead=_lead(row))

    async def move(
        self, ref: str, status: LeadStatus, by: str, reason: str | None = None
    ) -> Lead | None:
        """Set the status of a claimed lead (contacted, booked, lost) and record it."""
        now = self._clock.now()
        async with self._db.write() as session:
            row = await _locked(session, ref)
            if row is None:
                return None
            row.status = status.value
            row.updated_at = now
            if status is LeadStatus.LOST:
                row.lost_reason = reason
            session.add(_event(row.id, status.value, by, reason or "", now))
            return _lead(row)

    async def open_for(
        self, channel: str, chat_id: str, package: str, within: timedelta
    ) -> Lead | None:
        """Return this chat's newest open lead for ``package`` created within ``within``."""
        start = self._clock.now() - within
        stmt = (
            select(LeadRow)
            .where(
                LeadRow.channel == channel,
                LeadRow.chat_id == chat_id,
                LeadRow.package == package,
                LeadRow.created_at >= start,
                LeadRow.status.in_([LeadStatus.NEW.value, LeadStatus.CLAIMED.value]),
            )
            .order_by(LeadRow.id.desc())
            .limit(1)
        )
        async with self._db.read() as session:
            row = (await session.scalars(stmt)).one_or_none()
            return _lead(row) if row is not None else None

    async def update_answers(self, ref: str, new: NewLead) -> Lead | None:
        """Replace a lead's answers with a repeat enquiry's, and record it."""
        now = self._clock.now()
        async with self._db.write() as session:
            row = await _locked(session, ref)
            if row is None:
                return None
            row.travel_month, row.travellers = new.travel_month, new.travellers
            row.full_name, row.phone, row.note = new.full_name, new.phone, new.note
            row.updated_at = now
            session.add(_event(row.id, "updated", f"{new.channel}:{new.chat_id}", new.source, now))
            return _lead(row)

    async def unclaimed(self) -> Sequence[Lead]:
        """Return the leads nobody has claimed yet, oldest first."""
        stmt = select(LeadRow).where(LeadRow.status == LeadStatus.NEW.value).order_by(LeadRow.id)
        async with self._db.read() as session:
            return [_lead(r) for r in (await session.scalars(stmt)).all()]

    async def escalate(self, ref: str, level: int, *, from_level: int | None = None) -> bool:
        """Move an unclaimed lead to escalation ``level``; False when already done (or claimed).

        Conditional on the previous level (``from_level``, else ``level - 1``), so of several
        processes exactly one passes it on.
        """
        now = self._clock.now()
        async with self._db.write() as session:
            moved = await session.execute(
                update(LeadRow)
                .where(
                    LeadRow.ref == ref,
                    LeadRow.status == LeadStatus.NEW.value,
                    LeadRow.escalation == (level - 1 if from_level is None else from_level),
                )
                .values(escalation=level, escalated_at=now, updated_at=now)
                .returning(LeadRow.id)
            )
            lead_id = moved.scalar_one_or_none()
            if lead_id is None:
                return False
            session.add(_event(lead_id, "escalated", "minbar", f"level {level}", now))
            return True

    async def reassign(self, ref: str, agent: str | None, by: str) -> Lead | None:
        """Give a lead to ``agent`` (None: unclaim it, back to new) and record who did it."""
        now = self._clock.now()
        async with self._db.write() as session:
            row = await _locked(session, ref)
            if row is None:
                return None
            row.owner = agent
            if agent is None:
                # New again, and its escalation starts over from now.
                row.status = LeadStatus.NEW.value
                row.escalation, row.escalated_at = 0, now
            elif row.status == LeadStatus.NEW.value:
                row.status = LeadStatus.CLAIMED.value
            row.updated_at = now
            kind = "unclaimed" if agent is None else "reassigned"
            session.add(_event(row.id, kind, by, agent or "", now))
            return _lead(row)

    async def purge(self, ref: str) -> bool:
        """Delete one lead and its history (a customer's request); return whether it existed."""
        async with self._db.write() as session:
            row = (await session.scalars(select(LeadRow).where(LeadRow.ref == ref))).one_or_none()
            if row is None:
                return False
            await session.execute(delete(LeadEventRow).where(LeadEventRow.lead_id == row.id))
            await session.delete(row)
            return True

    async def prune(self, created_before: datetime) -> int:
        """Delete the leads created before ``created_before`` and their history (retention)."""
        old = select(LeadRow.id).where(LeadRow.created_at < created_before)
        async with self._db.write() as session:
            await session.execute(delete(LeadEventRow).where(LeadEventRow.lead_id.in_(old)))
            gone = await session.execute(delete(LeadRow).where(LeadRow.created_at < created_before))
            return int(gone.rowcount or 0)  # type: ignore[attr-defined]  # a CursorResult

    async def events(self, ref: str) -> list[LeadEvent]:
        """Return the history of a lead, oldest first."""
        stmt = (
            select(LeadEventRow)
            .join(LeadRow, LeadRow.id == LeadEventRow.lead_id)
            .where(LeadRow.ref == ref)
            .order_by(LeadEventRow.id)
        )
        async with self._db.read() as session:
            return [
                LeadEvent(r.kind, r.by, r.detail, r.at) for r in (await session.scalars(stmt)).all()
            ]

    async def stats(self, since: datetime | None = None) -> dict[tuple[str, str], int]:
        """Return how many leads each (source, status) has, created since ``since``."""
        stmt = select(LeadRow.source, LeadRow.status, func.count()).group_by(
            LeadRow.source, LeadRow.status
        )
        if since is not None:
            stmt = stmt.where(LeadRow.created_at >= since)
        async with self._db.read() as session:
            rows = (await session.execute(stmt)).all()
        return {(source or "", str(status)): int(n) for source, status, n in rows}

    async def count_since(self, channel: str, chat_id: str, since: timedelta) -> int:
        """Return how many leads one chat created in the last ``since``."""
        start = self._clock.now() - since
        stmt = select(func.count()).where(
            LeadRow.channel == channel, LeadRow.chat_id == chat_id, LeadRow.created_at >= start
        )
        async with self._db.read() as session:
            return int((await session.execute(stmt)).scalar_one())

    async def latest(
        self,
        limit: int | None = 20,
        *,
        status: LeadStatus | None = None,
        since: datetime | None = None,
    ) -> Sequence[Lead]:
        """Return the newest leads first, optionally of one status or since a moment."""
        stmt = select(LeadRow).order_by(LeadRow.id.desc())
        if status is not None:
            stmt = stmt.where(LeadRow.status == status.value)
        if since is not None:
            stmt = stmt.where(LeadRow.created_at >= since)
        if limit is not None:
            stmt = stmt.limit(limit)
        async with self._db.read() as session:
            return [_lead(r) for r in (await session.scalars(stmt)).all()]


async def _locked(session: AsyncSession, ref: str) -> LeadRow | None:
    """Return the lead row ``ref``, locked for this transaction (PostgreSQL), or None."""
    stmt = select(LeadRow).where(LeadRow.ref == ref).with_for_update()
    return (await session.scalars(stmt)).one_or_none()


def _event(lead_id: int, kind: str, by: str, detail: str | None, at: datetime) -> LeadEventRow:
    return LeadEventRow(lead_id=lead_id, kind=kind, by=by[:100], detail=(detail or "")[:500], at=at)


def _lead(row: LeadRow) -> Lead:
    return Lead(
        id=row.id,
        ref=row.ref,
        status=LeadStatus(row.status),
        channel=ChannelName(row.channel),
        chat_id=ChatId(row.chat_id),
        language=row.language,
        source=row.source,
        package=row.package,
        travel_month=row.travel_month,
        travellers=row.travellers,
        full_name=row.full_name,
        phone=row.phone,
        note=row.note,
        owner=row.owner,
        lost_reason=row.lost_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        escalation=row.escalation,
        escalated_at=row.escalated_at,
    )
