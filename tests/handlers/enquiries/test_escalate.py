"""Business hours and escalation: an unclaimed lead goes to the next agent, then the admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FrozenClock
from bot.domain.outbox import Failed, Sent
from bot.storage.db import Database
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.enquiries.escalate import escalate_unclaimed
from handlers.enquiries.hours import is_open, next_open, open_minutes
from handlers.settings import LAGOS, BusinessHours
from tests.handlers.conftest import ADMIN_ID, drain, inbound, make_context, outbox_of, wa
from tests.handlers.enquiries.conftest import AGENT_TG, AGENT_WA, SETTINGS, confirm_enquiry

HOURS = BusinessHours()
REF = "ATQ-2611-0001"


def lagos(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a moment of November 2026 in Lagos time (the 27th is a Friday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LAGOS)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (lagos(26, 17, 50), lagos(27, 8, 10), 20),  # Thursday evening to Friday morning
        (lagos(27, 12, 0), lagos(27, 14, 30), 60),  # Friday's Jumu'ah break does not count
        (lagos(29, 9, 0), lagos(29, 17, 0), 0),  # Sunday is closed
        (lagos(28, 17, 0), lagos(30, 9, 0), 120),  # Saturday's last hour, Monday's first
    ],
)
def test_only_business_minutes_count(start: datetime, end: datetime, minutes: float) -> None:
    """Minutes outside the opening hours, Sunday and the Friday break are not counted."""
    assert open_minutes(start, end, HOURS, LAGOS) == pytest.approx(minutes)


def test_the_next_opening_is_found_across_the_weekend() -> None:
    """Saturday 19:00 → Monday 08:00; Friday 13:00 (Jumu'ah) → 14:00; open now → now."""
    assert next_open(lagos(28, 19, 0), HOURS, LAGOS) == lagos(30, 8, 0)
    assert next_open(lagos(27, 13, 0), HOURS, LAGOS) == lagos(27, 14, 0)
    assert next_open(lagos(27, 10, 0), HOURS, LAGOS) == lagos(27, 10, 0)
    assert not is_open(lagos(27, 13, 0), HOURS, LAGOS)


async def confirmed(ctx: HandlerContext) -> None:
    """Have a WhatsApp customer confirm one enquiry, and drain what it queued."""
    await confirm_enquiry(build_dispatcher(ctx))
    await drain(ctx)


async def test_an_unclaimed_lead_goes_to_each_agent_then_the_admins_once(
    db: Database, clock: FrozenClock
) -> None:
    """15 business minutes each: Amina is reminded, then Musa, then the admins; never again."""
    ctx = make_context(db, clock, settings=SETTINGS)  # Friday 10:00 in Lagos: open
    await confirmed(ctx)
    steps = []
    for _ in range(5):
        clock.advance(16 * 60)
        await escalate_unclaimed(ctx, clock.now())
        steps.append(sorted(i.message.recipient.key for i in await drain(ctx)))
    assert steps == [
        [f"telegram:{AGENT_TG}"],
        [f"whatsapp:{AGENT_WA}"],
        [f"telegram:{ADMIN_ID}"],
        [],
        [],
    ]
    again = make_context(db, clock, settings=SETTINGS)  # a restart tells nobody twice
    clock.advance(60 * 60)
    await escalate_unclaimed(again, clock.now())
    assert await drain(again) == []
    history = [e.kind for e in await ctx.repos.leads.events(REF)]
    assert history == ["created", "escalated", "escalated", "escalated"]


async def test_a_claimed_lead_is_not_passed_on(db: Database, clock: FrozenClock) -> None:
    """Once claimed the escalation stops, however long it waits."""
    ctx = make_context(db, clock, settings=SETTINGS)
    await confirmed(ctx)
    await ctx.repos.leads.claim(REF, "Amina")
    clock.advance(3 * 60 * 60)
    await escalate_unclaimed(ctx, clock.now())
    assert await drain(ctx) == []


async def test_out_of_hours_the_customer_hears_when_to_expect_an_answer(db: Database) -> None:
    """Confirmed on Saturday night: the escalation clock waits for Monday, and so is told."""
    saturday = FrozenClock(lagos(28, 20, 0).astimezone(UTC))
    ctx = make_context(db, saturday, settings=SETTINGS)
    router = build_dispatcher(ctx)
    await router.handle(wa("UMRAH"))
    for text in ("december", "2", "Aisha Bello", "1", "no"):
        await router.handle(wa(text))
    await drain(ctx)
    await router.handle(wa("1"))
    [thanks] = [i.message.plain_text for i in await drain(ctx) if i.message.kind == "reply"]
    assert "Our agents are away now; expect an answer from Mon 30 Nov 2026, 08:00." in thanks
    saturday.advance(timedelta(hours=11).total_seconds())  # Sunday 07:00: still closed
    await escalate_unclaimed(ctx, saturday.now())
    assert await drain(ctx) == []


async def test_a_lead_whose_cards_reach_no_agent_goes_to_the_admins_at_once(
    db: Database, clock: FrozenClock
) -> None:
    """Both agents' cards failed (a Telegram agent who never pressed Start: 403): no waiting."""
    ctx = make_context(db, clock, settings=SETTINGS)
    router = build_dispatcher(ctx)
    await confirm_enquiry(router)
    outbox = outbox_of(ctx)
    claimed = await outbox.claim_due("test-worker", 100, 60)
    await outbox.record_outcomes(
        "test-worker",
        [
            Failed(c.id, "not_started", "403")
            if c.message.kind == "lead_alert"
            else Sent(c.id, "p")
            for c in claimed
        ],
    )
    await escalate_unclaimed(ctx, clock.now())  # no minute has passed
    [alert] = await drain(ctx)
    assert alert.message.recipient.key == f"telegram:{ADMIN_ID}"
    assert alert.message.plain_text == (
        f"Unclaimed enquiry\nNo agent has claimed enquiry {REF} (Aisha Bello)."
    )
    clock.advance(60 * 60)
    await escalate_unclaimed(ctx, clock.now())
    assert await drain(ctx) == []  # told once
    await router.handle(inbound("/status", sender=ADMIN_ID))
    [status] = [i.message.plain_text for i in await drain(ctx)]
    assert status.endswith(
        "Agents: 2, 2 unreachable\n"
        f"  Amina unreachable on telegram:{AGENT_TG} (not_started)\n"
        f"  Musa unreachable on whatsapp:{AGENT_WA} (not_started)"
    )


async def test_a_reminder_keeps_the_cards_template_values(db: Database, clock: FrozenClock) -> None:
    """Musa's reminder (WhatsApp) can go as the lead_alert template outside his window."""
    ctx = make_context(db, clock, settings=SETTINGS)
    await confirmed(ctx)
    for _ in range(2):
        clock.advance(16 * 60)
        await escalate_unclaimed(ctx, clock.now())
    reminders = [i.message for i in await drain(ctx) if i.message.recipient.chat_id == AGENT_WA]
    [reminder] = reminders
    assert reminder.plain_text.startswith(f"Still unclaimed: {REF}\nNew enquiry {REF}\n")
    assert dict(reminder.template_values) == {
        "ref": REF,
        "name": "Aisha Bello",
        "package": "Umrah",
    }
