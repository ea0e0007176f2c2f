"""Lead cards on the agents' phones: Claim, Contacted, Booked, Lost — the first claim owns it.

A card is one outbox row per agent chat, in that agent's language. Telegram cards carry
buttons and are edited in place when the lead changes; a WhatsApp agent reads numbered
options or types ``#ATQ-2612-0042 claim``. The customer's contact is a ``wa.me`` link and
the number, never a ``tg://user`` button (Telegram refuses those for private accounts and
would refuse the whole card).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from bot.core.messages import Choice, InboundMessage, OutboundMessage, Recipient, bold, plain
from bot.domain.leads import Lead, LeadStatus
from bot.domain.outbox import NewOutboxItem
from bot.i18n import Speech
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)

PREFIX = "lead"
ACTIONS = {
    "c": LeadStatus.CLAIMED,
    "t": LeadStatus.CONTACTED,
    "b": LeadStatus.BOOKED,
    "l": LeadStatus.LOST,
}
TYPED = re.compile(
    r"^#?(?P<ref>[A-Za-z]{2,5}-\d{4}-\d{4,})\s+(?P<action>claim|contacted|booked|lost)\b\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_BY_WORD = {"claim": "c", "contacted": "t", "booked": "b", "lost": "l"}


def render_card(
    lead: Lead, recipient: Recipient, t: Speech, ctx: HandlerContext
) -> OutboundMessage:
    """Return the card of ``lead`` for one agent chat, in that agent's language."""
    package = ctx.settings.enquiries.package(lead.package)
    label = package.label if package else lead.package
    contact = "https://wa.me/" + lead.phone.removeprefix("+")
    lines = [
        t._("Package: {value}", value=label),
        t._("Month: {value}", value=lead.travel_month),
        t._("Travellers: {value}", value=str(lead.travellers)),
        t._("Name: {value}", value=lead.full_name),
        t._("Phone: {value}", value=lead.phone),
        t._("WhatsApp: {link}", link=contact),
        t._("From: {channel}, source {source}", channel=lead.channel, source=lead.source or "—"),
    ]
    if lead.note:
        lines.append(t._("Note: {value}", value=lead.note))
    lines.append(_state_line(lead, t))
    spans = [bold(t._("New enquiry {ref}", ref=lead.ref) + "\n"), plain("\n".join(lines))]
    return OutboundMessage(
        recipient=recipient,
        spans=tuple(spans),
        choices=tuple(_actions(lead, t)),
        kind="lead_alert",
        template_values=(("ref", lead.ref), ("name", lead.full_name), ("package", label)),
        language=t.code,
    )


async def queue_cards(lead: Lead, ctx: HandlerContext, *, version: str = "new") -> int:
    """Queue (or, after a change, edit) the card of ``lead`` on every agent chat."""
    items = []
    for agent in ctx.settings.enquiries.agents:
        for chat in agent.chats:
            t = await ctx.speech_for(chat.channel, chat.chat_id)
            card = render_card(lead, chat, t, ctx)
            key = card_key(lead, chat)
            if version != "new":
                sent = await ctx.repos.deliveries.provider_id_of(key)
                if sent is None or not ctx.capabilities(chat.channel).edits:
                    # No card to edit (or a platform that cannot): a short note instead.
                    card = replace(card, spans=(plain(_state_line(lead, t)),), choices=())
                else:
                    card = replace(card, edit_of=sent)
                key = f"{key}:{version}"
            items.append(NewOutboxItem(key, card))
    return await ctx.outbox.enqueue(items)


async def on_card_button(message: InboundMessage, rest: str, ctx: HandlerContext) -> None:
    """Handle Claim / Contacted / Booked / Lost pressed (or picked by number) on a card."""
    action, _, ref = rest.partition(":")
    await act(message, ref, action, "", ctx)


