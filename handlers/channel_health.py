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

from bot.core.messages import Span, bold, plain
from bot.core.status import ChannelOutage
from bot.i18n import Speech
from handlers.alerts import AlertText, alert_admins
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
    await alert_admins(
        ctx,
        f"channel-alert:{outage.channel}:{number}:down",
        _down_alert(outage),
        skip={outage.channel},
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
    since = _parse(state.get("since"))
    await alert_admins(
        ctx, f"channel-alert:{channel}:{number}:up", _up_alert(channel, since), skip={channel}
    )
    return True


def _down_alert(outage: ChannelOutage) -> AlertText:
    """Return the alert that a platform cannot be reached, since when and why."""
    platform = outage.channel.capitalize()

    def render(t: Speech) -> list[Span]:
        return [
            bold(t._("{platform} is unreachable", platform=platform) + "\n"),
            plain(
                # Translators: {error} is an error code (network, invalid_token...); keep it.
                # Minbar is the name of the service.
                t._(
                    "{platform} is unreachable since {since} ({error}). Minbar keeps trying; "
                    "messages for it wait and go out once it is back.",
                    platform=platform,
                    since=t.moment(outage.since),
                    error=outage.error_key,
                )
            ),
        ]

    return render


def _up_alert(channel: str, since: datetime | None) -> AlertText:
    """Return the notice that a platform works again (and since when it did not)."""
    platform = channel.capitalize()

    def render(t: Speech) -> list[Span]:
        if since is not None:
            text = t._(
                "{platform} works again (unreachable since {since}); "
                "waiting messages are going out.",
                platform=platform,
                since=t.moment(since),
            )
        else:
            text = t._("{platform} works again; waiting messages are going out.", platform=platform)
        return [bold(t._("{platform} is back", platform=platform) + "\n"), plain(text)]

    return render


def _parse(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None
