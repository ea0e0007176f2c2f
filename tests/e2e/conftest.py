"""The whole Minbar service against in-process fake Telegram and Twilio servers.

``running_service`` starts the real runtime (web server, outbox worker, scheduler, forum poll)
with live Telegram and WhatsApp channels whose only way out is ``telegram.base_url`` and
``twilio.api_base_url``, both pointed at the fakes. Tests wait for effects with ``eventually``
(a deadline, never a fixed sleep) and read the database through the repositories.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import Service, build_service
from bot.channels.telegram.webhook import WEBHOOK_PATH
from bot.channels.whatsapp.webhook import INBOUND_PATH
from bot.config import build_config
from bot.core.ids import OutboxId
from bot.domain.destinations import Destination
from bot.domain.outbox import OutboxEntry
from bot.domain.subscribers import Subscriber
from bot.forum.source import ForumSource
from bot.runtime import Runtime
from bot.storage.migrate import upgrade_database
from bot.storage.repositories.outbox import OutboxRepo
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_api_state import SentMessage
from tests.fakes.twilio_api import FakeTwilioApi
from tests.service_config import service_data

# Shaped like real credentials; the config refuses documentation examples.
TOKEN = "7081234567:AAGk2q9Zr4TbWv8nLmPq3sYh6JdFe1cUo0w"
SID = "AC3f2a9c7d1e4b6a8f0c2d4e6f8a0b1c3d"
AUTH = "9d1c7e2b4a6f8e0d2c4b6a8f0e2d4c6b"
WEBHOOK_SECRET = "e2e_webhook-secret_42"
SECRETS = {
    "MINBAR_TELEGRAM__TOKEN": TOKEN,
    "MINBAR_TWILIO__ACCOUNT_SID": SID,
    "MINBAR_TWILIO__AUTH_TOKEN": AUTH,
}
# Fast enough that retries and rate waits finish inside a test's few seconds.
FAST_OUTBOX = {"poll_interval": 0.05, "backoff_base": 0.1, "backoff_max": 0.5}
# Rates above the fakes' defaults, for tests that are not about pacing.
FAST_TELEGRAM_RATE = {"per_group_per_minute": 600.0, "per_group_burst": 10}

Prepare = Callable[[Service], Awaitable[None]]


def free_port() -> int:
    """Return a loopback port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def eventually(
    check: Callable[[], object], within: float = 5.0, what: str = "condition"
) -> None:
    """Poll ``check`` (sync or async) until its result is truthy; fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {within}s")
        await asyncio.sleep(0.02)


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


@dataclass
class Harness:
    """A running service and the fakes it talks to."""

    runtime: Runtime
    service: Service
    public_url: str
    telegram: FakeTelegramApi | None = None
    twilio: FakeTwilioApi | None = None

    @property
    def inbound_url(self) -> str:
        """Return the URL Twilio posts inbound WhatsApp messages to (and signs)."""
        return f"{self.public_url}{INBOUND_PATH}"

    @property
    def telegram_webhook_url(self) -> str:
        """Return the URL of the Telegram webhook route."""
        return f"{self.public_url}{WEBHOOK_PATH}"

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """Return what the fake Telegram accepted for one chat, in order."""
        assert self.telegram is not None
        return [m for m in self.telegram.sent if m.chat_id == chat_id]

    def twilio_to(self, number: str) -> list[dict[str, str]]:
        """Return the parameters of every message created for one WhatsApp number."""
        assert self.twilio is not None
        return [m.params for m in self.twilio.messages if m.params["To"] == f"whatsapp:{number}"]

    async def outbox_rows(self) -> list[OutboxEntry]:
        """Return every outbox row, oldest first."""
        outbox = OutboxRepo(self.service.db, self.service.clock)
        total = sum((await self.service.ctx.repos.deliveries.depth_by_status()).values())
        rows: list[OutboxEntry] = []
        # Row ids count up from 1; a conflicting insert may leave a gap, hence the margin.
        next_id = 1
        while len(rows) < total and next_id <= 3 * total + 20:
            row = await outbox.get(OutboxId(next_id))
            if row is not None:
                rows.append(row)
            next_id += 1
        return rows

    async def rows_for(self, chat_id: str) -> list[OutboxEntry]:
        """Return the outbox rows addressed to one chat."""
        return [r for r in await self.outbox_rows() if r.recipient.chat_id == chat_id]

    async def subscriber(self, channel: str, chat_id: str) -> Subscriber | None:
        """Return one chat's subscriber record."""
        return await self.service.ctx.repos.subscribers.get(channel, chat_id)

    async def destination(self, channel: str, chat_id: str) -> Destination | None:
        """Return the destination record for a chat, if one exists."""
        found = [
            d
            for d in await self.service.ctx.repos.destinations.all()
            if (d.channel, d.chat_id) == (channel, chat_id)
        ]
        return found[0] if found else None

    async def settled(self) -> bool:
        """Return whether no outbox row waits to be sent."""
        depth = await self.service.ctx.repos.deliveries.depth_by_status()
        return depth.get("pending", 0) == 0 and depth.get("sending", 0) == 0

    async def run_job(self, job_id: str) -> None:
        """Run one declared job now, as the scheduler would (e.g. ``forum:poll``)."""
        [job] = [j for j in self.service.jobs if j.id == job_id]
        await job.fn(self.service.ctx, self.service.clock.now())


