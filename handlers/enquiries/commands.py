"""/leads and /lead <ref>: the latest enquiries and one lead with its history (admins, agents)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.commands import ADMINS, Role, command
from bot.core.messages import InboundMessage, Span, bold, plain
from bot.domain.leads import Lead, LeadStatus
from bot.i18n import N_, Speech
from handlers.context import HandlerContext
from handlers.enquiries.cards import queue_cards
from handlers.enquiries.stats import stats_lines

STAFF = frozenset({Role.ADMIN, Role.AGENT})
LISTED = 20


@command(
    "leads", help=N_("The latest enquiries (optionally of one status)"), who=STAFF, args="[status]"
)
async def leads(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """List the latest leads, newest first; ``/leads new`` only the unclaimed ones."""
    t = await ctx.speech(message)
    wanted = argument.strip().lower()
    status = None
    if wanted:
        try:
            status = LeadStatus(wanted)
        except ValueError:
            names = ", ".join(s.value for s in LeadStatus)
            await ctx.reply(
                message,
                t._("Unknown status {status}: use one of {names}.", status=wanted, names=names),
            )
            return
    found = await ctx.repos.leads.latest(LISTED, status=status)
    if not found:
        await ctx.reply(message, t._("No enquiries yet."))
        return
    lines = [_line(lead, t) for lead in found]
    title = t.n_("{n} enquiry", "{n} enquiries", len(found))
    await ctx.reply(message, [bold(title + "\n"), plain("\n".join(lines))])


@command("lead", help=N_("One enquiry with its history"), who=STAFF, args="<reference>")
async def lead(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Show one lead's answers, source, owner and every change with who and when."""
    t = await ctx.speech(message)
    ref = argument.strip().lstrip("#").upper()
    found = await ctx.repos.leads.get(ref) if ref else None
    if found is None:
        await ctx.reply(message, t._("There is no enquiry {ref}.", ref=ref or "?"))
        return
    events = await ctx.repos.leads.events(found.ref)
    spans: list[Span] = [bold(found.ref + "\n"), plain(_details(found, t))]
    history = [
        t._("{at} · {kind} · {by}", at=t.moment(e.at), kind=e.kind, by=e.by)
        + (f" · {e.detail}" if e.detail else "")
        for e in events
    ]
    spans += [bold("\n\n" + t._("History") + "\n"), plain("\n".join(history))]
    await ctx.reply(message, spans)


def _line(lead: Lead, t: Speech) -> str:
    return " · ".join(
        [lead.ref, _status(lead.status, t), lead.package, lead.full_name, t.moment(lead.created_at)]
        + ([lead.source] if lead.source else [])
    )


def _details(lead: Lead, t: Speech) -> str:
    lines = [
        t._("Status: {status}", status=_status(lead.status, t)),
        t._("Package: {value}", value=lead.package),
        t._("Month: {value}", value=lead.travel_month),
        t._("Travellers: {value}", value=str(lead.travellers)),
        t._("Name: {value}", value=lead.full_name),
        t._("Phone: {value}", value=lead.phone),
        t._("From: {channel}, source {source}", channel=lead.channel, source=lead.source or "—"),
    ]
    if lead.owner:
        lines.append(t._("Owner: {owner}", owner=lead.owner))
    if lead.note:
        lines.append(t._("Note: {value}", value=lead.note))
    if lead.lost_reason:
        lines.append(t._("Why lost: {reason}", reason=lead.lost_reason))
    return "\n".join(lines)


def _status(status: LeadStatus, t: Speech) -> str:
    names = {
        LeadStatus.NEW: t.p_("lead status", "new"),
        LeadStatus.CLAIMED: t.p_("lead status", "claimed"),
        LeadStatus.CONTACTED: t.p_("lead status", "contacted"),
        LeadStatus.BOOKED: t.p_("lead status", "booked"),
        LeadStatus.LOST: t.p_("lead status", "lost"),
    }
    return names[status]


@command(
    "reassign",
    help=N_("Give an enquiry to another agent"),
    who=ADMINS,
    args="<reference> <agent name>",
)
async def reassign(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Give a lead to the named agent; every card shows the new owner."""
    t = await ctx.speech(message)
    ref, _, name = argument.strip().partition(" ")
    agents = {a.name.casefold(): a.name for a in ctx.settings.enquiries.agents}
    agent = agents.get(name.strip().casefold())
    if not ref or agent is None:
        names = ", ".join(a.name for a in ctx.settings.enquiries.agents) or "—"
        usage = t._("Usage: /reassign <reference> <agent name>. Agents: {names}", names=names)
        await ctx.reply(message, usage)
        return
    await _reassign(message, ref.lstrip("#").upper(), agent, ctx, t)


@command("unclaim", help=N_("Put a claimed enquiry back to new"), who=ADMINS, args="<reference>")
async def unclaim(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Take a lead back from its agent: it is new again, its escalation clock restarted."""
    t = await ctx.speech(message)
    await _reassign(message, argument.strip().lstrip("#").upper(), None, ctx, t)


async def _reassign(
    message: InboundMessage, ref: str, agent: str | None, ctx: HandlerContext, t: Speech
) -> None:
    by = f"{message.channel}:{message.sender_id}"
    moved = await ctx.repos.leads.reassign(ref, agent, by)
    if moved is None:
        await ctx.reply(message, t._("There is no enquiry {ref}.", ref=ref or "?"))
        return
    stamp = int(moved.updated_at.timestamp())
    await queue_cards(moved, ctx, version=f"{'reassigned' if agent else 'unclaimed'}:{stamp}")
    if agent is None:
        await ctx.reply(message, t._("{ref} is new again.", ref=ref))
    else:
        await ctx.reply(message, t._("{ref} now belongs to {owner}.", ref=ref, owner=agent))


@command(
    "leadstats",
    help=N_("Enquiries per source and status (last 30 days, or the days given)"),
    who=STAFF,
    args="[days]",
)
async def leadstats(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Count the leads of the last N days (30 by default) per source and status."""
    t = await ctx.speech(message)
    days = int(argument) if argument.strip().isdigit() and 0 < int(argument) <= 3650 else 30
    since = ctx.clock.now() - timedelta(days=days)
    counts = await ctx.repos.leads.stats(since)
    if not counts:
        await ctx.reply(message, t._("No enquiries yet."))
        return
    title = t.n_("Enquiries of the last {n} day", "Enquiries of the last {n} days", days)
    # Sources and statuses are keys (t42, new…): shown as they are stored.
    await ctx.reply(message, [bold(title + "\n"), plain("\n".join(stats_lines(counts)))])
