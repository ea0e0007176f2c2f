"""Tell the admins once when a channel cannot start, and once when it is back.

The runtime's channel supervisor calls these. The alert goes to the admins of the *other*
platforms: the one that is down would only deliver it after it recovered. The open outage is
stored (``service_state``), so a restart during the outage does not alert again, a process
that finds an outage left open by its predecessor sends the recovery notice, and the processes
of a cluster, which all read the same outage number, queue the same idempotency keys: one
alert per admin chat whichever of them notices first.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.messages import bold, plain
from bot.core.status import ChannelOutage
from handlers.alerts import alert_admins
from handlers.context import HandlerContext


def state_key(channel: str) -> str:
    """Return where the open outage of ``channel`` is stored."""
    return f"channel.outage:{channel}"


async def channel_down(ctx: HandlerContext, outage: ChannelOutage) -> bool:
    """Alert the other platforms' admins unless this outage is already known; return if sent."""
    key = state_key(outage.channel)
    state = await ctx.repos.state.get(key) or {}
    if state.get("open"):
        return False
    number = int(str(state.get("outage", 0))) + 1
    since = outage.since.isoformat()
    await ctx.repos.state.put(key, {"open": True, "outage": number, "since": since})
    title = outage.channel.capitalize()
    spans = [
        bold(f"{title} is unreachable\n"),
        plain(
            f"{title} is unreachable since {_local(ctx, outage.since)} ({outage.error_key}). "
            "Minbar keeps trying; messages for it wait and go out once it is back."
        ),
    ]
    await alert_admins(
        ctx, f"channel-alert:{outage.channel}:{number}:down", spans, skip={outage.channel}
    )
    return True


async def channel_up(ctx: HandlerContext, channel: str) -> bool:
    """Tell the other platforms' admins an open outage of ``channel`` ended; return if sent."""
    key = state_key(channel)
    state = await ctx.repos.state.get(key) or {}
    if not state.get("open"):
        return False
    number = int(str(state.get("outage", 0)))
    await ctx.repos.state.put(key, {"open": False, "outage": number, "since": state.get("since")})
    title = channel.capitalize()
    since = _parse(state.get("since"))
    spans = [
        bold(f"{title} is back\n"),
        plain(
            f"{title} works again"
            + (f" (unreachable since {_local(ctx, since)})" if since is not None else "")
            + "; waiting messages are going out."
        ),
    ]
    await alert_admins(ctx, f"channel-alert:{channel}:{number}:up", spans, skip={channel})
    return True


def _local(ctx: HandlerContext, at: datetime) -> str:
    """Return ``at`` as admins read it: the service's local time, with its zone."""
    return at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M %Z")


def _parse(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
