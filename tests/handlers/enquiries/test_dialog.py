"""The enquiry on Telegram and WhatsApp: one flow, every answer checked, a lead at the end."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.clock import FrozenClock
from bot.storage.db import Database
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.settings import EnquirySettings
from tests.handlers.conftest import WA_NUMBER, drain, inbound, make_context, press, wa
from tests.handlers.enquiries.conftest import AGENT_TG, AGENT_WA, SETTINGS


@pytest.fixture
def router(ctx: HandlerContext) -> Dispatcher:
    """The dispatcher of every feature."""
    return build_dispatcher(ctx)


async def said(ctx: HandlerContext) -> list[str]:
    """Drain the outbox; return the texts to customers (not the agents' cards)."""
    return [i.message.plain_text for i in await drain(ctx) if i.message.kind != "lead_alert"]


async def test_a_telegram_customer_completes_the_enquiry_with_buttons(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """/enquire promo1, then presses and typing; the lead is stored with its source."""
    await router.handle(inbound("/enquire promo1"))
    [menu] = await drain(ctx)
    assert menu.message.plain_text == "Which package are you asking about?"
    assert [(c.label, c.data) for c in menu.message.choices] == [
        ("Umrah · from ₦4.5m", "enq:umrah"),
        ("Ramadan Umrah", "enq:ramadan_umrah"),
        ("Hajj", "enq:hajj"),
        ("Other", "enq:other"),
    ]
    await router.handle(press("enq:umrah"))
    [months] = await drain(ctx)
    assert [c.data for c in months.message.choices][:2] == [
        "enq:November 2026",
        "enq:December 2026",
    ]
    await router.handle(press("enq:December 2026"))
    await router.handle(press("enq:3"))
    await router.handle(inbound("Ɗanlami Ƙasim 🕋"))
    await drain(ctx)
    await router.handle(inbound("0803 123 4567"))
    [note] = await drain(ctx)
    assert note.message.plain_text.startswith("Anything the agent should know?")
    await router.handle(press("enq:skip"))
    [summary] = await drain(ctx)
    assert summary.message.plain_text == (
        "Please check your enquiry:\nPackage: Umrah\nMonth: December 2026\nTravellers: 3\n"
        "Name: Ɗanlami Ƙasim 🕋\nPhone: +2348031234567"
    )
    await router.handle(press("enq:confirm"))
    sent = await drain(ctx)
    [thanks] = [i.message.plain_text for i in sent if i.message.kind == "reply"]
    cards = [i for i in sent if i.message.kind == "lead_alert"]
    assert thanks == (
        "Thank you, Ɗanlami Ƙasim 🕋. Your reference is ATQ-2611-0001.\n"
        "An agent will contact you soon.\nWhatsApp: https://wa.me/2348011112222\n"
        "Phone: 0801 111 2222"
    )
    assert sorted(c.message.recipient.key for c in cards) == [
        f"telegram:{AGENT_TG}",
        f"whatsapp:{AGENT_WA}",
    ]
    lead = await ctx.repos.leads.get("ATQ-2611-0001")
    assert lead is not None
    assert (lead.package, lead.travel_month, lead.travellers, lead.phone, lead.source) == (
        "umrah",
        "December 2026",
        3,
        "+2348031234567",
        "promo1",
    )
    card = next(c.message for c in cards if c.message.recipient.channel == "telegram")
    assert "WhatsApp: https://wa.me/2348031234567" in card.plain_text
    assert [c.data for c in card.choices] == ["lead:c:ATQ-2611-0001"]
    assert not any((c.url or "").startswith("tg://") for c in card.choices)


async def test_a_whatsapp_customer_types_words_and_numbers(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """UMRAH T42 preselects the package; free text answers; the own number is confirmed."""
    await router.handle(wa("UMRAH T42"))
    [months] = await drain(ctx)
    assert months.message.plain_text.startswith("When would you like to travel?")
    for text in ("december", "2 adults and 1 child", "Aisha Bello", "1", "Family room, please"):
        await router.handle(wa(text))
    *_, summary = await said(ctx)
    assert "Travellers: 3" in summary
    assert f"Phone: {WA_NUMBER}" in summary
    assert "Note: Family room, please" in summary
    await router.handle(wa("1"))  # Confirm
    [thanks] = await said(ctx)
    assert thanks.startswith("Thank you, Aisha Bello. Your reference is ATQ-2611-0001.")
    lead = await ctx.repos.leads.get("ATQ-2611-0001")
    assert lead is not None
    # "december" names the "December 2026" option, so it picks it.
    assert (lead.source, lead.channel, lead.travel_month) == ("t42", "whatsapp", "December 2026")


@pytest.mark.parametrize(
    ("step_answers", "bad", "problem"),
    [
        (["december"], "51", "How many people will travel? A number from 1 to 50."),
        (["december", "2", "Aisha"], "012345678", "That is not a mobile number I can use."),
        ([], "next year", "Which month? For example: December, or Ramadan."),
    ],
)
async def test_a_bad_answer_gets_the_question_again_with_an_example(
    ctx: HandlerContext,
    router: Dispatcher,
    step_answers: list[str],
    bad: str,
    problem: str,
) -> None:
    """Out of range, a landline, an unknown month: a helpful re-prompt, the dialog stays."""
    await router.handle(wa("UMRAH"))
    for text in step_answers:
        await router.handle(wa(text))
    await drain(ctx)
    await router.handle(wa(bad))
    [again] = await said(ctx)
    assert again.startswith(problem)
    state = await ctx.repos.dialogs.get("whatsapp", WA_NUMBER)
    assert state is not None
    assert state.flow == "enquiry"


async def test_back_goes_one_question_up_and_a_long_note_is_trimmed(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """BACK at the travellers question asks the month again; 10,000 characters are cut."""
    await router.handle(wa("UMRAH"))
    await router.handle(wa("december"))
    await drain(ctx)
    await router.handle(wa("BACK"))
    [month] = await said(ctx)
    assert month.startswith("When would you like to travel?")
    for text in ("march", "1", "Aisha", "1", "ب" * 10_000):
        await router.handle(wa(text))
    *_, summary = await said(ctx)
    assert "(Your note was long, so only its beginning is kept.)" in summary
    assert "Month: March" in summary


async def test_a_restart_mid_dialog_resumes_at_the_same_question(
    db: Database, clock: FrozenClock
) -> None:
    """A new process (context and dispatcher) on the same database takes the next answer."""
    first = make_context(db, clock, settings=SETTINGS)
    await build_dispatcher(first).handle(wa("HAJJ"))
    await build_dispatcher(first).handle(wa("december"))
    await drain(first)
    later = make_context(db, clock, settings=SETTINGS)
    await build_dispatcher(later).handle(wa("4"))
    [name] = await said(later)
    assert name.startswith("Your full name, please?")


async def test_the_per_day_limit_stops_a_fourth_lead(db: Database, clock: FrozenClock) -> None:
    """After three leads in 24 hours a customer is asked to wait for the agent's call."""
    # 28 messages in the same instant: above the per-minute pace, which is not this test's.
    ctx = make_context(db, clock, settings=replace(SETTINGS, inbound_per_minute=100))
    router = build_dispatcher(ctx)
    for package in ("1", "2", "3", "4"):  # four different packages
        await router.handle(wa("ENQUIRE"))
        for text in (package, "december", "1", "Aisha", "1", "no"):
            await router.handle(wa(text))
        await router.handle(wa("1"))
    texts = await said(ctx)
    assert texts[-1] == (
        "You have sent 3 enquiries today; an agent will answer them. Please wait for their call."
    )
    assert len(await ctx.repos.leads.latest()) == 3


async def test_the_same_package_again_within_a_day_updates_the_open_lead(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """A second Umrah enquiry the same day changes the first lead; no second reference."""
    for travellers in ("2", "5"):
        await router.handle(wa("UMRAH"))
        for text in ("december", travellers, "Aisha", "1", "no"):
            await router.handle(wa(text))
        await router.handle(wa("1"))
    *_, updated = await said(ctx)
    assert updated.startswith("Your enquiry ATQ-2611-0001 is updated.")
    [lead] = await ctx.repos.leads.latest()
    assert lead.travellers == 5
    assert [e.kind for e in await ctx.repos.leads.events(lead.ref)] == ["created", "updated"]


async def test_enquiries_switched_off_say_so(db: Database, clock: FrozenClock) -> None:
    """Without [enquiries] enabled, /enquire says they are not open rather than starting."""
    off = make_context(db, clock, settings=replace(SETTINGS, enquiries=EnquirySettings()))
    await build_dispatcher(off).handle(inbound("/enquire"))
    assert await said(off) == ["Enquiries are not open here yet."]


async def test_a_deep_link_start_opens_the_enquiry_with_its_source(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """/start enq_t42 (an ad's t.me link) opens the package question, source kept."""
    await router.handle(inbound("/start enq_t42"))
    [menu] = await drain(ctx)
    assert menu.message.plain_text == "Which package are you asking about?"
    state = await ctx.repos.dialogs.get("telegram", "2002")
    assert state is not None
    assert state.data["source"] == "t42"


async def test_a_click_to_whatsapp_ad_opens_the_enquiry_with_the_ad_as_source(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """Whatever the first words, a message from an ad starts the enquiry; the ad is kept."""
    await router.handle(replace(wa("Salam, I saw your advert"), referral="120210"))
    [menu] = await said(ctx)
    assert menu == "Which package are you asking about?"
    state = await ctx.repos.dialogs.get("whatsapp", WA_NUMBER)
    assert state is not None
    assert state.data["source"] == "ad_120210"


async def test_a_templates_quick_reply_payload_opens_the_enquiry_with_its_source(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """A promotion's quick-reply button (ButtonPayload enq:promo9) enters with that source."""
    await router.handle(replace(wa("Enquire"), choice_data="enq:promo9"))
    [menu] = await said(ctx)
    assert menu == "Which package are you asking about?"
    state = await ctx.repos.dialogs.get("whatsapp", WA_NUMBER)
    assert state is not None
    assert state.data["source"] == "promo9"
