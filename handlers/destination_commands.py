"""Admin commands for relay destinations: /destinations, /pause and /resume <destination>."""

from __future__ import annotations

from datetime import datetime

from bot.core.commands import ADMINS, command
from bot.core.messages import InboundMessage, bold, plain
from bot.domain.destinations import Destination
from handlers.alerts import alert_admins
from handlers.context import HandlerContext
from handlers.delivery_fixes import fix_for
from handlers.feature import Feature

DETAIL_SHOWN = 120


@command("destinations", help="List relay destinations with their state and last error", who=ADMINS)
async def destinations(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Answer with every destination: state, last error and when, last success."""
    listed = await ctx.repos.destinations.all()
    if not listed:
        await ctx.reply(
            message, "No destinations yet: add [[relay.destinations]] entries to config.toml."
        )
        return
    lines = [_describe(d, ctx) for d in listed]
    await ctx.reply(message, [bold("Destinations\n"), plain("\n".join(lines))])


@command("pause", help="Stop sending to a destination: /pause <destination>", who=ADMINS)
async def pause(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Pause one destination, drop what is queued for it, and tell the other admins."""
    found = await _find(message, argument, ctx, "pause")
    if found is None:
        return
    if found.paused_at is not None:
        await ctx.reply(
            message, f"{found.ref} is already paused. /resume {found.ref} to send again."
        )
        return
    by = f"{message.channel}:{message.sender_id}"
    paused = await ctx.repos.destinations.pause(found.id, by)
    dropped = await ctx.repos.deliveries.skip_pending_for_chat(
        found.channel, found.chat_id, found.thread_id, "paused"
    )
    await ctx.reply(
        message,
        f"Paused {_name(found)}: nothing more is sent there; {dropped} queued messages dropped. "
        f"/resume {found.ref} to send again.",
    )
    at = paused.paused_at.isoformat() if paused and paused.paused_at else ""
    await alert_admins(
        ctx,
        f"destination-paused:{found.ref}:{at}",
        [bold("Destination paused\n"), plain(f"{_name(found)} was paused by {by}.")],
    )


@command("resume", help="Send to a paused or switched-off destination again", who=ADMINS)
async def resume(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Lift a pause or an error's switch-off, so the next topic is sent there."""
    found = await _find(message, argument, ctx, "resume")
    if found is None:
        return
    if found.state in ("ok", "failing"):
        await ctx.reply(message, f"{found.ref} was not paused or switched off.")
        return
    await ctx.repos.destinations.resume(found.id)
    await ctx.reply(message, f"Resumed {_name(found)}: the next topic goes there.")
    by = f"{message.channel}:{message.sender_id}"
    await alert_admins(
        ctx,
        f"destination-resumed:{found.ref}:{ctx.clock.now().isoformat()}",
        [bold("Destination resumed\n"), plain(f"{_name(found)} was resumed by {by}.")],
    )


async def _find(
    message: InboundMessage, argument: str, ctx: HandlerContext, verb: str
) -> Destination | None:
    """Return the destination ``argument`` names (ref, chat id or name), or answer why not."""
    wanted = argument.strip()
    listed = await ctx.repos.destinations.all()
    refs = ", ".join(d.ref for d in listed) or "none"
    if not wanted:
        await ctx.reply(message, f"Usage: /{verb} <destination>. Destinations: {refs}")
        return None
    matches = [d for d in listed if d.ref == wanted] or [
        d for d in listed if d.chat_id == wanted or d.name.casefold() == wanted.casefold()
    ]
    if len(matches) == 1:
        return matches[0]
    problem = "matches several destinations" if matches else "is not a destination"
    await ctx.reply(message, f"{wanted!r} {problem}. Use one of: {refs}")
    return None


def _describe(dest: Destination, ctx: HandlerContext) -> str:
    line = f"• {dest.ref}" + (f" ({dest.name})" if dest.name else "") + f": {dest.state}"
    if dest.state == "paused" and dest.paused_at is not None:
        line += f" since {_local(ctx, dest.paused_at)} by {dest.paused_by}"
    elif dest.state == "off" and dest.error_key is None:
        line += " (not in config.toml any more)"
    if dest.error_key is not None:
        detail = (dest.last_error or "")[:DETAIL_SHOWN]
        when = f" at {_local(ctx, dest.last_error_at)}" if dest.last_error_at else ""
        line += f"; last error {dest.error_key}{when}: {detail}"
        fix = fix_for(dest.error_key, dest.name or dest.ref, dest.ref)
        if fix is not None:
            line += f"\n  Fix: {fix}"
    if dest.last_ok_at is not None:
        line += f"; last sent {_local(ctx, dest.last_ok_at)}"
    return line


def _name(dest: Destination) -> str:
    return f"{dest.ref} ({dest.name})" if dest.name else dest.ref


def _local(ctx: HandlerContext, at: datetime) -> str:
    return at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M %Z")


FEATURE = Feature(name="destination_commands", commands=[destinations, pause, resume])
