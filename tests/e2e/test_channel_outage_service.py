"""The whole service when Telegram is unreachable at boot, and when it refuses the token.

Telegram is the fake Bot API on a port reserved for it but not yet listening (connections are
refused, as for a platform that is down), WhatsApp the fake Twilio; both through their real
clients. When the fake starts on that port, the service must catch up on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.app import Service, build_service
from bot.channel_supervisor import ChannelRefused, StartRetry
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.console.platform import CONSOLE_ADMIN
from bot.config import build_config
from bot.runtime import Runtime
from handlers.admin import render_status
from tests.e2e.conftest import (
    AUTH,
    SECRETS,
    SID,
    TOKEN,
    Harness,
    eventually,
    free_port,
    running_service,
)
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi
from tests.handlers.conftest import EN
from tests.service_config import service_data, write_config

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = -1001000000001
TG_ADMIN = 4242
WA_ADMIN = "+2348030000011"
MUSA = "+2348030000002"
WRONG_TOKEN = "7081234567:AAWrongWrongWrongWrongWrongWrong123"
# Fast, so the test sees several failed starts and a quick catch-up.
FAST_RETRY = StartRetry(base=0.05, cap=0.2)


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilioApi]:
    """A fake Twilio account."""
    async with FakeTwilioApi.running(SID, AUTH) as api:
        yield api


def _console(h: Harness) -> ConsoleChannel:
    channel = h.service.channels.get("console")
    assert isinstance(channel, ConsoleChannel)
    return channel


def _console_alerts(h: Harness) -> list[str]:
    return [m.plain_text for m in _console(h).sent if m.recipient.chat_id == CONSOLE_ADMIN]


def _wa_texts(h: Harness, number: str) -> list[str]:
    return [m["Body"] for m in h.twilio_to(number)]


async def test_telegram_unreachable_at_boot_leaves_the_rest_running_and_catches_up(
    tmp_path: Path, twilio: FakeTwilioApi
) -> None:
    """Down at boot: relay, WhatsApp and /status work, admins hear once; back: rows go out."""
    telegram = FakeTelegramApi(TOKEN)
    telegram.port = free_port()  # reserved, not listening: Telegram refuses connections
    telegram.add_group(CHANNEL, "Attaqwaa", kind="channel")
    twilio.set_last_inbound(WA_ADMIN, datetime.now(UTC))

    async def prepare(service: Service) -> None:
        # The WhatsApp admin wrote recently: an alert is free-form inside the 24-hour window.
        await service.ctx.repos.subscribers.upsert_inbound(
            "whatsapp", WA_ADMIN, "private", None, datetime.now(UTC)
        )

    try:
        async with running_service(
            tmp_path,
            telegram=telegram,
            twilio=twilio,
            prepare=prepare,
            runtime_options={"channel_retry": FAST_RETRY},
            admins={"telegram": [TG_ADMIN], "whatsapp": [WA_ADMIN]},
            relay={
                "destinations": [
                    {"channel": "telegram", "chat_id": str(CHANNEL), "kind": "channel"}
                ]
            },
            forum={"backfill": 1},
        ) as h:
            svc = h.service
            assert svc.channels.is_started("whatsapp")
            assert not svc.channels.is_started("telegram")
            # The relay polls: the newest topic is queued for the Telegram channel and waits.
            await eventually(lambda: h.rows_for(str(CHANNEL)), what="the relayed topic queued")
            # WhatsApp works: a person is answered.
            await twilio.send_inbound(h.inbound_url, MUSA, "hello")
            await eventually(lambda: _wa_texts(h, MUSA), what="a WhatsApp reply")
            # The admins on the other platforms hear once; the Telegram admin is not written to.
            await eventually(lambda: _wa_texts(h, WA_ADMIN), what="the WhatsApp admin alert")
            await eventually(lambda: _console_alerts(h), what="the console admin alert")
            await eventually(
                lambda: (
                    svc.status.outages.get("telegram") is not None
                    and svc.status.outages["telegram"].attempts >= 4
                ),
                what="several failed starts",
            )
            # The worker may hold the row for a moment while it hands it back; read it at rest.
            await eventually(lambda: _at_rest(h), what="the relayed row back to pending")
            [relayed] = await h.rows_for(str(CHANNEL))
            assert (relayed.status, relayed.attempts) == ("pending", 0)  # no try was spent
            assert await h.rows_for(str(TG_ADMIN)) == []
            # /status (an admin on WhatsApp asks) and /readyz name the channel that is down.
            snapshot = await svc.status.snapshot()
            text = render_status(snapshot, svc.clock.now(), EN)
            assert "telegram DOWN" in text
            assert "telegram unreachable since" in text
            await twilio.send_inbound(h.inbound_url, WA_ADMIN, "/status")
            await eventually(
                lambda: any("telegram unreachable since" in t for t in _wa_texts(h, WA_ADMIN)),
                what="/status on WhatsApp",
            )
            async with httpx.AsyncClient(base_url=h.public_url) as client:
                ready = await client.get("/readyz")
            assert ready.status_code == 200  # WhatsApp's webhooks must keep arriving
            down = ready.json()["channels_down"]
            assert list(down) == ["telegram"]
            assert down["telegram"]["error"] == "network"
            assert (
                down["telegram"]["since"] == snapshot.channel_outages["telegram"].since.isoformat()
            )

            # Telegram comes back on the same address.
            await telegram.start()
            await eventually(lambda: svc.channels.is_started("telegram"), 10, "telegram up")
            await eventually(lambda: h.sent_to(CHANNEL), 10, what="the waiting topic sent")
            await eventually(
                lambda: len(_wa_texts(h, WA_ADMIN)) == 3 and len(_console_alerts(h)) == 2,
                what="one recovery notice each",
            )
            await eventually(h.settled, what="an empty outbox")
            [relayed] = await h.rows_for(str(CHANNEL))
            await asyncio.sleep(0.5)  # time for a repeated notice, if there were one
            wa_admin = _wa_texts(h, WA_ADMIN)
            console = _console_alerts(h)
            assert svc.status.outages == {}
            assert svc.channels.is_started("telegram")
    finally:
        await telegram.stop()  # after the service: its poller must not see it vanish
    assert (relayed.status, relayed.attempts) == ("sent", 1)
    [alert, _status, recovered] = wa_admin
    assert alert.startswith("*Telegram is unreachable*\nTelegram is unreachable since ")
    assert "(network)" in alert
    assert recovered.startswith("*Telegram is back*\nTelegram works again")
    assert [c.split("\n", 1)[0] for c in console] == [
        "Telegram is unreachable",
        "Telegram is back",
    ]
    # The command menu was published once Telegram was up.
    assert any(method == "setMyCommands" for method, _ in telegram.requests)


async def test_a_rejected_token_stops_the_runtime_before_it_serves(tmp_path: Path) -> None:
    """401 from getMe: Runtime.start raises ChannelRefused, nothing keeps running."""
    async with FakeTelegramApi.running(TOKEN) as telegram:
        data = service_data(
            tmp_path,
            web={"enabled": False},
            telegram={"mode": "live", "base_url": telegram.base_url},
        )
        config = build_config(data, {**SECRETS, "MINBAR_TELEGRAM__TOKEN": WRONG_TOKEN})
        runtime = Runtime(build_service(config))
        try:
            with pytest.raises(ChannelRefused) as info:
                await runtime.start()
        finally:
            await runtime.stop()
    assert str(info.value).startswith("telegram cannot start: the platform rejected")
    assert WRONG_TOKEN not in str(info.value)
    assert not runtime.service.channels.is_started("console")  # stopped again


async def test_a_token_refused_once_telegram_returns_ends_the_run(tmp_path: Path) -> None:
    """Unreachable at boot, then 401 when it answers: wait() raises, so the CLI exits non-zero."""
    telegram = FakeTelegramApi(TOKEN)
    telegram.port = free_port()
    try:
        async with running_service(
            tmp_path,
            telegram=telegram,
            runtime_options={"channel_retry": FAST_RETRY},
            environ={"MINBAR_TELEGRAM__TOKEN": WRONG_TOKEN},
        ) as h:
            assert h.service.status.outages["telegram"].error_key == "network"
            await telegram.start()
            with pytest.raises(ChannelRefused, match="rejected its credentials"):
                await asyncio.wait_for(h.runtime.wait(), 10)
    finally:
        await telegram.stop()


@contextlib.contextmanager
def _telegram_in_a_thread(token: str) -> Iterator[FakeTelegramApi]:
    """Serve the fake Bot API from its own event loop, for a service in another process."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeTelegramApi(token)
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.mark.slow
def test_minbar_run_exits_non_zero_with_one_clear_line_on_a_rejected_token(
    tmp_path: Path,
) -> None:
    """`minbar run` with a token Telegram refuses exits 2, says why, and never prints it."""
    with _telegram_in_a_thread(TOKEN) as telegram:
        data = service_data(
            tmp_path,
            web={"port": free_port()},
            telegram={"mode": "live", "base_url": telegram.base_url},
        )
        config = write_config(tmp_path / "config.toml", data)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINBAR_")}
        env["MINBAR_TELEGRAM__TOKEN"] = WRONG_TOKEN
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("minbar: ")]
    assert errors == [
        "minbar: telegram cannot start: the platform rejected its credentials (invalid_token: "
        "Telegram answered 401/404 to the bot token; check MINBAR_TELEGRAM__TOKEN (and "
        "telegram.base_url))"
    ]
    output = proc.stdout + proc.stderr
    assert WRONG_TOKEN not in output
    assert WRONG_TOKEN.split(":")[1] not in output


async def _at_rest(h: Harness) -> bool:
    """Return whether the relayed row is not being held by a worker right now."""
    rows = await h.rows_for(str(CHANNEL))
    return len(rows) == 1 and rows[0].status == "pending"
