"""Admin commands for relay destinations: /destinations, /pause and /resume <destination>."""

from __future__ import annotations

from bot.core.commands import ADMINS, command
from bot.core.messages import InboundMessage, Span, bold, plain
from bot.domain.destinations import Destination
from bot.i18n import N_, Speech
from handlers.alerts import AlertText, alert_admins
from handlers.context import HandlerContext
from handlers.delivery_fixes import fix_for
from handlers.feature import Feature

DETAIL_SHOWN = 120


@command(
    "destinations",
    help=N_("List relay destinations with their state and last error"),
    who=ADMINS,
)
async def destinations(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Answer with every destination: state, last error and when, last success."""
    t = await ctx.speech(message)
    listed = await ctx.repos.destinations.all()
    if not listed:
        # Translators: [[relay.destinations]] and config.toml are written in the config file as is.
        empty = t._("No destinations yet: add [[relay.destinations]] entries to config.toml.")
        await ctx.reply(message, empty)
        return
    lines = [_describe(d, t) for d in listed]
    await ctx.reply(message, [bold(t._("Destinations") + "\n"), plain("\n".join(lines))])


@command("pause", help=N_("Stop sending to a destination: /pause <destination>"), who=ADMINS)
async def pause(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Pause one destination, drop what is queued for it, and tell the other admins."""
    t = await ctx.speech(message)
    found = await _find(message, argument, ctx, t, "pause")
    if found is None:
        return
    if found.paused_at is not None:
        await ctx.reply(
            message,
            t._("{ref} is already paused. /resume {ref} to send again.", ref=found.ref),
        )
        return
    by = f"{message.channel}:{message.sender_id}"
    paused = await ctx.repos.destinations.pause(found.id, by)
    dropped = await ctx.repos.deliveries.skip_pending_for_chat(
        found.channel, found.chat_id, found.thread_id, "paused"
    )
    await ctx.reply(
        message,
        t.n_(
            "Paused {destination}: nothing more is sent there; {n} queued message dropped. "
            "/resume {ref} to send again.",
            "Paused {destination}: nothing more is sent there; {n} queued messages dropped. "
            "/resume {ref} to send again.",
            dropped,
            destination=_name(found),
            ref=found.ref,
        ),
    )
    at = paused.paused_at.isoformat() if paused and paused.paused_at else ""
    await alert_admins(ctx, f"destination-paused:{found.ref}:{at}", _paused_alert(found, by))


@command("resume", help=N_("Send to a paused or switched-off destination again"), who=ADMINS)
async def resume(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Lift a pause or an error's switch-off, so the next topic is sent there."""
    t = await ctx.speech(message)
    found = await _find(message, argument, ctx, t, "resume")
    if found is None:
        return
    if found.state in ("ok", "failing"):
        await ctx.reply(message, t._("{ref} was not paused or switched off.", ref=found.ref))
        return
    await ctx.repos.destinations.resume(found.id)
    await ctx.reply(
        message, t._("Resumed {destination}: the next topic goes there.", destination=_name(found))
    )
    by = f"{message.channel}:{message.sender_id}"
    await alert_admins(
        ctx,
        f"destination-resumed:{found.ref}:{ctx.clock.now().isoformat()}",
        _resumed_alert(found, by),
    )


def _paused_alert(dest: Destination, by: str) -> AlertText:
    """Return the alert that ``by`` (an admin's channel:id) paused ``dest``."""

    def render(t: Speech) -> list[Span]:
        return [
            bold(t._("Destination paused") + "\n"),
            # Translators: {admin} is the admin's platform and id, e.g. telegram:1001.
            plain(t._("{destination} was paused by {admin}.", destination=_name(dest), admin=by)),
        ]

    return render


def _resumed_alert(dest: Destination, by: str) -> AlertText:
    """Return the alert that ``by`` (an admin's channel:id) resumed ``dest``."""

    def render(t: Speech) -> list[Span]:
        return [
            bold(t._("Destination resumed") + "\n"),
            # Translators: {admin} is the admin's platform and id, e.g. telegram:1001.
            plain(t._("{destination} was resumed by {admin}.", destination=_name(dest), admin=by)),
        ]

    return render


async def _find(
    message: InboundMessage, argument: str, ctx: HandlerContext, t: Speech, verb: str
) -> Destination | None:
    """Return the destination ``argument`` names (ref, chat id or name), or answer why not."""
    wanted = argument.strip()
    listed = await ctx.repos.destinations.all()
    refs = ", ".join(d.ref for d in listed) or t._("none")
    if not wanted:
        # Translators: {command} is /pause or /resume; <destination> stands for what the admin
        # types after it (a destination's reference or name) and may be translated.
        usage = t._(
            "Usage: {command} <destination>. Destinations: {refs}", command="/" + verb, refs=refs
        )
        await ctx.reply(message, usage)
        return None
    matches = [d for d in listed if d.ref == wanted] or [
        d for d in listed if d.chat_id == wanted or d.name.casefold() == wanted.casefold()
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        # Translators: {wanted} is what the admin typed; {refs} lists destination references.
        problem = t._(
            "'{wanted}' matches several destinations. Use one of: {refs}", wanted=wanted, refs=refs
        )
    else:
        problem = t._(
            "'{wanted}' is not a destination. Use one of: {refs}", wanted=wanted, refs=refs
        )
    await ctx.reply(message, problem)
    return None


def _describe(dest: Destination, t: Speech) -> str:
    """Return the /destinations line of ``dest``: state, last error and its fix, last send."""
    parts = [_state(dest, t)]
    if dest.error_key is not None:
        detail = (dest.last_error or "")[:DETAIL_SHOWN]
        if dest.last_error_at is not None:
            # Translators: {error} is an error code (cannot_post, blocked...); keep it as is.
            # {detail} is the platform's own words, in English.
            error = t._(
                "last error {error} at {at}: {detail}",
                error=dest.error_key,
                at=t.moment(dest.last_error_at),
                detail=detail,
            )
        else:
            error = t._("last error {error}: {detail}", error=dest.error_key, detail=detail)
        parts.append(error)
    if dest.last_ok_at is not None:
        parts.append(t._("last sent {at}", at=t.moment(dest.last_ok_at)))
    line = f"• {t.isolate(_name(dest))}: " + "; ".join(parts)
    fix = fix_for(t, dest.error_key, dest.name or dest.ref, dest.ref) if dest.error_key else None
    if fix is not None:
        line += "\n  " + t._("Fix: {fix}", fix=fix)
    return line


def _state(dest: Destination, t: Speech) -> str:
    """Return the state of ``dest`` in words: since when and by whom it is paused, and why off."""
    if dest.state == "paused" and dest.paused_at is not None:
        # Translators: {admin} is the admin's platform and id, e.g. telegram:1001.
        return t._(
            "paused since {at} by {admin}", at=t.moment(dest.paused_at), admin=dest.paused_by
        )
    if dest.state == "off" and dest.error_key is None:
        return t._("off (not in config.toml any more)")
    names = {
        "ok": t.p_("destination", "ok"),
        "failing": t.p_("destination", "failing"),
        "paused": t.p_("destination", "paused"),
        "off": t.p_("destination", "off"),
    }
    return names.get(dest.state, dest.state)


def _name(dest: Destination) -> str:
    return f"{dest.ref} ({dest.name})" if dest.name else dest.ref


FEATURE = Feature(name="destination_commands", commands=[destinations, pause, resume])
