"""Built-in commands: /start, /help, /chatid, /status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.core.commands import ADMINS, command
from bot.core.messages import InboundMessage, bold, plain
from bot.core.status import ChannelOutage, DestinationHealth, InboxStatus
from handlers.context import HandlerContext, StatusSnapshot
from handlers.feature import Feature
from handlers.permissions import roles_of

STATE_ORDER = ("ok", "failing", "paused", "off")
"""How /status orders the destination counts (``Destination.state`` values)."""


@command("start", help="Welcome and what this bot does")
async def start(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Greet the user and point at /help (HELP where people talk in words)."""
    name = message.sender_name or "friend"
    if ctx.capabilities(message.channel).keywords:
        pointer = "Send HELP to see the words you can send."
    else:
        pointer = "Send /help to see the commands."
    await ctx.reply(
        message,
        [
            bold(f"Assalamu alaikum, {name}!"),
            plain(
                f"\nI am the {ctx.bot_name} bot. I bring new forum topics to Telegram and "
                f"WhatsApp. {pointer}"
            ),
        ],
    )


@command("help", help="List the commands you can use")
async def help_(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Answer with the commands this user may run here (a group's admins see theirs)."""
    roles = await roles_of(message, ctx)
    await ctx.reply(message, [bold("Commands\n"), plain(ctx.commands.help_text(roles))])


@command("chatid", help="Show this chat's id (to configure a channel or group)")
async def chatid(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Tell the chat its own id and kind."""
    thread = f", thread {message.thread_id}" if message.thread_id is not None else ""
    await ctx.reply(
        message,
        [
            plain("This chat is "),
            bold(f"{message.channel}:{message.chat_id}"),
            plain(f" ({message.chat_kind.value}{thread})."),
        ],
    )


@command("status", help="Service health: uptime, database, channels, outbox, forum", who=ADMINS)
async def status(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Report the service's health to an admin."""
    snapshot = await ctx.status.snapshot()
    await ctx.reply(
        message, [bold("Minbar status\n"), plain(render_status(snapshot, ctx.clock.now()))]
    )


def render_status(snap: StatusSnapshot, now: datetime) -> str:
    """Return the /status text for a snapshot."""
    uptime = int((now - snap.started_at).total_seconds())
    hours, rest = divmod(uptime, 3600)
    lines = [
        f"Uptime: {hours}h {rest // 60}m",
        f"Database: {'ok' if snap.database_ok else 'UNREACHABLE'}",
        "Role: " + ("leader (scheduler and forum poller)" if snap.is_leader else "follower"),
        "Channels: "
        + (", ".join(f"{n} {'up' if up else 'DOWN'}" for n, up in snap.channels.items()) or "none"),
        *(_outage_line(outage, now) for outage in snap.channel_outages.values()),
        "Outbox: "
        + (", ".join(f"{k} {v}" for k, v in sorted(snap.outbox_depth.items())) or "empty"),
        _inbox_line(snap.inbox),
        *(
            f"Intake {name}: {'ok' if i.ok else 'STALLED'} ({i.detail})"
            for name, i in sorted(snap.intake.items())
        ),
    ]
    poll = snap.last_poll
    if poll:
        lines.append(f"Last forum poll: {poll.get('at', '?')} ({poll.get('result', '?')})")
        if poll.get("last_success_at"):
            lines.append(f"Last successful poll: {poll['last_success_at']}")
        if poll.get("last_error"):
            lines.append(f"Last poll error: {poll['last_error']}")
    else:
        lines.append("Last forum poll: not yet")
    lines.extend(destination_lines(snap.destinations))
    return "\n".join(lines)


def destination_lines(destinations: Sequence[DestinationHealth]) -> list[str]:
    """Return the /status count of destinations by state, then a line per one not ok."""
    if not destinations:
        return ["Destinations: none"]
    counts = Counter(d.state for d in destinations)
    # Known states first in a fixed order, so the line reads the same from one /status to the next.
    order = [*STATE_ORDER, *sorted(set(counts) - set(STATE_ORDER))]
    lines = ["Destinations: " + ", ".join(f"{counts[s]} {s}" for s in order if counts[s])]
    for dest in destinations:
        if dest.state != "ok":
            error = f" ({dest.error_key})" if dest.error_key else ""
            lines.append(f"  {dest.ref} {dest.state}{error}")
    return lines


def _inbox_line(inbox: InboxStatus) -> str:
    """Return the /status line of the inbox: waiting, dead-lettered and unreadable items."""
    line = f"Inbox: {inbox.pending} waiting"
    if inbox.dead:
        line += f", {inbox.dead} DEAD-LETTERED"
    if inbox.unreadable:
        line += f", {inbox.unreadable} unreadable updates skipped"
    return line


def _outage_line(outage: ChannelOutage, now: datetime) -> str:
    """Return the /status line of a channel that could not start: since when, and why."""
    minutes = int((now - outage.since).total_seconds()) // 60
    since = outage.since.astimezone(UTC)
    return (
        f"{outage.channel} unreachable since {since:%Y-%m-%d %H:%M} UTC ({minutes}m): "
        f"{outage.error_key}, {outage.attempts} failed starts, retrying"
    )


FEATURE = Feature(name="admin", commands=[start, help_, chatid, status])
