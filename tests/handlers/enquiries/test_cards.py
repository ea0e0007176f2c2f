"""Lead cards: the first claim owns the lead, cards follow it, the customer hears who calls."""

from __future__ import annotations

import pytest

from bot.core.clock import FrozenClock
from bot.domain.leads import LeadStatus
from bot.storage.db import Database
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from tests.handlers.conftest import WA_NUMBER, drain, make_context, press, wa
from tests.handlers.enquiries.conftest import AGENT_TG, AGENT_WA, SETTINGS, confirm_enquiry

REF = "ATQ-2611-0001"


@pytest.fixture
async def router(ctx: HandlerContext) -> Dispatcher:
    """The dispatcher, after a WhatsApp customer confirmed one enquiry (cards sent)."""
    router = build_dispatcher(ctx)
    await confirm_enquiry(router)
    await drain(ctx)
    return router


async def test_the_first_agent_to_claim_owns_the_lead_and_every_card_follows(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """Amina presses Claim: she is told, her card is edited, Musa and the customer hear."""
    await router.handle(press(f"lead:c:{REF}", sender=AGENT_TG))
    sent = await drain(ctx)
    by = {(i.message.recipient.key, i.message.kind): i.message for i in sent}
    assert (
        by[(f"telegram:{AGENT_TG}", "reply")].plain_text
        == f"{REF} is yours: please contact the customer."
    )
    edited = by[(f"telegram:{AGENT_TG}", "lead_alert")]
    assert edited.edit_of is not None
    assert edited.plain_text.endswith(f"{REF}: claimed by Amina")
    assert [c.data for c in edited.choices] == [f"lead:t:{REF}", f"lead:b:{REF}", f"lead:l:{REF}"]
    assert by[(f"whatsapp:{AGENT_WA}", "lead_alert")].plain_text == f"{REF}: claimed by Amina"
    customer = by[(f"whatsapp:{WA_NUMBER}", "reply")]
    assert customer.plain_text == f"Amina will contact you about your enquiry {REF}."
    lead = await ctx.repos.leads.get(REF)
    assert lead is not None
    assert (lead.status, lead.owner) == (LeadStatus.CLAIMED, "Amina")


async def test_a_second_claim_is_told_who_owns_it(ctx: HandlerContext, router: Dispatcher) -> None:
    """Musa types #REF claim after Amina: he learns the owner; nothing else changes."""
    await router.handle(press(f"lead:c:{REF}", sender=AGENT_TG))
    await drain(ctx)
    await router.handle(wa(f"#{REF.lower()} claim", number=AGENT_WA))
    [answer] = [i.message.plain_text for i in await drain(ctx)]
    assert answer == f"{REF} is already claimed by Amina."


async def test_only_the_owner_moves_the_lead_and_lost_keeps_its_reason(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """Musa may not mark Amina's lead; Amina marks it contacted, then lost with a reason."""
    await router.handle(press(f"lead:c:{REF}", sender=AGENT_TG))
    await drain(ctx)
    await router.handle(wa(f"#{REF} booked", number=AGENT_WA))
    [refused] = [i.message.plain_text for i in await drain(ctx)]
    assert refused == f"{REF} is owned by Amina: claim it first."
    await router.handle(press(f"lead:t:{REF}", sender=AGENT_TG))
    await drain(ctx)
    lead = await ctx.repos.leads.get(REF)
    assert lead is not None
    assert lead.status is LeadStatus.CONTACTED
    history = [(e.kind, e.by) for e in await ctx.repos.leads.events(REF)]
    assert history == [
        ("created", f"whatsapp:{WA_NUMBER}"),
        ("claimed", "Amina"),
        ("contacted", "Amina"),
    ]


async def test_someone_who_is_no_agent_cannot_claim(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """A stranger pressing an old card's Claim (or typing it) is refused, the lead stays new."""
    await router.handle(press(f"lead:c:{REF}", sender="4040"))
    await router.handle(wa(f"#{REF} claim"))
    answers = [i.message.plain_text for i in await drain(ctx)]
    assert answers == ["Only the agency's travel agents can act on enquiries."] * 2
    lead = await ctx.repos.leads.get(REF)
    assert lead is not None
    assert lead.status is LeadStatus.NEW


async def test_an_agent_reads_the_card_in_their_language(db: Database, clock: FrozenClock) -> None:
    """Musa chose Hausa: his card's labels are Hausa, the customer's answers stay as typed."""
    ctx = make_context(db, clock, settings=SETTINGS)
    await ctx.repos.subscribers.set_language("whatsapp", AGENT_WA, "private", "ha")
    router = build_dispatcher(ctx)
    await confirm_enquiry(router, name="Ɗanlami Ƙasim")
    cards = [i.message for i in await drain(ctx) if i.message.kind == "lead_alert"]
    hausa = next(c for c in cards if c.recipient.chat_id == AGENT_WA)
    assert hausa.plain_text.startswith(f"Sabuwar tambaya {REF}\n")
    assert "Ɗanlami Ƙasim" in hausa.plain_text
