"""A worker process for the crash tests: sends due rows to a file-backed channel until killed.

Run as ``python -m tests.outbox.crash_worker <db url> <schema or -> <log path>``. Each send the
"platform" accepts is appended to the log before the send returns, as a real platform has the
message once it answered; the test kills this process with SIGKILL mid-fan-out.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.channel import Capabilities, ChannelRegistry
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, OutboundMessage
from bot.core.rates import RatePolicy
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.reclaim import Reclaimer
from bot.outbox.settings import WorkerSettings
from bot.outbox.worker import OutboxWorker
from bot.storage.db import Database
from bot.storage.liveness import LockLiveness, new_worker_id
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_workers import OutboxWorkerRepo
from bot.storage.repositories.recipients import RecipientStateRepo

SEND_SECONDS = 0.01
"""How long the platform takes to answer: long enough for several sends to be in flight."""


@dataclass
class FileChannel:
    """A platform that records every message it accepts in a log file, one chat id a line."""

    log: Path
    channel_name: str = "tg"
    capabilities: Capabilities = field(default_factory=Capabilities)

    @property
    def name(self) -> ChannelName:
        """Return the registry name."""
        return ChannelName(self.channel_name)

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Accept the message (logged at once), then answer after the round trip."""
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"{message.recipient.chat_id}\n")
        await asyncio.sleep(SEND_SECONDS)
        return DeliveryResult(provider_message_id=f"p-{message.recipient.chat_id}")


def build_worker(db: Database, registry: ChannelRegistry) -> OutboxWorker:
    """Return a worker with liveness on ``db``, as the service builds one."""
    return OutboxWorker(
        OutboxRepo(db),
        RecipientStateRepo(db),
        registry,
        {"tg": RateLimiter(RatePolicy(global_per_second=400.0, global_burst=10))},
        worker_id=new_worker_id(),
        settings=WorkerSettings(batch_size=200, concurrency=4, poll_interval=0.05),
        reclaimer=Reclaimer(OutboxWorkerRepo(db), LockLiveness(db)),
    )


async def main(url: str, schema: str, log: Path) -> None:
    """Send until killed."""
    connect_args = {} if schema == "-" else {"server_settings": {"search_path": schema}}
    db = Database(url, connect_args=connect_args)
    registry = ChannelRegistry()
    registry.add(FileChannel(log))
    await registry.start_all()
    await build_worker(db, registry).run(asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
