"""The worker against a fake platform that enforces Telegram's published flood limits."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bot.core.channel import ChannelRegistry
from bot.core.errors import RateLimited
from bot.core.ids import ChannelName
from bot.core.messages import ChatKind, DeliveryResult, OutboundMessage
from bot.core.rates import RatePolicy
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.settings import WorkerSettings
from bot.outbox.worker import OutboxWorker
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from tests.outbox.conftest import FakeTime, item

# Slightly below the platform: 30/s burst 30, 1/s burst 3 per private chat, 20/min per group.
POLICY = RatePolicy(
    global_per_second=29.7,
    global_burst=29,
    per_chat_per_second=0.99,
    per_chat_burst=3,
    per_group_per_minute=19.8,
    per_group_burst=3,
)


@dataclass
class Bucket:
    """The platform's token bucket, refilled continuously."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        """Take a token if one is there."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class FloodControlledChannel:
    """A channel that refuses with 429 whatever exceeds the published limits."""

    time: FakeTime
    buckets: dict[str, Bucket] = field(default_factory=dict)
    sent_at: list[tuple[float, str]] = field(default_factory=list)
    refused: int = 0

    @property
    def name(self) -> ChannelName:
        """Return the registry name."""
        return ChannelName("tg")

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to release."""

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Admit the message only when the overall and the chat bucket both have a token."""
        now = self.time.monotonic()
        chat = message.recipient.chat_id
        private = message.recipient.kind is ChatKind.PRIVATE
        overall = self._bucket("*", 30.0, 30.0, now)
        own = self._bucket(chat, 1.0 if private else 20 / 60, 3.0, now)
        probe_overall = Bucket(overall.rate, overall.burst, overall.tokens, overall.stamp)
        if not (probe_overall.take(now) and own.take(now)):
            self.refused += 1
            raise RateLimited(1.0)
        overall.take(now)
        self.sent_at.append((now, chat))
        return DeliveryResult(provider_message_id=str(len(self.sent_at)))

    def _bucket(self, key: str, rate: float, burst: float, now: float) -> Bucket:
        if key not in self.buckets:
            self.buckets[key] = Bucket(rate, burst, burst, now)
        return self.buckets[key]


async def test_mixed_traffic_runs_at_full_speed_without_a_single_429(
    repo: OutboxRepo, recipients: RecipientStateRepo, fake_time: FakeTime
) -> None:
    """Many chats, one busy chat and one group: no 429 and at least 98.5 % of 30 msg/s."""
    platform = FloodControlledChannel(fake_time)
    registry = ChannelRegistry()
    registry.add(platform)
    await registry.start_all()
    worker = OutboxWorker(
        repo,
        recipients,
        registry,
        {"tg": RateLimiter(POLICY, fake_time.monotonic)},
        worker_id="w1",
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        monotonic=fake_time.monotonic,
        rng=random.Random(1),
        settings=WorkerSettings(concurrency=8),
    )
    items = [item(f"p{n}", str(n)) for n in range(600)]
    items += [item(f"busy{n}", "busy") for n in range(20)]
    items += [item(f"grp{n}", "-7", kind=ChatKind.GROUP) for n in range(6)]
    random.Random(5).shuffle(items)
    await repo.enqueue(items)

    for _ in range(500):
        if await worker.drain_once():
            continue
        due = await repo.next_due_at()
        if due is None:
            break
        fake_time.advance(max(0.0, (due - fake_time.clock.now()).total_seconds()))
    assert platform.refused == 0
    assert len(platform.sent_at) == len(items)
    assert (await repo.depth_by_status())["sent"] == len(items)

    # Throughput while the queue was full of sendable work: until the last one-off chat.
    last_single = max(t for t, chat in platform.sent_at if chat.isdigit())
    first = min(t for t, _ in platform.sent_at)
    sends = sum(1 for t, _ in platform.sent_at if t <= last_single)
    rate = (sends - 30) / (last_single - first)
    assert rate >= 0.985 * 30
