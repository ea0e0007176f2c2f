"""Outbox throughput benchmark: enqueue N messages, drain them, prove each was sent exactly once."""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.core.channel import DEFAULT_CAPABILITIES, ChannelRegistry
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import DeliveryResult, OutboundMessage, Recipient, text_message
from bot.outbox.ratelimit import RateLimiter, RatePolicy
from bot.outbox.settings import WorkerSettings
from bot.outbox.worker import OutboxWorker
from bot.storage.db import Database
from bot.storage.migrate import upgrade_database
from bot.storage.repositories.outbox import NewOutboxItem, OutboxRepo
from bot.storage.repositories.recipients import RecipientStateRepo

BENCH_CHANNEL = "bench"
_ENQUEUE_CHUNK = 10_000


class InstantChannel:
    """A channel that accepts every message at once and remembers who got one."""

    capabilities = DEFAULT_CAPABILITIES

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    @property
    def name(self) -> ChannelName:
        """Return the registry name."""
        return ChannelName(BENCH_CHANNEL)

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Record the recipient and answer sent."""
        self.received[message.recipient.chat_id] += 1
        return DeliveryResult(provider_message_id=message.recipient.chat_id)


@dataclass(frozen=True, slots=True)
class BenchResult:
    """What one benchmark run measured."""

    messages: int
    enqueue_seconds: float
    drain_seconds: float
    cpu_ms_per_message: float
    peak_rss_mb: float
    sent_in_db: int
    delivered: int
    lost: int
    duplicated: int
    database: str

    @property
    def messages_per_second(self) -> float:
        """Return the drain throughput."""
        return self.messages / self.drain_seconds if self.drain_seconds > 0 else float("inf")

    @property
    def ok(self) -> bool:
        """Return whether every message was sent exactly once."""
        return self.lost == 0 and self.duplicated == 0 and self.sent_in_db == self.messages


async def run_outbox_bench(
    messages: int,
    *,
    db_url: str | None = None,
    batch_size: int = 500,
    concurrency: int = 64,
) -> BenchResult:
    """Enqueue ``messages`` for distinct recipients, drain them and measure (empty db_url only)."""
    if messages < 1:
        raise ValueError("messages must be at least 1")
    with tempfile.TemporaryDirectory(prefix="minbar-bench-") as tmp:
        url = db_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade_database(url)
        db = Database(url)
        try:
            return await _run(db, messages, batch_size=batch_size, concurrency=concurrency)
        finally:
            await db.dispose()


async def _run(db: Database, messages: int, *, batch_size: int, concurrency: int) -> BenchResult:
    repo = OutboxRepo(db)
    channel = InstantChannel()
    registry = ChannelRegistry()
    registry.add(channel)
    await registry.start_all()
    worker = OutboxWorker(
        repo,
        RecipientStateRepo(db),
        registry,
        {BENCH_CHANNEL: RateLimiter(RatePolicy.unlimited())},
        worker_id="bench",
        settings=WorkerSettings(batch_size=batch_size, concurrency=concurrency),
    )

    started = time.perf_counter()
    for first in range(0, messages, _ENQUEUE_CHUNK):
        chunk = range(first, min(first + _ENQUEUE_CHUNK, messages))
        await repo.enqueue([_bench_item(n) for n in chunk])
    enqueue_seconds = time.perf_counter() - started

    cpu_before, started = time.process_time(), time.perf_counter()
    while await worker.drain_once():
        pass
    drain_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_before
    await registry.stop_all()

    sent_in_db = (await repo.depth_by_status())["sent"]
    delivered = len(channel.received)
    return BenchResult(
        messages=messages,
        enqueue_seconds=enqueue_seconds,
        drain_seconds=drain_seconds,
        cpu_ms_per_message=cpu_seconds * 1000 / messages,
        peak_rss_mb=_peak_rss_mb(),
        sent_in_db=sent_in_db,
        delivered=delivered,
        lost=messages - min(delivered, sent_in_db),
        duplicated=sum(count - 1 for count in channel.received.values() if count > 1),
        database=db.dialect,
    )


def _bench_item(n: int) -> NewOutboxItem:
    recipient = Recipient(ChannelName(BENCH_CHANNEL), ChatId(str(1_000_000 + n)))
    message = text_message(recipient, f"Benchmark message {n}", kind="broadcast")
    return NewOutboxItem(idempotency_key=f"bench:{n}", message=message)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def format_bench(result: BenchResult) -> str:
    """Return a short human-readable report of a benchmark run."""
    verdict = "OK" if result.ok else "FAILED"
    return "\n".join(
        [
            f"outbox benchmark ({result.database}): {result.messages:,} messages — {verdict}",
            f"  enqueue      {result.enqueue_seconds:8.2f} s",
            f"  drain        {result.drain_seconds:8.2f} s  "
            f"({result.messages_per_second:,.0f} messages/s)",
            f"  cpu          {result.cpu_ms_per_message:8.3f} ms/message",
            f"  peak rss     {result.peak_rss_mb:8.1f} MB",
            f"  sent in db   {result.sent_in_db:,}; delivered {result.delivered:,}; "
            f"lost {result.lost:,}; duplicated {result.duplicated:,}",
        ]
    )
