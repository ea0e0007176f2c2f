"""Watch each channel's intake: a stalled one reaches the admins once, and its recovery once.

A quiet bot receives nothing, so silence proves nothing; the platform's own word does: the age
of the last answered poll, or the webhook's pending updates and last delivery error. Telegram
drops unconfirmed updates after 24 h, so the check runs every minute and alerts at once. The
verdict is stored (``service_state``) so /status on any process reports it and a restart during
a stall does not alert again; /readyz does not look at it (a not-ready process would be taken out
of its load balancer and receive even less).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.core.channel import ReportsIntakeHealth
from bot.core.messages import Span, bold, plain
from bot.i18n import Speech
from handlers.alerts import AlertText, alert_admins
from handlers.context import HandlerContext
from handlers.feature import Feature, Job

logger = logging.getLogger(__name__)

CHECK_EVERY = 60.0


def state_key(channel: str) -> str:
    """Return where the last intake verdict of ``channel`` is stored."""
    return f"intake.health:{channel}"


async def check_intake(ctx: HandlerContext, now: datetime) -> None:
    """Ask each channel that can tell how its intake is, store it, alert on a change."""
    for channel in ctx.channels:
        if not isinstance(channel, ReportsIntakeHealth):
            continue
        name = str(channel.name)
        health = await channel.intake_health(now)
        key = state_key(name)
        before: dict[str, Any] = await ctx.repos.state.get(key) or {}
        stall = int(str(before.get("stall", 0)))
        was_ok = bool(before.get("ok", True))
        if was_ok and not health.ok:
            stall += 1
            text = _intake_alert(name.capitalize(), health.detail, up=False)
            await alert_admins(ctx, f"intake-alert:{name}:{stall}:down", text)
        elif not was_ok and health.ok:
            text = _intake_alert(name.capitalize(), health.detail, up=True)
            await alert_admins(ctx, f"intake-alert:{name}:{stall}:up", text)
        await ctx.repos.state.put(
            key,
            {
                "ok": health.ok,
                "detail": health.detail,
                "checked_at": now.isoformat(),
                "stall": stall,
                "since": now.isoformat() if health.ok != was_ok else before.get("since"),
            },
        )
        if not health.ok:
            logger.warning("Intake of %s is stalled: %s", name, health.detail)


def _intake_alert(platform: str, detail: str, *, up: bool) -> AlertText:
    """Return the alert that a platform's messages stopped (or started again) arriving."""

    def render(t: Speech) -> list[Span]:
        if up:
            head = t._("{platform} messages arrive again", platform=platform)
        else:
            head = t._("{platform} messages are not arriving", platform=platform)
        return [bold(head + "\n"), plain(detail)]

    return render


FEATURE = Feature(name="intake_health", jobs=[Job("intake:check", check_intake, every=CHECK_EVERY)])
