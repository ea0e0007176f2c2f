"""Scheduler jobs: thin calls into the host, and the daily digest's trigger."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from scheduler import jobs
from scheduler.setup import DIGEST_JOB_ID, build_scheduler, schedule_digest

LAGOS = ZoneInfo("Africa/Lagos")


class RecordingHost:
    """A job host that counts its calls."""

    def __init__(self) -> None:
        self.digests = 0

    async def send_digest(self) -> None:
        """Count one digest run."""
        self.digests += 1


async def test_send_digest_calls_the_host() -> None:
    """The digest job only asks the host to send the digest."""
    host = RecordingHost()
    await jobs.send_digest(host)
    assert host.digests == 1


async def test_digest_fires_daily_at_20_00_lagos() -> None:
    """The digest is a daily cron job at 20:00 Lagos time (19:00 UTC), whatever the host zone."""
    scheduler = build_scheduler(LAGOS)
    host = RecordingHost()
    schedule_digest(scheduler, host)
    job = scheduler.get_job(DIGEST_JOB_ID)
    assert job is not None
    assert (job.func, job.args) == (jobs.send_digest, (host,))
    before = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    first = job.trigger.get_next_fire_time(None, before)
    assert first == datetime(2026, 11, 27, 20, 0, tzinfo=LAGOS)
    assert first.astimezone(UTC) == datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    after = datetime(2026, 11, 27, 19, 0, 1, tzinfo=UTC)
    assert job.trigger.get_next_fire_time(first, after) == datetime(
        2026, 11, 28, 20, 0, tzinfo=LAGOS
    )


async def test_rescheduling_the_digest_replaces_it() -> None:
    """Scheduling again on a running scheduler (a new leader) keeps one job at the new time."""
    scheduler = build_scheduler(LAGOS)
    scheduler.start(paused=True)
    try:
        host = RecordingHost()
        schedule_digest(scheduler, host)
        schedule_digest(scheduler, host, at="07:30")
        assert [job.id for job in scheduler.get_jobs()] == [DIGEST_JOB_ID]
        job = scheduler.get_job(DIGEST_JOB_ID)
        assert job is not None
        now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
        assert job.trigger.get_next_fire_time(None, now) == datetime(
            2026, 11, 28, 7, 30, tzinfo=LAGOS
        )
    finally:
        scheduler.shutdown(wait=False)
