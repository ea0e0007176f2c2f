"""Build the AsyncIOScheduler with Minbar's time zone and job defaults."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler import jobs

FORUM_POLL_JOB_ID = "forum:poll"
DIGEST_JOB_ID = "digest:daily"


def build_scheduler(tz: ZoneInfo, *, misfire_grace_time: int = 300) -> AsyncIOScheduler:
    """Return a scheduler (not started) whose jobs coalesce and never overlap."""
    # The host's local zone must never leak in: triggers inherit this zone.
    return AsyncIOScheduler(
        timezone=tz,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": misfire_grace_time,
        },
    )


def schedule_forum_poll(
    scheduler: AsyncIOScheduler,
    host: jobs.JobHost,
    *,
    interval_seconds: float,
    first_run: datetime | None = None,
) -> None:
    """Add (or replace) the interval job that polls the forum."""
    scheduler.add_job(
        jobs.poll_forum,
        "interval",
        seconds=interval_seconds,
        args=(host,),
        id=FORUM_POLL_JOB_ID,
        replace_existing=True,
        next_run_time=first_run,
    )


def schedule_digest(
    scheduler: AsyncIOScheduler, host: jobs.DigestHost, *, at: str = "20:00"
) -> None:
    """Add (or replace) the daily digest job at local ``HH:MM`` in the scheduler's zone."""
    hour, _, minute = at.partition(":")
    scheduler.add_job(
        jobs.send_digest,
        "cron",
        hour=int(hour),
        minute=int(minute),
        args=(host,),
        id=DIGEST_JOB_ID,
        replace_existing=True,
    )


PRUNE_JOB_ID = "maintenance:prune"


def schedule_prune(scheduler: AsyncIOScheduler, host: jobs.MaintenanceHost) -> None:
    """Add (or replace) the nightly housekeeping at 03:30 in the scheduler's zone."""
    scheduler.add_job(
        jobs.prune, "cron", hour=3, minute=30, args=(host,), id=PRUNE_JOB_ID, replace_existing=True
    )
