"""Nightly housekeeping: forget what no longer protects anything (old inbox rows, dialogs,
leads past their retention)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from handlers.context import HandlerContext
from handlers.feature import Feature, Job

logger = logging.getLogger(__name__)

INBOX_KEEP = timedelta(days=3)
"""How long a handled inbound item (and so its provider id's uniqueness) is kept.

Telegram keeps undelivered updates 24 h and Twilio retries within hours, so 3 days covers
every redelivery; it must stay under a week, after which Telegram may reuse ``update_id``s.
"""

DEAD_KEEP = timedelta(days=30)
"""Dead-lettered items stay longer: an operator may want to read why they failed."""


async def prune(ctx: HandlerContext, now: datetime) -> None:
    """Forget inbox rows past any redelivery and expired dialogs."""
    seen = await ctx.repos.inbox.prune(handled_before=now - INBOX_KEEP, dead_before=now - DEAD_KEEP)
    dialogs = await ctx.repos.dialogs.prune_expired()
    # Leads are personal data: kept for enquiries.retention_days, then deleted.
    keep = timedelta(days=ctx.settings.enquiries.retention_days)
    leads = await ctx.repos.leads.prune(created_before=now - keep)
    logger.info(
        "Housekeeping: %d inbox rows, %d dialogs and %d old leads forgotten", seen, dialogs, leads
    )


FEATURE = Feature(name="housekeeping", jobs=[Job("maintenance:prune", prune, cron="30 3 * * *")])
