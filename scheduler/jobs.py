"""The one wrapper every scheduled job runs in: log the failure, never raise into APScheduler."""

from __future__ import annotations

import asyncio
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


class RunningJobs:
    """Run jobs through ``run_job`` and remember the tasks still running them.

    ``AsyncIOScheduler.shutdown`` cancels running jobs but cannot wait for them; a shutdown
    that then closes the database under a job still unwinding leaves that task hanging.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    async def run(self, job: Job, ctx: HandlerContext) -> None:
        """Run one job as ``run_job`` does, tracked until it ends."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await run_job(job, ctx)
        finally:
            if task is not None:
                self._tasks.discard(task)

    @property
    def count(self) -> int:
        """Return how many jobs are running now."""
        return len(self._tasks)

    async def wait(self) -> None:
        """Wait until every tracked job has finished, cancelled ones included."""
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
