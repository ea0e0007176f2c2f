"""The one wrapper every scheduled job runs in: log the failure, never raise into APScheduler."""

from __future__ import annotations

import logging

from bot.core.errors import ForumError
from handlers.context import HandlerContext
from handlers.feature import Job

logger = logging.getLogger(__name__)


async def run_job(job: Job, ctx: HandlerContext) -> None:
    """Run one job at the context's current time; a failure is logged once and swallowed."""
    try:
        await job.fn(ctx, ctx.clock.now())
    except ForumError as exc:
        # Expected while the forum is down: the poll records it; one line, no traceback.
        logger.warning("Job %s failed: %s", job.id, exc)
    except Exception:
        logger.exception("Job %s failed", job.id)
