"""register_jobs: every declared job becomes one APScheduler job with the trigger it declares."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.storage.db import Database
from handlers import declared_jobs
from handlers.context import HandlerContext
from handlers.feature import Job
from handlers.settings import FeatureSettings, RelaySettings
from scheduler.jobs import run_job
from scheduler.setup import build_scheduler, register_jobs, trigger_for
from tests.scheduler.conftest import NOW, context_for

LAGOS = ZoneInfo("Africa/Lagos")


async def _nothing(ctx: HandlerContext, now: datetime) -> None:
    """A job that does nothing."""


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    """Return a started, paused scheduler in Lagos time, as a new leader has it."""
    sched = build_scheduler(LAGOS)
    sched.start(paused=True)
    yield sched
    sched.shutdown(wait=False)


def _next(trigger: object, after: datetime) -> datetime | None:
    assert isinstance(trigger, CronTrigger | IntervalTrigger)
    return trigger.get_next_fire_time(None, after)


async def test_every_declared_job_is_registered_to_run_the_wrapper(
    scheduler: AsyncIOScheduler, ctx: HandlerContext
) -> None:
    """Each feature job appears once under its id, running run_job with the job and context."""
    jobs = declared_jobs()
    register_jobs(scheduler, jobs, ctx, now=NOW)
    registered = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(registered) == sorted(j.id for j in jobs)
    assert {"forum:poll", "digest:daily", "maintenance:prune"} <= set(registered)
    for job in jobs:
        aps = registered[job.id]
        assert (aps.func, aps.args, aps.name) == (run_job, (job, ctx), job.id)


async def test_declared_jobs_get_their_declared_triggers(
    scheduler: AsyncIOScheduler, db: Database
) -> None:
    """The poll repeats every poll_interval, the digest daily at digest_time, prune at 03:30."""
    settings = FeatureSettings(relay=RelaySettings(poll_interval=45.0, digest_time="07:30"))
    ctx = context_for(db, settings)
    register_jobs(scheduler, declared_jobs(), ctx, now=NOW)
    poll = scheduler.get_job("forum:poll")
    assert poll is not None
    assert isinstance(poll.trigger, IntervalTrigger)
    assert poll.trigger.interval == timedelta(seconds=45)
    assert poll.trigger.timezone == LAGOS
    digest = scheduler.get_job("digest:daily")
    assert digest is not None
    assert _next(digest.trigger, NOW) == datetime(2026, 11, 28, 7, 30, tzinfo=LAGOS)
    prune = scheduler.get_job("maintenance:prune")
    assert prune is not None
    assert _next(prune.trigger, NOW) == datetime(2026, 11, 28, 3, 30, tzinfo=LAGOS)


async def test_only_run_at_start_jobs_run_at_once(
    scheduler: AsyncIOScheduler, ctx: HandlerContext
) -> None:
    """The poll (run_at_start) is due at ``now``; the others wait for their first fire time."""
    before = datetime.now(UTC)
    register_jobs(scheduler, declared_jobs(), ctx, now=NOW)
    times = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    assert times["forum:poll"] == NOW
    local = {k: v.astimezone(LAGOS) for k, v in times.items() if k != "forum:poll"}
    assert all(t > before for t in local.values())
    assert (local["digest:daily"].hour, local["digest:daily"].minute) == (20, 0)
    assert (local["maintenance:prune"].hour, local["maintenance:prune"].minute) == (3, 30)


async def test_without_now_no_job_is_pulled_forward(
    scheduler: AsyncIOScheduler, ctx: HandlerContext
) -> None:
    """Without ``now`` even a run_at_start job waits for its trigger's first fire time."""
    before = datetime.now(UTC)
    job = Job("test:poll", _nothing, every=3600, run_at_start=True)
    register_jobs(scheduler, [job], ctx)
    aps = scheduler.get_job("test:poll")
    assert aps is not None
    assert aps.next_run_time >= before + timedelta(seconds=3590)


async def test_registering_again_replaces_the_jobs(
    scheduler: AsyncIOScheduler, db: Database
) -> None:
    """A process that leads again keeps one job per id, with the newer settings."""
    register_jobs(scheduler, declared_jobs(), context_for(db), now=NOW)
    later = FeatureSettings(relay=RelaySettings(digest_time="06:15"))
    register_jobs(scheduler, declared_jobs(), context_for(db, later), now=NOW)
    ids = [job.id for job in scheduler.get_jobs()]
    assert sorted(ids) == sorted(j.id for j in declared_jobs())
    digest = scheduler.get_job("digest:daily")
    assert digest is not None
    assert _next(digest.trigger, NOW) == datetime(2026, 11, 28, 6, 15, tzinfo=LAGOS)


async def test_any_declared_job_is_registered_generically(
    scheduler: AsyncIOScheduler, ctx: HandlerContext
) -> None:
    """A new feature's job needs no scheduler change: its own id, interval or crontab is used."""
    jobs = [
        Job("test:often", _nothing, every=lambda s: s.relay.poll_interval * 2, run_at_start=True),
        Job("test:sunday", _nothing, cron="0 9 * * 0"),
    ]
    register_jobs(scheduler, jobs, ctx, now=NOW)
    often = scheduler.get_job("test:often")
    assert often is not None
    assert often.trigger.interval == timedelta(seconds=120)
    assert often.next_run_time == NOW
    sunday = scheduler.get_job("test:sunday")
    assert sunday is not None
    assert _next(sunday.trigger, NOW) == datetime(2026, 11, 29, 9, 0, tzinfo=LAGOS)
    first = sunday.next_run_time.astimezone(LAGOS)
    assert (first.strftime("%A"), first.hour, first.minute) == ("Sunday", 9, 0)


def test_trigger_for_uses_the_zone_it_is_given() -> None:
    """Interval and cron triggers both carry the service's zone, never the host's."""
    tokyo = ZoneInfo("Asia/Tokyo")
    settings = FeatureSettings()
    interval = trigger_for(Job("a", _nothing, every=30), settings, tokyo)
    assert isinstance(interval, IntervalTrigger)
    assert interval.timezone == tokyo
    cron = trigger_for(Job("b", _nothing, cron=lambda s: "0 9 * * *"), settings, tokyo)
    assert isinstance(cron, CronTrigger)
    assert cron.timezone == tokyo
    assert _next(cron, NOW) == datetime(2026, 11, 28, 9, 0, tzinfo=tokyo)


def test_the_scheduler_coalesces_and_never_overlaps_a_job() -> None:
    """Missed runs collapse into one, one instance at a time, within the misfire grace."""
    sched = build_scheduler(LAGOS, misfire_grace_time=42)
    assert sched.timezone == LAGOS
    assert sched._job_defaults == {  # type: ignore[attr-defined]
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": 42,
    }


async def test_a_setting_change_reaches_the_trigger(
    scheduler: AsyncIOScheduler, ctx: HandlerContext
) -> None:
    """The poll interval is read from the context's settings when the job is registered."""
    ctx.settings = replace(ctx.settings, relay=RelaySettings(poll_interval=300.0))
    register_jobs(scheduler, declared_jobs(), ctx, now=NOW)
    poll = scheduler.get_job("forum:poll")
    assert poll is not None
    assert poll.trigger.interval == timedelta(seconds=300)
