"""run_job: the wrapper every scheduled job runs in logs a failure and never raises."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from bot.core.errors import ForumError
from handlers.context import HandlerContext
from handlers.feature import Job
from scheduler.jobs import RunningJobs, run_job
from scheduler.setup import build_scheduler, register_jobs
from tests.scheduler.conftest import NOW


async def test_a_job_gets_the_context_and_its_current_time(ctx: HandlerContext) -> None:
    """The job function is called with the context and the context clock's now."""
    calls: list[tuple[HandlerContext, datetime]] = []

    async def record(job_ctx: HandlerContext, now: datetime) -> None:
        calls.append((job_ctx, now))

    await run_job(Job("test:record", record, every=60), ctx)
    assert calls == [(ctx, NOW)]


async def test_a_failure_is_logged_with_its_traceback_and_swallowed(
    ctx: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in a job is logged once, naming the job, with the traceback; nothing escapes."""

    async def broken(job_ctx: HandlerContext, now: datetime) -> None:
        raise ZeroDivisionError("boom")

    with caplog.at_level(logging.ERROR, logger="scheduler.jobs"):
        await run_job(Job("test:broken", broken, every=60), ctx)
    [record] = [r for r in caplog.records if r.name == "scheduler.jobs"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Job test:broken failed"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ZeroDivisionError)


async def test_a_forum_outage_is_one_warning_line(
    ctx: HandlerContext, caplog: pytest.LogCaptureFixture
) -> None:
    """A ForumError (the feed is down) is a warning without a traceback, and is swallowed."""

    async def feed_down(job_ctx: HandlerContext, now: datetime) -> None:
        raise ForumError("feed down")

    with caplog.at_level(logging.WARNING, logger="scheduler.jobs"):
        await run_job(Job("forum:poll", feed_down, every=60), ctx)
    [record] = [r for r in caplog.records if r.name == "scheduler.jobs"]
    assert record.levelno == logging.WARNING
    assert "Job forum:poll failed: " in record.getMessage()
    assert "feed down" in record.getMessage()
    assert record.exc_info is None


async def test_cancellation_is_not_swallowed(ctx: HandlerContext) -> None:
    """Shutting down cancels a running job; the wrapper lets the cancellation through."""

    async def cancelled(job_ctx: HandlerContext, now: datetime) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await run_job(Job("test:cancelled", cancelled, every=60), ctx)


async def test_a_failing_job_keeps_being_scheduled(ctx: HandlerContext) -> None:
    """A job that fails every time still runs again at its next interval."""
    runs = 0
    again = asyncio.Event()

    async def always_fails(job_ctx: HandlerContext, now: datetime) -> None:
        nonlocal runs
        runs += 1
        if runs >= 2:
            again.set()
        raise RuntimeError("still broken")

    scheduler = build_scheduler(ctx.tz)
    register_jobs(scheduler, [Job("test:fails", always_fails, every=0.05)], ctx)
    scheduler.start()
    try:
        await asyncio.wait_for(again.wait(), 5)
    finally:
        scheduler.shutdown(wait=False)
    assert runs >= 2


async def test_running_jobs_waits_for_a_cancelled_job_to_unwind(ctx: HandlerContext) -> None:
    """A job cancelled mid-run is awaited by wait(), clean-up included, and then forgotten."""
    started = asyncio.Event()
    unwound: list[str] = []

    async def slow(job_ctx: HandlerContext, now: datetime) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.01)  # clean-up that itself awaits, as a DB rollback does
            unwound.append("done")

    running = RunningJobs()
    task = asyncio.create_task(running.run(Job("test:slow", slow, every=60), ctx))
    await started.wait()
    assert running.count == 1
    task.cancel()
    await running.wait()
    assert unwound == ["done"]
    assert running.count == 0
    assert task.cancelled()


async def test_registered_jobs_run_through_the_given_tracker(ctx: HandlerContext) -> None:
    """register_jobs with running= makes APScheduler call the tracker, not the bare wrapper."""
    running = RunningJobs()
    scheduler = build_scheduler(ctx.tz)

    async def noop(job_ctx: HandlerContext, now: datetime) -> None:
        return None

    register_jobs(scheduler, [Job("test:noop", noop, every=60)], ctx, running=running)
    [aps] = scheduler.get_jobs()
    assert aps.func == running.run
