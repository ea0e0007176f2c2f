"""Watch the forum poller: back off while the feed fails, alert admins once, note recovery."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.errors import ForumError
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import Recipient, Span, bold, plain, text_message
from bot.forum.source import ForumSource
from bot.storage.repositories.outbox import NewOutboxItem
from handlers.context import HandlerContext
from handlers.relay import POLL_STATE_KEY, RelayReport, RelaySettings, relay_new_topics

logger = logging.getLogger(__name__)

ALERT_STATE_KEY = "forum.alert"
MAX_BACKOFF = 900.0
"""Longest pause between polls of a failing feed (seconds)."""


@dataclass(slots=True)
class ForumPoller:
    """Poll through ``relay_new_topics`` with backoff and one alert per outage."""

    source: ForumSource
    ctx: HandlerContext
    settings: RelaySettings
    interval: float
    alert_after: int = 3
    monotonic: Callable[[], float] = time.monotonic
    _resume_at: float = field(default=0.0, init=False)

    async def poll(self) -> RelayReport | None:
        """Poll once unless backing off; return the report, or None when skipped or failed."""
        clock = self.monotonic
        if clock() < self._resume_at:
            return None
        try:
            report = await relay_new_topics(self.source, self.ctx, self.settings)
        except ForumError as exc:
            failures = await self._failures()
            pause = min(self.interval * 2 ** (failures - 1), MAX_BACKOFF) - self.interval
            self._resume_at = clock() + max(pause, 0.0)
            if failures == self.alert_after:
                message = f"{failures} polls in a row failed. Last error: {exc}"
                await self._alert_admins("down", [bold("Forum feed is failing\n"), plain(message)])
            return None
        self._resume_at = 0.0
        alert = await self.ctx.state.get(ALERT_STATE_KEY)
        if alert and alert.get("open"):
            recovered = [bold("Forum feed recovered\n"), plain("Polling works again.")]
            await self._alert_admins("up", recovered)
        return report

    async def _failures(self) -> int:
        state = await self.ctx.state.get(POLL_STATE_KEY) or {}
        return int(str(state.get("consecutive_failures", 1)))

    async def _alert_admins(self, kind: str, spans: list[Span]) -> None:
        ctx = self.ctx
        previous = await ctx.state.get(ALERT_STATE_KEY) or {}
        outage = int(str(previous.get("outage", 0))) + (1 if kind == "down" else 0)
        await ctx.state.put(ALERT_STATE_KEY, {"open": kind == "down", "outage": outage})
        items = [
            NewOutboxItem(
                f"forum-alert:{outage}:{kind}:{channel}:{user}",
                text_message(
                    Recipient(ChannelName(channel), ChatId(user)), spans, kind="admin_alert"
                ),
            )
            for channel, users in sorted(ctx.admins.by_channel.items())
            for user in sorted(users)
        ]
        logger.warning("Forum feed %s; alerting %d admin chats", kind, len(items))
        await ctx.enqueue(items)
