"""A lead nobody claims is passed on: to the next agent, then to the admins — once each.

Counted in business minutes only (``[enquiries.hours]``), from the lead's creation or its
last escalation. The step is taken by a conditional update first, so a restart or a second
process never repeats it, and the reminder's outbox key is the step's own.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.core.messages import Span, bold, plain
from bot.domain.leads import Lead
from bot.domain.outbox import NewOutboxItem
from bot.i18n import Speech
from handlers.alerts import AlertText, alert_admins
from handlers.context import HandlerContext
from handlers.enquiries.cards import card_key, render_card
from handlers.enquiries.hours import open_minutes
from handlers.feature import Job

logger = logging.getLogger(__name__)

UNDELIVERED = frozenset({"failed", "skipped"})
"""Outbox states of a card that will never reach its agent."""


async def escalate_unclaimed(ctx: HandlerContext, now: datetime) -> None:
    """Pass on every lead left unclaimed for longer than ``escalate_after`` business minutes."""
    settings = ctx.settings.enquiries
    if not settings.enabled:
        return
    hours = settings.hours
    for lead in await ctx.repos.leads.unclaimed():
        if await _no_agent_reached(lead, ctx):
            continue
        since = lead.escalated_at or lead.created_at
        if open_minutes(since, now, hours, ctx.tz) < hours.escalate_after_minutes:
            continue
        level = lead.escalation + 1
        agents = settings.agents
        if level > len(agents) + 1:
            continue  # every agent and the admins were told; the lead stays on /leads
        if not await ctx.repos.leads.escalate(lead.ref, level):
            continue
        if level <= len(agents):
            await _remind(lead, level, ctx)
        else:
            await alert_admins(ctx, f"lead:{lead.ref}:escalated", _admin_alert(lead))
        logger.warning("Lead %s unclaimed: escalation %d", lead.ref, level)


async def _no_agent_reached(lead: Lead, ctx: HandlerContext) -> bool:
    """When no agent's card could be delivered, tell the admins at once; return whether so."""
    agents = ctx.settings.enquiries.agents
    admins_level = len(agents) + 1
    if lead.escalation >= admins_level:
        return False
    keys = [card_key(lead, chat) for agent in agents for chat in agent.chats]
    states = await ctx.repos.deliveries.statuses_of(keys)
    if len(states) < len(keys) or any(states[k] not in UNDELIVERED for k in keys):
        return False  # a card is still on its way or arrived
    if await ctx.repos.leads.escalate(lead.ref, admins_level, from_level=lead.escalation):
        await alert_admins(ctx, f"lead:{lead.ref}:escalated", _admin_alert(lead))
        logger.warning("Lead %s reached no agent: the admins are told", lead.ref)
    return True


async def _remind(lead: Lead, level: int, ctx: HandlerContext) -> None:
    """Send the agent next in order a reminder with the card again."""
    agent = ctx.settings.enquiries.agents[level - 1]
    items = []
    for chat in agent.chats:
        t = await ctx.speech_for(chat.channel, chat.chat_id)
        card = render_card(lead, chat, t, ctx)
        head = bold(t._("Still unclaimed: {ref}", ref=lead.ref) + "\n")
        # The card itself, its template values kept (a WhatsApp agent outside the window).
        out = replace(card, spans=(head, *card.spans))
        items.append(NewOutboxItem(f"lead:{lead.ref}:escalate:{level}:{chat.key}", out))
    await ctx.outbox.enqueue(items)


def _admin_alert(lead: Lead) -> AlertText:
    def render(t: Speech) -> list[Span]:
        text = t._(
            "No agent has claimed enquiry {ref} ({name}).", ref=lead.ref, name=lead.full_name
        )
        return [bold(t._("Unclaimed enquiry") + "\n"), plain(text)]

    return render


JOBS = [Job("enquiries:escalate", escalate_unclaimed, every=60.0)]
