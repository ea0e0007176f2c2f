"""Topic alerts for individual subscribers on Telegram and WhatsApp."""

from __future__ import annotations

from bot.forum.source import Topic
from bot.storage.repositories.outbox import NewOutboxItem
from handlers.context import HandlerContext


async def subscriber_alerts(
    topic: Topic, ctx: HandlerContext, excerpt_chars: int
) -> list[NewOutboxItem]:
    """Return the outbox items that alert subscribers to ``topic`` (none yet)."""
    return []
