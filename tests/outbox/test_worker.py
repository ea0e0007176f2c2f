"""Tests for the outbox worker against the real outbox repository."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.channel import ChannelRegistry
from bot.core.errors import (
    DestinationMigrated,
    PermanentError,
    RateLimited,
    RecipientUnreachable,
    TransientError,
)
from bot.core.ids import OutboxId
from bot.core.messages import ChatKind, DeliveryResult, DeliveryStatus, OutboundMessage
from bot.domain.destinations import Destination, DestinationSpec
from bot.domain.outbox import NewOutboxItem
from bot.domain.subscribers import Subscriber
from bot.outbox.port import OutboxPort, WorkSignal
from bot.outbox.ratelimit import RateLimiter, RatePolicy
from bot.outbox.settings import WorkerSettings
from bot.outbox.worker import OutboxWorker
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.problems import ProblemRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.subscribers import SubscriberRepo
from tests.outbox.conftest import START, FakeTime, ScriptedChannel, item

WorkerFactory = Callable[..., OutboxWorker]


@pytest.fixture
def make_worker(
    repo: OutboxRepo,
    recipients: RecipientStateRepo,
    registry: ChannelRegistry,
    fake_time: FakeTime,
) -> WorkerFactory:
    """Return a factory of workers wired to the test repo, channel and time."""

    def build(policy: RatePolicy | None = None, **kwargs: Any) -> OutboxWorker:
        limiter = RateLimiter(policy or RatePolicy.unlimited(), fake_time.monotonic)
        options: dict[str, Any] = {
            "worker_id": "w1",
            "clock": fake_time.clock,
            "sleep": fake_time.sleep,
            "monotonic": fake_time.monotonic,
            "rng": random.Random(3),
        }
        knobs = {k: kwargs.pop(k) for k in list(kwargs) if k in WorkerSettings.__dataclass_fields__}
        options.update(kwargs)
        options["settings"] = WorkerSettings(**knobs)
        return OutboxWorker(repo, recipients, registry, {"tg": limiter}, **options)

    return build


async def rows(db: Database) -> dict[str, OutboxRow]:
    """Return every outbox row keyed by idempotency key."""
    async with db.read() as session:
        found = (await session.scalars(select(OutboxRow))).all()
    return {row.idempotency_key: row for row in found}


async def test_due_rows_are_sent_and_marked_sent(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory, db: Database
) -> None:
    """Every due row is sent once and recorded as sent with its provider id."""
    await repo.enqueue([item(f"k{n}", str(n)) for n in range(5)])
    assert await make_worker().drain_once() == 5
    assert sorted(m.recipient.chat_id for m in channel.sent) == ["0", "1", "2", "3", "4"]
    stored = await rows(db)
    assert {r.status for r in stored.values()} == {"sent"}
    assert all(r.provider_message_id for r in stored.values())
    assert await make_worker().drain_once() == 0


async def test_a_worker_with_claim_only_sends_just_those_chats(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory, db: Database
) -> None:
    """claim_only (minbar chat's identity) sends its chat's rows; others stay pending, unsent."""
    await repo.enqueue([item("mine", "me"), item("post", "@news"), item("theirs", "42")])
    worker = make_worker(claim_only=frozenset({("tg", "me")}))
    assert await worker.drain_once() == 1
    assert await worker.drain_once() == 0
    assert [m.recipient.chat_id for m in channel.sent] == ["me"]
    stored = await rows(db)
    assert {k: (r.status, r.attempts) for k, r in stored.items()} == {
        "mine": ("sent", 1),
        "post": ("pending", 0),
        "theirs": ("pending", 0),
    }


async def test_retry_after_is_honoured_exactly_while_others_go_on(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """A 429 holds its recipient exactly retry_after; other recipients are sent meanwhile."""
    channel.script["a"] = [RateLimited(5.0)]
    await repo.enqueue([item("a1", "a"), item("a2", "a"), item("b1", "b")])
    worker = make_worker(concurrency=1)
    assert await worker.drain_once() == 3
    assert [m.recipient.chat_id for m in channel.sent] == ["b"]
    stored = await rows(db)
    assert stored["a1"].status == "pending"
    assert stored["a1"].error_key == "rate_limited"
    assert stored["a1"].next_attempt_at == START + timedelta(seconds=5)
    assert stored["a2"].status == "pending"
    assert stored["a2"].next_attempt_at >= START + timedelta(seconds=5)

    fake_time.advance(4.99)
    assert await worker.drain_once() == 0
    assert channel.attempts.count("a") == 1
    fake_time.advance(0.01)
    assert await worker.drain_once() == 2
    assert [m.recipient.chat_id for m in channel.sent] == ["b", "a", "a"]
    assert {r.status for r in (await rows(db)).values()} == {"sent"}


async def test_a_global_429_holds_the_whole_channel(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """A channel-wide retry_after delays every recipient of that channel (plus its jitter)."""
    channel.script["a"] = [RateLimited(3.0, scope="channel")]
    await repo.enqueue([item("a1", "a"), item("b1", "b"), item("c1", "c")])
    worker = make_worker(concurrency=1)
    await worker.drain_once()
    assert channel.sent == []
    stored = await rows(db)
    [due] = {r.next_attempt_at for r in stored.values()}
    assert START + timedelta(seconds=3) <= due <= START + timedelta(seconds=3.3)
    fake_time.advance(3.3)
    assert await worker.drain_once() == 3
    assert len(channel.sent) == 3


async def _add_recipient(db: Database, chat: str, fake_time: FakeTime) -> None:
    clock = fake_time.clock
    await DestinationRepo(db, clock).sync_from_config([DestinationSpec("tg", chat, "group")])
    await SubscriberRepo(db, clock).subscribe("tg", chat, "group", "test", clock.now())


async def _recipient_state(db: Database, chat: str) -> tuple[Destination, Subscriber]:
    [dest] = [d for d in await DestinationRepo(db).all() if d.chat_id == chat]
    sub = await SubscriberRepo(db).get("tg", chat)
    assert sub is not None
    return dest, sub


@pytest.mark.parametrize(
    ("error", "deactivated"),
    [
        (RecipientUnreachable("blocked", "bot was blocked"), True),
        (PermanentError("bad_request", "message is too long"), False),
    ],
)
async def test_permanent_errors_are_never_retried_and_recorded_on_the_recipient(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    fake_time: FakeTime,
    db: Database,
    error: Exception,
    deactivated: bool,
) -> None:
    """A permanent error fails the row for good and stores its key on the recipient."""
    await _add_recipient(db, "x", fake_time)
    channel.script["x"] = [error]
    await repo.enqueue([item("x1", "x", destination_id=1)])
    worker = make_worker()
    await worker.drain_once()
    row = (await rows(db))["x1"]
    assert (row.status, row.error_key) == ("failed", error.error_key)  # type: ignore[attr-defined]
    dest, sub = await _recipient_state(db, "x")
    assert dest.error_key == error.error_key  # type: ignore[attr-defined]
    assert dest.active is not deactivated
    assert sub.active is not deactivated
    fake_time.advance(86_400)
    assert await worker.drain_once() == 0
    assert channel.attempts == ["x"]


async def test_transient_errors_back_off_then_give_up(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """Transient failures retry after capped growing delays, then fail as gave_up."""
    channel.script["t"] = [TransientError("timeout") for _ in range(10)]
    await repo.enqueue([item("t1", "t")])
    worker = make_worker(max_attempts=3, backoff_base=2.0, backoff_max=3.0)
    ceilings = [2.0, 3.0]  # base * 2**(attempt-1), capped at backoff_max
    for ceiling in ceilings:
        sent_at = fake_time.clock.now()
        assert await worker.drain_once() == 1
        row = (await rows(db))["t1"]
        assert (row.status, row.error_key) == ("pending", "timeout")
        wait = (row.next_attempt_at - sent_at).total_seconds()
        assert 0.0 <= wait <= ceiling
        fake_time.advance(ceiling)
    assert await worker.drain_once() == 1
    row = (await rows(db))["t1"]
    assert (row.status, row.error_key, row.attempts) == ("failed", "gave_up", 3)
    fake_time.advance(3600)
    assert await worker.drain_once() == 0
    assert len(channel.attempts) == 3
    # The lost message is a delivery problem for the admins, though no chat was at fault.
    [problem] = await ProblemRepo(db).unalerted()
    assert (problem.chat_id, problem.kind, problem.error_key) == ("t", "failed", "gave_up")


async def test_unexpected_exceptions_are_retried_and_logged(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug in an adapter is logged with its traceback and the row is retried, not lost."""
    channel.script["u"] = [ZeroDivisionError("boom")]
    await repo.enqueue([item("u1", "u")])
    with caplog.at_level(logging.ERROR):
        await make_worker().drain_once()
    row = (await rows(db))["u1"]
    assert (row.status, row.error_key) == ("pending", "unexpected")
    assert any(r.exc_info for r in caplog.records)


async def test_migrated_group_is_rerouted_and_resent(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """A group that became a supergroup gets the message at its new id, and so do later rows."""
    await _add_recipient(db, "-1", fake_time)
    channel.script["-1"] = [DestinationMigrated("-1001")]
    await repo.enqueue(
        [item("g1", "-1", kind=ChatKind.GROUP), item("g2", "-1", kind=ChatKind.GROUP)]
    )
    worker = make_worker(concurrency=1)
    await worker.drain_once()
    assert await worker.drain_once() >= 1
    await worker.drain_once()
    assert [m.recipient.chat_id for m in channel.sent] == ["-1001", "-1001"]
    stored = await rows(db)
    assert {(r.status, r.chat_id, r.rate_key) for r in stored.values()} == {
        ("sent", "-1001", "tg:-1001")
    }
    dest, _ = await _recipient_state(db, "-1001")
    assert dest.chat_id == "-1001"


async def test_an_idempotency_key_is_never_sent_twice(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory
) -> None:
    """Enqueueing a key again, before or after it was sent, sends nothing more."""
    assert await repo.enqueue([item("same", "a"), item("same", "a")]) == 1
    worker = make_worker()
    await worker.drain_once()
    assert await repo.enqueue([item("same", "a")]) == 0
    assert await worker.drain_once() == 0
    assert len(channel.sent) == 1


async def test_a_crashed_workers_rows_are_reclaimed_after_the_lease(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """Rows claimed by a worker that died are sent by another once the lease expires."""
    await repo.enqueue([item(f"c{n}", str(n)) for n in range(4)])
    dead = await repo.claim_due("dead-worker", 10, lease_seconds=60)
    assert len(dead) == 4
    survivor = make_worker(worker_id="w2", lease_seconds=60)
    assert await survivor.drain_once() == 0
    fake_time.advance(59)
    assert await survivor.drain_once() == 0
    fake_time.advance(2)
    assert await survivor.drain_once() == 4
    assert len(channel.sent) == 4
    stored = await rows(db)
    assert {(r.status, r.attempts) for r in stored.values()} == {("sent", 2)}


async def test_stop_releases_claimed_rows_not_yet_sent(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    db: Database,
) -> None:
    """Setting stop finishes the send in flight and gives every unsent row back at once."""
    in_flight = asyncio.Event()
    finish = asyncio.Event()

    async def slow(_message: OutboundMessage) -> None:
        in_flight.set()
        await finish.wait()

    async def never(_seconds: float) -> None:
        await asyncio.Event().wait()

    channel.script["a"] = [slow]
    await repo.enqueue([item("a1", "a"), item("b1", "b"), item("c1", "c"), item("d1", "d")])
    # 1 msg/s: "b" must wait a second for its slot; "c" and "d" wait for the single slot.
    worker = make_worker(
        RatePolicy(global_per_second=1.0, global_burst=1), concurrency=1, sleep=never
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(in_flight.wait(), 2)
    stop.set()
    finish.set()
    await asyncio.wait_for(running, 2)
    stored = await rows(db)
    assert stored["a1"].status == "sent"
    others = [stored[k] for k in ("b1", "c1", "d1")]
    assert {(r.status, r.attempts, r.claimed_by) for r in others} == {("pending", 0, None)}
    assert [m.recipient.chat_id for m in channel.sent] == ["a"]


async def test_rows_beyond_the_hold_threshold_are_given_back_without_an_attempt(
    repo: OutboxRepo,
    channel: ScriptedChannel,
    make_worker: WorkerFactory,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """A chat that may only send again in 10 s is released until then, attempts unchanged."""
    policy = RatePolicy(
        global_per_second=30.0, global_burst=30, per_chat_per_second=0.1, per_chat_burst=1
    )
    await repo.enqueue([item("a1", "a"), item("a2", "a")])
    worker = make_worker(policy, concurrency=1)
    await worker.drain_once()
    stored = await rows(db)
    assert stored["a1"].status == "sent"
    assert (stored["a2"].status, stored["a2"].attempts) == ("pending", 0)
    wait = (stored["a2"].next_attempt_at - START).total_seconds()
    assert wait == pytest.approx(10.0, abs=0.01)
    fake_time.advance(wait)
    assert await worker.drain_once() == 1
    assert len(channel.sent) == 2


async def test_a_busy_chats_backlog_is_spread_over_its_pace(
    repo: OutboxRepo, make_worker: WorkerFactory, db: Database
) -> None:
    """Rows of one slow chat are given back at successive slots, not all at the same time."""
    policy = RatePolicy(
        global_per_second=30.0, global_burst=30, per_chat_per_second=0.1, per_chat_burst=1
    )
    await repo.enqueue([item(f"a{n}", "a") for n in range(5)])
    await make_worker(policy, concurrency=1).drain_once()
    stored = await rows(db)
    waits = [(stored[f"a{n}"].next_attempt_at - START).total_seconds() for n in range(1, 5)]
    assert stored["a0"].status == "sent"
    assert waits == pytest.approx([10.0, 20.0, 30.0, 40.0], abs=0.01)


async def test_short_rate_waits_are_slept_not_released(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory, fake_time: FakeTime
) -> None:
    """Sends due within the threshold wait in the worker, spaced exactly by the rate."""
    sent_at: list[float] = []

    def stamp(_message: OutboundMessage) -> None:
        sent_at.append(fake_time.monotonic())

    for chat in "abcd":
        channel.script[chat] = [stamp]
    policy = RatePolicy(global_per_second=2.0, global_burst=1)
    await repo.enqueue([item(f"{c}1", c) for c in "abcd"])
    assert await make_worker(policy, concurrency=1).drain_once() == 4
    assert len(channel.sent) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    assert gaps == pytest.approx([0.5, 0.5, 0.5], abs=1e-6)


async def test_a_channel_that_is_down_leaves_its_rows_untouched(
    repo: OutboxRepo,
    recipients: RecipientStateRepo,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """Rows of a registered channel that is not started are not claimed: due once it is up."""
    channel = ScriptedChannel()
    idle = ChannelRegistry()
    idle.add(channel)  # registered, not started yet (its start is being retried)
    worker = OutboxWorker(
        repo,
        recipients,
        idle,
        {},
        worker_id="w1",
        clock=fake_time.clock,
        monotonic=fake_time.monotonic,
        settings=WorkerSettings(channel_retry_delay=30.0),
    )
    await repo.enqueue([item("a1", "a")])
    assert await worker.drain_once() == 0
    row = (await rows(db))["a1"]
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, START)
    await idle.start_all()
    assert await worker.drain_once() == 1  # at once, no retry delay to sit out
    assert (await rows(db))["a1"].status == "sent"


async def test_rows_for_an_unknown_channel_are_released_with_a_warning(
    repo: OutboxRepo,
    recipients: RecipientStateRepo,
    fake_time: FakeTime,
    db: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A row for a channel this process does not have waits (not failed) and says so once."""
    worker = OutboxWorker(
        repo,
        recipients,
        ChannelRegistry(),
        {},
        worker_id="w1",
        clock=fake_time.clock,
        monotonic=fake_time.monotonic,
        settings=WorkerSettings(channel_retry_delay=30.0),
    )
    await repo.enqueue([item("a1", "a")])
    with caplog.at_level(logging.WARNING):
        assert await worker.drain_once() == 1
    row = (await rows(db))["a1"]
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.next_attempt_at == START + timedelta(seconds=30)
    assert "not running" in caplog.text


async def test_skipped_results_are_recorded_as_skipped(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory, db: Database
) -> None:
    """A channel that deliberately skips a message leaves the row skipped with the reason."""
    channel.script["s"] = [DeliveryResult(status=DeliveryStatus.SKIPPED, reason="opted_out")]
    await repo.enqueue([item("s1", "s")])
    await make_worker().drain_once()
    row = (await rows(db))["s1"]
    assert (row.status, row.error_key) == ("skipped", "opted_out")


async def test_a_successful_send_clears_the_destination_error(
    repo: OutboxRepo,
    recipients: RecipientStateRepo,
    make_worker: WorkerFactory,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """Sending to a destination records it healthy again."""
    await _add_recipient(db, "-5", fake_time)
    await recipients.record_error("tg", "-5", "timeout", "x", deactivate=False)
    await repo.enqueue([item("d1", "-5", kind=ChatKind.GROUP, destination_id=1)])
    await make_worker().drain_once()
    dest, _ = await _recipient_state(db, "-5")
    assert dest.error_key is None
    assert dest.last_ok_at is not None


async def test_outcomes_are_written_during_the_batch(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory
) -> None:
    """Outcomes are flushed every few results, so a crash mid-batch resends little."""
    seen: list[str] = []

    async def wait_for_first_row(_message: OutboundMessage) -> None:
        # The batch cannot end while this send waits: only a mid-batch flush can record row 1.
        for _ in range(400):
            first = await repo.get(OutboxId(1))
            assert first is not None
            if first.status == "sent":
                break
            await asyncio.sleep(0.005)
        seen.append(first.status)

    await repo.enqueue([item(f"k{n}", str(n)) for n in range(5)])
    channel.script["4"] = [wait_for_first_row]
    await make_worker(concurrency=1).drain_once()
    assert seen == ["sent"]


async def test_run_sends_new_rows_when_notified_until_stopped(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory
) -> None:
    """The run loop sleeps between polls, wakes on notify() for new rows and stops on request."""
    stop = asyncio.Event()
    worker = make_worker(poll_interval=3600, sleep=asyncio.sleep)
    running = asyncio.create_task(worker.run(stop))

    arrived = {chat: asyncio.Event() for chat in "ab"}
    for chat, event in arrived.items():
        channel.script[chat] = [lambda _m, e=event: e.set()]

    await asyncio.sleep(0.05)  # the worker found nothing and went to sleep for an hour
    for count, chat in enumerate("ab", start=1):
        await repo.enqueue([item(f"r{count}", chat)])
        worker.notify()
        await asyncio.wait_for(arrived[chat].wait(), 2)
    stop.set()
    await asyncio.wait_for(running, 2)
    assert [m.recipient.chat_id for m in channel.sent] == ["a", "b"]


async def test_rows_queued_through_the_port_wake_a_worker_sharing_its_signal(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory
) -> None:
    """A feature's enqueue through the outbox port wakes the sleeping worker at once."""
    signal = WorkSignal()
    port = OutboxPort(repo, signal)
    stop = asyncio.Event()
    worker = make_worker(poll_interval=3600, sleep=asyncio.sleep, signal=signal)
    running = asyncio.create_task(worker.run(stop))
    arrived = asyncio.Event()
    channel.script["a"] = [lambda _m: arrived.set()]
    await asyncio.sleep(0.05)  # the worker found nothing and went to sleep for an hour
    assert await port.enqueue([item("r1", "a")]) == 1
    await asyncio.wait_for(arrived.wait(), 2)
    stop.set()
    await asyncio.wait_for(running, 2)
    assert [m.recipient.chat_id for m in channel.sent] == ["a"]


async def test_two_workers_on_separate_connections_send_each_row_once(
    db_twin: Callable[[], Database],
    recipients: RecipientStateRepo,
    channel: ScriptedChannel,
    registry: ChannelRegistry,
    fake_time: FakeTime,
    db: Database,
) -> None:
    """Two workers (as two processes would) share the queue without sending any row twice."""
    first = OutboxRepo(db_twin(), fake_time.clock)
    second = OutboxRepo(db_twin(), fake_time.clock)
    await first.enqueue([item(f"k{n}", str(n)) for n in range(120)])
    workers = [
        OutboxWorker(
            repo,
            recipients,
            registry,
            {},
            worker_id=name,
            clock=fake_time.clock,
            settings=WorkerSettings(batch_size=7),
        )
        for name, repo in (("w1", first), ("w2", second))
    ]

    async def drain(worker: OutboxWorker) -> int:
        total = 0
        while handled := await worker.drain_once():
            total += handled
        return total

    handled = await asyncio.gather(*(drain(w) for w in workers))
    assert sum(handled) == 120
    assert min(handled) > 0, handled  # both really competed for rows
    assert sorted(m.recipient.chat_id for m in channel.sent) == sorted(str(n) for n in range(120))
    assert {r.status for r in (await rows(db)).values()} == {"sent"}


async def test_one_chats_rows_go_out_in_the_order_they_were_queued(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory, db: Database
) -> None:
    """A channel receives its topics in queue order even when sends take uneven time."""
    latencies = [0.03, 0.0, 0.02, 0.0, 0.01, 0.0]

    def slow(delay: float) -> Callable[[OutboundMessage], object]:
        async def answer(message: OutboundMessage) -> None:
            await asyncio.sleep(delay)

        return answer

    channel.script["-100"] = [slow(d) for d in latencies]
    await repo.enqueue(
        [item(f"topic{n}", "-100", kind=ChatKind.CHANNEL) for n in range(len(latencies))]
    )
    await make_worker(concurrency=8).drain_once()
    # The channel numbers its messages as they complete: p1 is the first to arrive.
    by_provider_id = {row.provider_message_id: key for key, row in (await rows(db)).items()}
    arrived = [by_provider_id[f"p{n}"] for n in range(1, len(latencies) + 1)]
    assert arrived == [f"topic{n}" for n in range(len(latencies))]


async def test_the_preflight_skips_or_templates_before_sending(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory, db: Database
) -> None:
    """A chat outside its window gets the template when one exists, else nothing is sent."""
    from bot.outbox.preflight import DeliveryPreflight

    class NoOneWrote:
        async def get(self, channel: str, chat_id: str) -> None:
            return None

    preflight = DeliveryPreflight(
        NoOneWrote(), windows={"tg": timedelta(hours=24)}, templates={"tg": frozenset({"alert"})}
    )
    alert, news = item("a1", "1"), item("n1", "2")
    await repo.enqueue(
        [
            NewOutboxItem("a1", replace(alert.message, kind="alert")),
            NewOutboxItem("n1", replace(news.message, kind="news")),
        ]
    )
    await make_worker(preflight=preflight).drain_once()
    assert [(m.recipient.chat_id, m.use_template) for m in channel.sent] == [("1", True)]
    stored = await rows(db)
    assert (stored["n1"].status, stored["n1"].last_error) == ("skipped", "outside_window")


async def test_a_failed_outcome_write_keeps_the_results_for_the_next(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory, db: Database
) -> None:
    """If recording outcomes fails once, they are written by a later commit and nothing resends."""
    real = repo.record_outcomes
    calls: list[int] = []

    async def flaky(worker_id: str, outcomes: Any, *, started: Any = ()) -> None:
        if outcomes:
            calls.append(len(outcomes))
            if len(calls) == 1:
                raise RuntimeError("database is locked")
        await real(worker_id, outcomes, started=started)

    repo.record_outcomes = flaky  # type: ignore[method-assign]
    await repo.enqueue([item(f"k{n}", str(n)) for n in range(6)])
    await make_worker(concurrency=1).drain_once()
    stored = await rows(db)
    sent = [m.recipient.chat_id for m in channel.sent]
    assert len(sent) == len(set(sent)) >= 5  # nothing twice; at most the start that shared
    # the failed commit was held back, and that row waits for its retry
    assert {k: r.status for k, r in stored.items()} == {
        f"k{n}": "sent" if str(n) in sent else "pending" for n in range(6)
    }
    # Every row's outcome was recorded after the failure (the held-back row's retry too).
    assert sum(calls[1:]) == 6


async def test_a_failed_start_write_sends_nothing_and_retries_the_row(
    repo: OutboxRepo, channel: ScriptedChannel, make_worker: WorkerFactory, db: Database
) -> None:
    """A send whose start could not be recorded is not sent; the row is retried, not lost."""
    real = repo.record_outcomes
    failed: list[Any] = []

    async def flaky(worker_id: str, outcomes: Any, *, started: Any = ()) -> None:
        if started and not failed:
            failed.append(list(started))
            raise RuntimeError("database is locked")
        await real(worker_id, outcomes, started=started)

    repo.record_outcomes = flaky  # type: ignore[method-assign]
    await repo.enqueue([item("k0", "0")])
    await make_worker(concurrency=1).drain_once()
    assert channel.sent == []
    row = (await rows(db))["k0"]
    assert (row.status, row.error_key, row.send_started_at) == ("pending", "unexpected", None)
