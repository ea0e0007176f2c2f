"""The whole service on embedded defaults: relay to the console, health, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from bot.app import build_service
from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import InboundMessage
from bot.runtime import Runtime, StartupError
from tests.service_config import service_config, service_data, write_config

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_SUBJECTS = [
    "Nigeria & Saudi Arabia Discuss Pilgrim Welfare",
    "December Umrah Promo",
    "Saudi Arabia Updates Umrah Visa Rules",
]


async def _wait_for(predicate, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_the_service_relays_the_bundled_feed_and_answers_healthz(tmp_path: Path) -> None:
    """On embedded defaults the bundled feed's topics reach the console and /healthz answers."""
    runtime = Runtime(build_service(service_config(tmp_path)))
    output = tmp_path / "console.txt"
    await runtime.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runtime.web_port}") as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
        await _wait_for(
            lambda: (
                output.exists() and output.read_text().count("── telegram → @attaqwaa_demo") == 5
            )
        )
        text = output.read_text()
        for subject in BUNDLED_SUBJECTS:
            assert subject in text
        assert runtime.is_leader
    finally:
        await runtime.stop()


async def test_a_second_process_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    """With SQLite one process runs; a second says why it cannot start."""
    first = Runtime(build_service(service_config(tmp_path)))
    await first.start()
    try:
        second = Runtime(build_service(service_config(tmp_path)))
        with pytest.raises(StartupError, match="already running"):
            await second.start()
        await second.stop()
    finally:
        await first.stop()


async def test_stop_finishes_well_within_the_shutdown_timeout(tmp_path: Path) -> None:
    """Stopping a running service takes far less than its 10 s budget."""
    runtime = Runtime(build_service(service_config(tmp_path)))
    await runtime.start()
    started = time.monotonic()
    await runtime.stop()
    assert time.monotonic() - started < 5


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_minbar_process_stops_cleanly_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    """`minbar run` exits 0 within 10 s of SIGTERM or Ctrl-C, after saying it stopped."""
    data = service_data(tmp_path, web={"port": _free_port()})
    config = write_config(tmp_path / "config.toml", data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINBAR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{data['web']['port']}/healthz"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "service did not come up"
            time.sleep(0.1)
        sent = time.monotonic()
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=10)
        assert time.monotonic() - sent < 10
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "Minbar stopped" in out


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_settings_that_only_work_against_fakes_are_warned_about(tmp_path: Path) -> None:
    """Live Telegram polling on PostgreSQL, and live WhatsApp on a loopback URL, get a warning."""
    from bot.config import build_config

    data = service_data(tmp_path)
    data["database"] = {"url": "postgresql+asyncpg://postgres@127.0.0.1:5432/minbar"}
    data["telegram"] = {"mode": "live"}
    data["whatsapp"] = {"mode": "live"}
    environ = {
        "MINBAR_TELEGRAM__TOKEN": "7350917461:" + "A" * 35,
        "MINBAR_TWILIO__ACCOUNT_SID": "AC" + "1" * 32,
        "MINBAR_TWILIO__AUTH_TOKEN": "t" * 32,
    }
    live = build_service(build_config(data, environ))
    quiet = build_service(service_config(tmp_path))
    try:
        warnings = live.warnings
        assert len(warnings) == 2
        assert "set telegram.webhook_url" in warnings[0]
        assert "Twilio cannot reach a loopback address" in warnings[1]
        assert quiet.warnings == []
    finally:
        await live.db.dispose()
        await quiet.db.dispose()


async def test_the_runtime_logs_each_deployment_warning_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every warning the platforms raised is logged once when the service starts."""
    import logging

    service = build_service(service_config(tmp_path, web={"enabled": False}))
    service.warnings = ["first thing to fix", "second thing to fix"]
    runtime = Runtime(service, lead=False)
    with caplog.at_level(logging.WARNING, logger="bot.runtime"):
        await runtime.start()
        await runtime.stop()
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.runtime"]
    assert logged.count("first thing to fix") == 1
    assert logged.count("second thing to fix") == 1


async def test_housekeeping_forgets_old_inbox_rows_and_expired_dialogs(tmp_path: Path) -> None:
    """Pruning drops handled inbox rows over 3 days old and expired dialogs, keeps the rest."""
    from datetime import UTC, timedelta

    from bot.core.clock import FrozenClock
    from bot.domain.inbox import InboxState
    from bot.storage.migrate import upgrade_database
    from scheduler.jobs import run_job

    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    service = build_service(service_config(tmp_path), clock=clock)
    await upgrade_database(service.db)
    repos = service.ctx.repos
    try:
        [prune] = [job for job in service.jobs if job.id == "maintenance:prune"]
        await service.intake.accept(_inbound("telegram:update:1", clock.now()))
        assert await service.inbox.drain() == 1
        await repos.dialogs.save("whatsapp", "+2348000000001", "boards", "choose", {}, 600)
        clock.advance(timedelta(days=4).total_seconds())
        await service.intake.accept(_inbound("telegram:update:2", clock.now()))
        await service.inbox.drain()
        await run_job(prune, service.ctx)
        assert await repos.inbox.state_of("telegram", "telegram:update:1") is None  # forgotten
        assert await repos.inbox.state_of("telegram", "telegram:update:2") is InboxState.DONE
        assert await repos.dialogs.prune_expired() == 0  # the job already removed it
    finally:
        await service.db.dispose()


def _inbound(ref: str, at: datetime) -> InboundMessage:
    return InboundMessage(
        channel=ChannelName("telegram"),
        chat_id=ChatId("5"),
        sender_id=UserId("5"),
        text="hello",
        received_at=at,
        message_ref=ref,
    )


async def test_leading_registers_the_services_jobs(tmp_path: Path) -> None:
    """The leader's scheduler holds exactly the service's declared jobs, the poll due at once."""
    from datetime import UTC, datetime

    from bot.core.clock import FrozenClock

    clock = FrozenClock(datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    service = build_service(service_config(tmp_path, web={"enabled": False}), clock=clock)
    runtime = Runtime(service)
    await runtime.start()
    try:
        assert runtime.is_leader
        scheduled = {job.id: job for job in runtime._scheduler.get_jobs()}
        assert sorted(scheduled) == sorted(job.id for job in service.jobs)
        assert scheduled["forum:poll"].args == (
            next(j for j in service.jobs if j.id == "forum:poll"),
            service.ctx,
        )
    finally:
        await runtime.stop()


async def test_stop_waits_for_a_running_job_to_unwind(tmp_path: Path) -> None:
    """A job cancelled by shutdown finishes its clean-up before stop() returns."""

    from handlers.context import HandlerContext
    from handlers.feature import Job

    started = asyncio.Event()
    unwound: list[bool] = []

    async def long_job(ctx: HandlerContext, now: datetime) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(1.5)  # clean-up that needs the loop (e.g. closing a session)
            unwound.append(True)

    service = build_service(service_config(tmp_path, web={"enabled": False}))
    service.jobs = [Job("test:long", long_job, every=3600, run_at_start=True)]
    runtime = Runtime(service)
    await runtime.start()
    try:
        await asyncio.wait_for(started.wait(), 5)
    finally:
        await runtime.stop()
    assert unwound == [True]
