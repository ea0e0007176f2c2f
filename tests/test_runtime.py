"""The whole service on embedded defaults: relay to the console, health, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.app import build_service
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


def test_settings_that_only_work_against_fakes_are_warned_about(tmp_path: Path) -> None:
    """Live WhatsApp on a loopback public URL, and Telegram polling on PostgreSQL, get a warning."""
    from bot.config import build_config
    from bot.runtime import deployment_warnings

    data = service_data(tmp_path)
    data["database"] = {"url": "postgresql+asyncpg://postgres@127.0.0.1:5432/minbar"}
    data["telegram"] = {"mode": "live"}
    data["whatsapp"] = {"mode": "live"}
    environ = {
        "MINBAR_TELEGRAM__TOKEN": "7350917461:" + "A" * 35,
        "MINBAR_TWILIO__ACCOUNT_SID": "AC" + "1" * 32,
        "MINBAR_TWILIO__AUTH_TOKEN": "t" * 32,
    }
    warnings = deployment_warnings(build_config(data, environ))
    assert len(warnings) == 2
    assert "Twilio cannot reach a loopback address" in warnings[0]
    assert "set telegram.webhook_url" in warnings[1]
    assert deployment_warnings(service_config(tmp_path)) == []


async def test_housekeeping_forgets_old_inbound_ids_and_expired_dialogs(tmp_path: Path) -> None:
    """prune() drops dedupe ids older than 14 days and expired dialogs, and keeps the rest."""
    from datetime import UTC, datetime, timedelta

    from bot.core.clock import FrozenClock
    from bot.storage.migrate import upgrade_database

    clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    service = build_service(service_config(tmp_path), clock=clock)
    await upgrade_database(service.db)
    try:
        await service.ctx.inbound.first_time("telegram:update:1")
        await service.ctx.dialogs.save("whatsapp", "+2348000000001", "boards", "choose", {}, 600)
        clock.advance(timedelta(days=15).total_seconds())
        await service.ctx.inbound.first_time("telegram:update:2")
        await service.prune()
        assert await service.ctx.inbound.first_time("telegram:update:1")  # forgotten
        assert not await service.ctx.inbound.first_time("telegram:update:2")  # kept
        assert await service.ctx.dialogs.prune_expired() == 0  # prune() already removed it
    finally:
        await service.db.dispose()