@contextlib.asynccontextmanager
async def running_service(
    tmp_path: Path,
    *,
    telegram: FakeTelegramApi | None = None,
    twilio: FakeTwilioApi | None = None,
    prepare: Prepare | None = None,
    source: ForumSource | None = None,
    telegram_webhook: bool = False,
    environ: Mapping[str, str] | None = None,
    runtime_options: Mapping[str, Any] | None = None,
    **sections: Mapping[str, Any],
) -> AsyncIterator[Harness]:
    """Run the whole service against the given fakes for the duration of the block.

    A channel without a fake is off. ``relay.destinations`` defaults to none; ``prepare`` runs
    on the migrated database before the service starts (and before its first forum poll).
    With ``telegram_webhook`` Telegram delivers to ``/webhooks/telegram`` instead of polling.
    ``runtime_options`` are keyword arguments of :class:`Runtime` (e.g. ``channel_retry``).
    New chats are not offered the language menu unless ``display`` says so: these tests are
    about chats that already speak (English); ``test_languages_service.py`` is about the menu.
    """
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    base: dict[str, Any] = {
        "web": {"port": port, "public_url": public_url},
        "cluster": {"leader_check_interval": 1.0},
        "outbox": dict(FAST_OUTBOX),
        "relay": {"destinations": []},
        "telegram": {"mode": "off"},
        "whatsapp": {"mode": "off"},
        "display": {"ask_language": False},
    }
    if telegram is not None:
        base["telegram"] = {
            "mode": "live",
            "base_url": telegram.base_url,
            "base_file_url": f"http://127.0.0.1:{telegram.port}/file/bot",
            "rate": dict(FAST_TELEGRAM_RATE),
        }
        if telegram_webhook:
            base["telegram"]["webhook_url"] = f"{public_url}{WEBHOOK_PATH}"
    if twilio is not None:
        base["whatsapp"] = {"mode": "live"}
        base["twilio"] = {"api_base_url": twilio.base_url}
    merged = _merge(base, sections)
    data = service_data(tmp_path)
    for name, values in merged.items():
        data[name] = _merge(data.get(name, {}), values)
    config = build_config(data, {**SECRETS, **(environ or {})})
    service = build_service(config, source=source)
    if prepare is not None:
        await upgrade_database(config.database.url)
        await prepare(service)
    runtime = Runtime(service, **(runtime_options or {}))
    await runtime.start()
    try:
        yield Harness(runtime, service, public_url, telegram, twilio)
    finally:
        await runtime.stop()
