"""Nightly housekeeping: forget what no longer protects anything (old dedupe ids, dialogs)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from handlers.context import HandlerContext
from handlers.feature import Feature, Job

logger = logging.getLogger(__name__)

INBOUND_DEDUPE_KEEP = timedelta(days=14)
"""Telegram keeps undelivered updates 24 h and Twilio retries within minutes; 14 days is ample."""


async def prune(ctx: HandlerContext, now: datetime) -> None:
    """Forget inbound ids past any redelivery and expired dialogs."""
    seen = await ctx.repos.inbound.prune(now - INBOUND_DEDUPE_KEEP)
    dialogs = await ctx.repos.dialogs.prune_expired()
    logger.info("Housekeeping: %d inbound ids and %d dialogs forgotten", seen, dialogs)


FEATURE = Feature(name="housekeeping", jobs=[Job("maintenance:prune", prune, cron="30 3 * * *")])