async def on_typed_action(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Handle ``#ATQ-2612-0042 claim`` (or contacted, booked, lost <reason>) from an agent."""
    found = TYPED.match(message.text.strip())
    if found is None:
        return False
    await act(message, found["ref"].upper(), _BY_WORD[found["action"].lower()], found["rest"], ctx)
    return True


async def act(
    message: InboundMessage, ref: str, action: str, reason: str, ctx: HandlerContext
) -> None:
    """Apply one agent's action to a lead and tell whoever needs to know."""
    t = await ctx.speech(message)
    agent = ctx.settings.enquiries.agent_of(message.channel, message.sender_id)
    status = ACTIONS.get(action)
    if agent is None or status is None:
        await ctx.refuse(message, t._("Only the agency's travel agents can act on enquiries."))
        return
    leads = ctx.repos.leads
    if status is LeadStatus.CLAIMED:
        claim = await leads.claim(ref, agent.name)
        if claim is None:
            await ctx.reply(message, t._("There is no enquiry {ref}.", ref=ref))
            return
        if not claim.won:
            owner = claim.lead.owner or "?"
            await ctx.reply(
                message, t._("{ref} is already claimed by {owner}.", ref=ref, owner=owner)
            )
            return
        await ctx.reply(message, t._("{ref} is yours: please contact the customer.", ref=ref))
        await queue_cards(claim.lead, ctx, version="claimed")
        await _tell_customer(claim.lead, agent.name, ctx)
        return
    lead = await leads.get(ref)
    if lead is None:
        await ctx.reply(message, t._("There is no enquiry {ref}.", ref=ref))
        return
    if lead.owner != agent.name:
        owner = lead.owner or t._("nobody yet")
        await ctx.reply(
            message, t._("{ref} is owned by {owner}: claim it first.", ref=ref, owner=owner)
        )
        return
    moved = await leads.move(ref, status, agent.name, reason.strip() or None)
    if moved is not None:
        await queue_cards(moved, ctx, version=moved.status.value)
        await ctx.reply(message, _state_line(moved, t))


async def _tell_customer(lead: Lead, agent: str, ctx: HandlerContext) -> None:
    """Tell the customer, in their language, who will contact them."""
    t = ctx.speech_in(lead.language)
    text = t._("{agent} will contact you about your enquiry {ref}.", agent=agent, ref=lead.ref)
    recipient = Recipient(lead.channel, lead.chat_id)
    out = OutboundMessage(recipient, (plain(text),), kind="reply", language=t.code)
    await ctx.outbox.enqueue([NewOutboxItem(f"lead:{lead.ref}:customer:claimed", out)])


def _actions(lead: Lead, t: Speech) -> list[Choice]:
    if lead.status is LeadStatus.NEW:
        return [Choice("🙋 " + t.p_("lead", "Claim"), data=f"{PREFIX}:c:{lead.ref}")]
    if lead.status in {LeadStatus.CLAIMED, LeadStatus.CONTACTED}:
        return [
            Choice("📞 " + t.p_("lead", "Contacted"), data=f"{PREFIX}:t:{lead.ref}"),
            Choice("✅ " + t.p_("lead", "Booked"), data=f"{PREFIX}:b:{lead.ref}"),
            Choice("❌ " + t.p_("lead", "Lost"), data=f"{PREFIX}:l:{lead.ref}"),
        ]
    return []


def _state_line(lead: Lead, t: Speech) -> str:
    owner = lead.owner or ""
    states = {
        LeadStatus.NEW: t._("{ref}: new, not claimed yet", ref=lead.ref),
        LeadStatus.CLAIMED: t._("{ref}: claimed by {owner}", ref=lead.ref, owner=owner),
        LeadStatus.CONTACTED: t._("{ref}: contacted by {owner}", ref=lead.ref, owner=owner),
        LeadStatus.BOOKED: t._("{ref}: booked by {owner}", ref=lead.ref, owner=owner),
        LeadStatus.LOST: t._("{ref}: lost ({owner})", ref=lead.ref, owner=owner),
    }
    return states[lead.status]


def card_key(lead: Lead, chat: Recipient) -> str:
    """Return the outbox key of the first card of ``lead`` on one agent chat."""
    return f"lead:{lead.ref}:to:{chat.channel}:{chat.chat_id}"
