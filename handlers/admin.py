"""Built-in commands: /start, /help, /chatid, /status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.core.commands import ADMINS, command
from bot.core.messages import InboundMessage, bold, plain
from bot.core.status import ChannelOutage, DestinationHealth, InboxStatus
from bot.i18n import N_, Speech
from handlers.context import HandlerContext, StatusSnapshot
from handlers.enquiries.status import agent_lines
from handlers.feature import Feature
from handlers.flows import Answer, begin
from handlers.permissions import roles_of
from handlers.subscriptions.menus import keyword_help
from handlers.words import word_for

ENQUIRY_PAYLOAD = "enq_"
"""``https://t.me/<bot>?start=enq_<source>``: an ad's deep link into the enquiry."""
STATE_ORDER = ("ok", "failing", "paused", "off")
"""How /status orders the destination counts (``Destination.state`` values)."""


@command("start", help=N_("Welcome and what this bot does"))
async def start(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Greet the user and point at /help; a ``enq_<source>`` deep link opens the enquiry."""
    enquiry = ctx.flows.get("enquiry")
    if argument.startswith(ENQUIRY_PAYLOAD) and enquiry is not None:
        await begin(enquiry, Answer.of(message), ctx)
        return
    t = await ctx.speech(message)
    name = message.sender_name or t._("friend")
    if ctx.capabilities(message.channel).keywords:
        pointer = t._("Send {help} to see the words you can send.", help=word_for("help", t.code))
    else:
        pointer = t._("Send /help to see the commands.")
    intro = t._(
        "I am the {bot} bot. I bring new forum topics to Telegram and WhatsApp.", bot=ctx.bot_name
    )
    await ctx.reply(
        message,
        [bold(t._("Assalamu alaikum, {name}!", name=name)), plain(f"\n{intro} {pointer}")],
    )


@command("help", help=N_("List the commands you can use"))
async def help_(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Answer with the commands this user may run here (a group's admins see theirs)."""
    t = await ctx.speech(message)
    if ctx.capabilities(message.channel).keywords:
        # Where people talk in words, help lists words and numbers, never slash commands.
        await ctx.reply(message, keyword_help(t))
        return
    roles = await roles_of(message, ctx)
    listing = ctx.commands.help_text(roles, t._, admin_marker=" " + t._("(admin)"))
    await ctx.reply(message, [bold(t._("Commands") + "\n"), plain(listing)])


@command("chatid", help=N_("Show this chat's id (to configure a channel or group)"))
async def chatid(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Tell the chat its own id and kind."""
    t = await ctx.speech(message)
    ref = f"{message.channel}:{message.chat_id}"
    if message.thread_id is not None:
        text = t._(
            "This chat is {ref} ({kind}, thread {thread}).",
            ref=ref,
            kind=message.chat_kind.value,
            thread=message.thread_id,
        )
    else:
        text = t._("This chat is {ref} ({kind}).", ref=ref, kind=message.chat_kind.value)
    # The id is what people copy: bold, wherever the translation put it.
    before, found, after = text.partition(ref)
    spans = [plain(before), bold(ref), plain(after)] if found else [plain(text)]
    await ctx.reply(message, spans)


@command("status", help=N_("Service health: uptime, database, channels, outbox, forum"), who=ADMINS)
async def status(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Report the service's health to an admin, in their language and local time."""
    snapshot = await ctx.status.snapshot()
    t = await ctx.speech(message)
    title = t._("{bot} status", bot=ctx.bot_name)
    text = "\n".join([render_status(snapshot, ctx.clock.now(), t), *await agent_lines(ctx, t)])
    await ctx.reply(message, [bold(title + "\n"), plain(text)])


def render_status(snap: StatusSnapshot, now: datetime, t: Speech) -> str:
    """Return the /status text for a snapshot; times are local, in the reader's language."""
    uptime = int((now - snap.started_at).total_seconds())
    hours, rest = divmod(uptime, 3600)
    up, down = t.p_("status", "up"), t.p_("status", "DOWN")
    channels = ", ".join(f"{n} {up if ok else down}" for n, ok in snap.channels.items())
    depth = ", ".join(f"{k} {v}" for k, v in sorted(snap.outbox_depth.items()))
    lines = [
        t._("Uptime: {hours}h {minutes}m", hours=hours, minutes=rest // 60),
        t._(
            "Database: {state}",
            state=t.p_("status", "ok") if snap.database_ok else t._("UNREACHABLE"),
        ),
        t._(
            "Role: {role}",
            role=t._("leader (scheduler and forum poller)") if snap.is_leader else t._("follower"),
        ),
        t._("Channels: {list}", list=channels or t._("none")),
        *(_outage_line(outage, now, t) for outage in snap.channel_outages.values()),
        t._("Outbox: {depth}", depth=depth or t._("empty")),
        _inbox_line(snap.inbox, t),
        *(
            t._(
                "Intake {name}: {state} ({detail})",
                name=name,
                state=t.p_("status", "ok") if i.ok else t._("STALLED"),
                detail=i.detail,
            )
            for name, i in sorted(snap.intake.items())
        ),
    ]
    lines.extend(_poll_lines(snap.last_poll, t))
    lines.extend(destination_lines(snap.destinations, t))
    return "\n".join(lines)


def _poll_lines(poll: Mapping[str, object] | None, t: Speech) -> list[str]:
    """Return the /status lines of the forum poll, its times local."""
    if not poll:
        return [t._("Last forum poll: not yet")]
    lines = [
        t._(
            "Last forum poll: {at} ({result})",
            at=_when(poll.get("at"), t),
            result=poll.get("result", "?"),
        )
    ]
    if poll.get("last_success_at"):
        lines.append(t._("Last successful poll: {at}", at=_when(poll["last_success_at"], t)))
    if poll.get("last_error"):
        lines.append(t._("Last poll error: {error}", error=poll["last_error"]))
    return lines


def _when(value: object, t: Speech) -> str:
    """Return a stored ISO time as local time; anything else as it came."""
    if isinstance(value, datetime):
        return t.moment(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return t.moment(moment) if moment.tzinfo is not None else value
    return "?"


def destination_lines(destinations: Sequence[DestinationHealth], t: Speech) -> list[str]:
    """Return the /status count of destinations by state, then a line per one not ok."""
    if not destinations:
        return [t._("Destinations: {counts}", counts=t._("none"))]
    counts = Counter(d.state for d in destinations)
    # Known states first in a fixed order, so the line reads the same from one /status to the next.
    order = [*STATE_ORDER, *sorted(set(counts) - set(STATE_ORDER))]
    listed = ", ".join(f"{counts[s]} {_state(s, t)}" for s in order if counts[s])
    lines = [t._("Destinations: {counts}", counts=listed)]
    for dest in destinations:
        if dest.state != "ok":
            error = f" ({dest.error_key})" if dest.error_key else ""
            lines.append(f"  {dest.ref} {_state(dest.state, t)}{error}")
    return lines


def _state(state: str, t: Speech) -> str:
    """Return a destination state in the reader's language (an unknown one as it is)."""
    names = {
        "ok": t.p_("destination", "ok"),
        "failing": t.p_("destination", "failing"),
        "paused": t.p_("destination", "paused"),
        "off": t.p_("destination", "off"),
    }
    return names.get(state, state)


def _inbox_line(inbox: InboxStatus, t: Speech) -> str:
    """Return the /status line of the inbox: waiting, dead-lettered and unreadable items."""
    line = t._("Inbox: {n} waiting", n=inbox.pending)
    if inbox.dead:
        line += ", " + t._("{n} DEAD-LETTERED", n=inbox.dead)
    if inbox.unreadable:
        line += ", " + t._("{n} unreadable updates skipped", n=inbox.unreadable)
    return line


def _outage_line(outage: ChannelOutage, now: datetime, t: Speech) -> str:
    """Return the /status line of a channel that could not start: since when, and why."""
    minutes = int((now - outage.since).total_seconds()) // 60
    return t._(
        "{channel} unreachable since {since} ({minutes}m): {error}, "
        "{attempts} failed starts, retrying",
        channel=outage.channel,
        since=t.moment(outage.since),
        minutes=minutes,
        error=outage.error_key,
        attempts=outage.attempts,
    )


FEATURE = Feature(name="admin", commands=[start, help_, chatid, status])
