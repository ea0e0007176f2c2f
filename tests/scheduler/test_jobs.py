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


class PollingHost:
    """A host whose forum poll fails with the configured error, counting calls."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.polls = 0
        self.prunes = 0

    async def poll_forum(self) -> None:
        """Count a poll, then fail if told to."""
        self.polls += 1
        if self.error is not None:
            raise self.error

    async def prune(self) -> None:
        """Count a housekeeping run."""
        self.prunes += 1


async def test_the_forum_poll_runs_every_interval_from_now() -> None:
    """The poll job starts at once and repeats every forum.poll_interval seconds."""
    from scheduler.setup import FORUM_POLL_JOB_ID, schedule_forum_poll

    scheduler = build_scheduler(LAGOS)
    host = PollingHost()
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    schedule_forum_poll(scheduler, host, interval_seconds=60, first_run=now)
    job = scheduler.get_job(FORUM_POLL_JOB_ID)
    assert job is not None
    assert (job.func, job.args) == (jobs.poll_forum, (host,))
    assert job.next_run_time == now
    later = job.trigger.get_next_fire_time(now, now)
    assert later is not None
    assert (later - now).total_seconds() == 60


async def test_a_feed_failure_never_escapes_the_poll_job() -> None:
    """A ForumError is logged by the job; the scheduler keeps running it."""
    from bot.core.errors import ForumError

    host = PollingHost(ForumError("feed down"))
    await jobs.poll_forum(host)
    assert host.polls == 1


async def test_housekeeping_runs_nightly_at_03_30_lagos() -> None:
    """The prune job fires at 03:30 Lagos and only asks the host to prune."""
    from scheduler.setup import PRUNE_JOB_ID, schedule_prune

    scheduler = build_scheduler(LAGOS)
    host = PollingHost()
    schedule_prune(scheduler, host)
    job = scheduler.get_job(PRUNE_JOB_ID)
    assert job is not None
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    assert fire == datetime(2026, 11, 28, 3, 30, tzinfo=LAGOS)
    await jobs.prune(host)
    assert host.prunes == 1
