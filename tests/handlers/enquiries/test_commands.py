"""/leads and /lead: admins and agents see the enquiries and a lead's history; others do not."""

from __future__ import annotations

import pytest

from handlers import build_dispatcher
from handlers.command_menu import command_menus
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from tests.handlers.conftest import ADMIN_ID, drain, inbound, press
from tests.handlers.enquiries.conftest import AGENT_TG, confirm_enquiry

REF = "ATQ-2611-0001"


@pytest.fixture
async def router(ctx: HandlerContext) -> Dispatcher:
    """The dispatcher, after one confirmed WhatsApp enquiry that Amina claimed."""
    router = build_dispatcher(ctx)
    await confirm_enquiry(router, "UMRAH promo7")
    await router.handle(press(f"lead:c:{REF}", sender=AGENT_TG))
    await drain(ctx)
    return router


async def test_an_agent_lists_the_leads_and_reads_one_with_its_history(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """/leads shows the claimed lead; /lead REF shows its answers and who did what."""
    await router.handle(inbound("/leads", sender=AGENT_TG))
    await router.handle(inbound(f"/lead {REF.lower()}", sender=AGENT_TG))
    listing, detail = [i.message.plain_text for i in await drain(ctx)]
    assert listing.startswith("1 enquiry\n")
    assert f"{REF} · claimed · umrah · Aisha Bello · " in listing
    assert listing.endswith(" · promo7")
    assert "Owner: Amina" in detail
    assert "History\n" in detail
    assert " · created · whatsapp:+2348011111111 · promo7" in detail
    assert detail.endswith(" · claimed · Amina")


async def test_an_admin_filters_by_status_and_a_stranger_is_refused(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """/leads new is empty once claimed; /leads from a customer gets the refusal."""
    await router.handle(inbound("/leads new", sender=ADMIN_ID))
    await router.handle(inbound("/leads nonsense", sender=ADMIN_ID))
    await router.handle(inbound("/leads", sender="5555"))
    empty, unknown, refused = [i.message.plain_text for i in await drain(ctx)]
    assert empty == "No enquiries yet."
    assert unknown.startswith("Unknown status nonsense: use one of new, claimed,")
    assert refused.startswith("Sorry, only the forum's admins can use /leads.")


async def test_an_agents_telegram_menu_lists_the_lead_commands(ctx: HandlerContext) -> None:
    """The agent's chat menu has /leads and /lead but not /status; an admin's has all three."""
    menus = {m.chat_id: m.commands for m in await command_menus(ctx, "telegram")}
    assert {"leads", "lead"} <= set(menus[AGENT_TG])
    assert "status" not in menus[AGENT_TG]
    assert {"leads", "lead", "status"} <= set(menus[ADMIN_ID])
    assert "leads" not in menus[None]  # the public menu


async def test_an_admin_reassigns_and_unclaims_a_lead(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """/reassign REF Musa moves it (cards follow); /unclaim makes it new again; both recorded."""
    await router.handle(inbound(f"/reassign {REF} musa", sender=ADMIN_ID))
    sent = await drain(ctx)
    answers = [i.message.plain_text for i in sent if i.message.kind == "reply"]
    assert answers == [f"{REF} now belongs to Musa."]
    assert any(i.message.kind == "lead_alert" for i in sent)  # the cards show the new owner
    await router.handle(inbound(f"/unclaim {REF}", sender=ADMIN_ID))
    await router.handle(inbound("/reassign nothing", sender=ADMIN_ID))
    unclaimed, usage = [i.message.plain_text for i in await drain(ctx) if i.message.kind == "reply"]
    assert unclaimed == f"{REF} is new again."
    assert usage == "Usage: /reassign <reference> <agent name>. Agents: Amina, Musa"
    lead = await ctx.repos.leads.get(REF)
    assert lead is not None
    assert (lead.status.value, lead.owner, lead.escalation) == ("new", None, 0)
    kinds = [e.kind for e in await ctx.repos.leads.events(REF)]
    assert kinds[-2:] == ["reassigned", "unclaimed"]


async def test_an_agent_may_not_reassign(ctx: HandlerContext, router: Dispatcher) -> None:
    """Reassigning is the admins': an agent is refused."""
    await router.handle(inbound(f"/reassign {REF} Amina", sender=AGENT_TG))
    [refused] = [i.message.plain_text for i in await drain(ctx)]
    assert refused == "Sorry, only the forum's admins can use /reassign."


async def test_leadstats_counts_per_source_and_status(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """/leadstats: the claimed promo7 lead and a new one without a source, busiest first."""
    await confirm_enquiry(router, "HAJJ", number="+2348022200002", name="Musa")
    await drain(ctx)
    await router.handle(inbound("/leadstats", sender=AGENT_TG))
    [stats] = [i.message.plain_text for i in await drain(ctx)]
    assert stats == "Enquiries of the last 30 days\n—: 1 (new 1)\npromo7: 1 (claimed 1)"
