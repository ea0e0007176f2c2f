"""Build the AsyncIOScheduler and register every feature's declared jobs, generically."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from handlers.context import HandlerContext
from handlers.feature import Job
from handlers.settings import FeatureSettings
from scheduler.cron import crontab_trigger
from scheduler.jobs import RunningJobs, run_job


def build_scheduler(tz: tzinfo, *, misfire_grace_time: int = 300) -> AsyncIOScheduler:
    """Return a scheduler (not started) whose jobs coalesce and never overlap."""
    return AsyncIOScheduler(
        timezone=tz,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": misfire_grace_time,
        },
    )


def trigger_for(job: Job, settings: FeatureSettings, tz: tzinfo) -> BaseTrigger:
    """Return the trigger a job declares, in zone ``tz`` (never the host's)."""
    seconds = job.interval(settings)
    if seconds is not None:
        return IntervalTrigger(seconds=seconds, timezone=tz)
    line = job.crontab(settings)
    assert line is not None  # Job checks that it has one of the two
    return crontab_trigger(line, tz)


def register_jobs(
    scheduler: AsyncIOScheduler,
    jobs: Sequence[Job],
    ctx: HandlerContext,
    *,
    now: datetime | None = None,
    running: RunningJobs | None = None,
) -> None:
    """Add (or replace) every declared job; ``run_at_start`` jobs also run at ``now``.

    With ``running``, each job runs through it so a shutdown can wait for the ones in flight.
    """
    func = running.run if running is not None else run_job
    for job in jobs:
        extra = {"next_run_time": now} if job.run_at_start and now is not None else {}
        scheduler.add_job(
            func,
            trigger_for(job, ctx.settings, ctx.tz),
            args=(job, ctx),
            id=job.id,
            name=job.id,
            replace_existing=True,
            **extra,
        )
