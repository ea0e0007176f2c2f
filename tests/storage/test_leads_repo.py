"""Leads: references per month unique across processes, one claim wins, history kept."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId
from bot.domain.leads import LeadStatus, NewLead
from bot.storage.db import Database
from bot.storage.repositories.leads import LeadRepo

DEC = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def enquiry(chat: str = "+2348031234567", package: str = "umrah") -> NewLead:
    """Return a confirmed enquiry from one WhatsApp chat."""
    return NewLead(
        channel=ChannelName("whatsapp"),
        chat_id=ChatId(chat),
        language="ha",
        source="t42",
        package=package,
        travel_month="December",
        travellers=3,
        full_name="Ɗanlami Ƙasim 🕋",
        phone=chat,
        note="Muna son ɗakin iyali",
    )


async def test_references_count_per_month_and_start_again_next_month(db: Database) -> None:
    """ATQ-2612-0001, -0002 in December; January starts at ATQ-2701-0001."""
    clock = FrozenClock(DEC)
    leads = LeadRepo(db, clock)
    first = await leads.create(enquiry(), "ATQ")
    second = await leads.create(enquiry("+2348031234568"), "ATQ")
    clock.advance((datetime(2027, 1, 2, 9, 0, tzinfo=UTC) - DEC).total_seconds())
    january = await leads.create(enquiry(), "ATQ")
    assert [first.ref, second.ref, january.ref] == [
        "ATQ-2612-0001",
        "ATQ-2612-0002",
        "ATQ-2701-0001",
    ]
    stored = await leads.get("atq-2612-0001")
    assert stored is not None
    assert (stored.full_name, stored.note, stored.status) == (
        "Ɗanlami Ƙasim 🕋",
        "Muna son ɗakin iyali",
        LeadStatus.NEW,
    )


async def test_two_processes_never_share_a_reference(
    db: Database, db_twin: Callable[[], Database]
) -> None:
    """Twenty leads created at once through two database handles get twenty references."""
    clock = FrozenClock(DEC)
    repos = [LeadRepo(db, clock), LeadRepo(db_twin(), clock)]
    made = await asyncio.gather(
        *(repos[n % 2].create(enquiry(f"+23480312345{n:02d}"), "ATQ") for n in range(20))
    )
    refs = sorted(lead.ref for lead in made)
    assert refs == [f"ATQ-2612-{n:04d}" for n in range(1, 21)]


async def test_of_two_agents_claiming_at_once_exactly_one_owns_the_lead(
    db: Database, db_twin: Callable[[], Database]
) -> None:
    """A conditional update: one claim wins, the other learns who owns it."""
    clock = FrozenClock(DEC)
    lead = await LeadRepo(db, clock).create(enquiry(), "ATQ")
    amina, musa = LeadRepo(db, clock), LeadRepo(db_twin(), clock)
    results = await asyncio.gather(amina.claim(lead.ref, "Amina"), musa.claim(lead.ref, "Musa"))
    assert all(r is not None for r in results)
    winners = [r.lead.owner for r in results if r is not None and r.won]
    assert len(winners) == 1
    assert {r.lead.owner for r in results if r is not None} == set(winners)
    assert await amina.claim("ATQ-2612-9999", "Amina") is None


async def test_every_change_is_kept_with_who_and_when(db: Database) -> None:
    """Created, claimed, contacted, lost (with its reason): the history reads in order."""
    clock = FrozenClock(DEC)
    leads = LeadRepo(db, clock)
    lead = await leads.create(enquiry(), "ATQ")
    await leads.claim(lead.ref, "Amina")
    clock.advance(60)
    await leads.move(lead.ref, LeadStatus.CONTACTED, "Amina")
    lost = await leads.move(lead.ref, LeadStatus.LOST, "Amina", reason="chose another agency")
    assert lost is not None
    assert (lost.status, lost.lost_reason) == (LeadStatus.LOST, "chose another agency")
    history = [(e.kind, e.by, e.detail) for e in await leads.events(lead.ref)]
    assert history == [
        ("created", "whatsapp:+2348031234567", "t42"),
        ("claimed", "Amina", ""),
        ("contacted", "Amina", ""),
        ("lost", "Amina", "chose another agency"),
    ]
    assert await leads.count_since("whatsapp", "+2348031234567", clock.now() - DEC) == 1
