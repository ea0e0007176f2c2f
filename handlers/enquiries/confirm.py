"""A confirmed enquiry: stored as a lead, told to the customer, sent to every agent."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.core.ids import ChatId
from bot.domain.leads import NewLead
from bot.i18n import Speech
from handlers.context import HandlerContext
from handlers.enquiries.cards import queue_cards
from handlers.enquiries.hours import is_open, next_open
from handlers.flows import Answer, Ask, Done

logger = logging.getLogger(__name__)

DAY = timedelta(hours=24)


async def confirm(answer: Answer, data: dict[str, Any], t: Speech, ctx: HandlerContext) -> Done:
    """Store the lead (within the per-day limit), queue the agents' cards, thank the customer."""
    message = answer.message
    settings = ctx.settings.enquiries
    leads = ctx.repos.leads
    answers = NewLead(
        channel=message.channel,
        chat_id=ChatId(message.chat_id),
        language=t.code,
        source=data.get("source"),
        package=str(data["package"]),
        travel_month=str(data["month"]),
        travellers=int(data["travellers"]),
        full_name=str(data["name"]),
        phone=str(data["phone"]),
        note=str(data.get("note") or ""),
    )
    # The same package again within a day is the same enquiry: its answers are updated.
    repeat = await leads.open_for(message.channel, message.chat_id, answers.package, DAY)
    if repeat is not None:
        updated = await leads.update_answers(repeat.ref, answers)
        if updated is not None:
            await queue_cards(
                updated, ctx, version=f"updated:{int(updated.updated_at.timestamp())}"
            )
            said = t._("Your enquiry {ref} is updated.", ref=updated.ref)
            return Done(Ask(said + "\n" + _when_answered(ctx, t)))
    made = await leads.count_since(message.channel, message.chat_id, DAY)
    if made >= settings.max_per_day:
        logger.info("Enquiry limit reached for %s:%s", message.channel, message.chat_id)
        return Done(
            Ask(
                t.n_(
                    "You have sent {n} enquiry today; an agent will answer it. "
                    "Please wait for their call.",
                    "You have sent {n} enquiries today; an agent will answer them. "
                    "Please wait for their call.",
                    made,
                )
            )
        )
    lead = await leads.create(answers, settings.reference_prefix)
    logger.info("Lead %s from %s:%s (source %s)", lead.ref, lead.channel, lead.chat_id, lead.source)
    await queue_cards(lead, ctx)
    lines = [
        t._("Thank you, {name}. Your reference is {ref}.", name=lead.full_name, ref=lead.ref),
        _when_answered(ctx, t),
    ]
    if settings.agency_whatsapp:
        link = "https://wa.me/" + settings.agency_whatsapp.removeprefix("+")
        lines.append(t._("WhatsApp: {link}", link=link))
    if settings.agency_phone:
        lines.append(t._("Phone: {value}", value=settings.agency_phone))
    return Done(Ask("\n".join(lines)))


def _when_answered(ctx: HandlerContext, t: Speech) -> str:
    """Return when an agent will answer: soon when open, else the next opening."""
    hours = ctx.settings.enquiries.hours
    now = ctx.clock.now()
    if is_open(now, hours, ctx.tz):
        return t._("An agent will contact you soon.")
    opens = next_open(now, hours, ctx.tz)
    if opens is None:
        return t._("An agent will contact you as soon as they can.")
    # Translators: {when} is a day and time, e.g. "Sat 5 Dec 2026, 08:00".
    return t._("Our agents are away now; expect an answer from {when}.", when=t.moment(opens))
