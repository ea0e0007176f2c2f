"""OutboxRepo: enqueue dedupe, atomic claims with leases, settling, holds and reroutes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId, OutboxId
from bot.core.messages import (
    ChatKind,
    Choice,
    OutboundMessage,
    Recipient,
    Span,
    text_message,
)
from bot.core.reports import state_rank
from bot.domain.outbox import Failed, NewOutboxItem, Released, Retry, Sent, Skipped
from bot.storage.db import Database
from bot.storage.repositories.broadcasts import BroadcastRepo
from bot.storage.repositories.outbox import OutboxRepo


def to(chat: str, *, channel: str = "telegram", thread: int | None = None) -> Recipient:
    """Return a recipient."""
    kind = ChatKind.GROUP if thread is not None else ChatKind.PRIVATE
    return Recipient(ChannelName(channel), ChatId(chat), kind, thread)


def item(key: str, chat: str = "1", **kwargs: object) -> NewOutboxItem:
    """Return an outbox item with a plain text message to ``chat``."""
    channel = str(kwargs.pop("channel", "telegram"))
    thread = kwargs.pop("thread", None)
    recipient = to(chat, channel=channel, thread=thread)  # type: ignore[arg-type]
    return NewOutboxItem(key, text_message(recipient, f"hello {key}"), **kwargs)  # type: ignore[arg-type]


async def test_enqueue_ignores_known_keys(db: Database, clock: FrozenClock) -> None:
    """The same idempotency key enqueued twice (or twice in one batch) makes one row."""
    repo = OutboxRepo(db, clock)
    assert await repo.enqueue([item("a"), item("b"), item("a")]) == 2
    assert await repo.enqueue([item("a"), item("c")]) == 1
    assert (await repo.depth_by_status())["pending"] == 3


async def test_enqueue_large_batch(db: Database, clock: FrozenClock) -> None:
    """A big broadcast enqueues in chunks and every row lands exactly once."""
    repo = OutboxRepo(db, clock)
    items = [item(f"bulk:{i}", str(i)) for i in range(5000)]
    assert await repo.enqueue(items) == 5000
    assert await repo.enqueue(items[:10]) == 0
    assert (await repo.depth_by_status())["pending"] == 5000


async def test_claimed_item_round_trips_the_message(db: Database, clock: FrozenClock) -> None:
    """A claimed item carries the enqueued message, recipient and links back to its sources."""
    broadcast = await BroadcastRepo(db, clock).create(
        title="Promo", payload={}, send_at=clock.now(), created_by="admin"
    )
    message = OutboundMessage(
        recipient=to("-100", thread=7),
        spans=(Span("Hi ", bold=True), Span("there", link="https://example.org")),
        choices=(Choice("Open", url="https://example.org/t"),),
        kind="broadcast",
        template_values=(("name", "Ali"),),
    )
    repo = OutboxRepo(db, clock)
    await repo.enqueue(
        [NewOutboxItem("k", message, broadcast_id=broadcast.id, subscriber_id=5, destination_id=9)]
    )
    [claimed] = await repo.claim_due("w1", 10, 60)
    assert claimed.message == message
    assert claimed.idempotency_key == "k"
    assert claimed.attempts == 1
    assert claimed.rate_key == "telegram:-100/7"
    assert claimed.created_at == clock.now()
    assert (claimed.broadcast_id, claimed.subscriber_id, claimed.destination_id) == (
        broadcast.id,
        5,
        9,
    )
    row = await repo.get(claimed.id)
    assert row is not None
    assert (row.status, row.claimed_by, row.lease_until) == (
        "sending",
        "w1",
        clock.now() + timedelta(seconds=60),
    )


async def test_claim_respects_due_time_order_and_limit(db: Database, clock: FrozenClock) -> None:
    """Only due rows are claimed, oldest due first, at most ``limit`` of them."""
    repo = OutboxRepo(db, clock)
    later = clock.now() + timedelta(minutes=5)
    await repo.enqueue(
        [
            item("late", not_before=later),
            item("b", not_before=clock.now() - timedelta(seconds=1)),
            item("a", not_before=clock.now() - timedelta(seconds=2)),
            item("c"),
        ]
    )
    first = await repo.claim_due("w", 2, 30)
    assert [c.idempotency_key for c in first] == ["a", "b"]
    second = await repo.claim_due("w", 10, 30)
    assert [c.idempotency_key for c in second] == ["c"]
    assert await repo.claim_due("w", 10, 30) == []
    assert await repo.next_due_at() == clock.now() + timedelta(seconds=30)
    await repo.record_outcomes("w", [Sent(c.id) for c in first + second])
    assert await repo.next_due_at() == later
    clock.advance(300)
    assert [c.idempotency_key for c in await repo.claim_due("w", 10, 30)] == ["late"]


async def test_expired_lease_is_reclaimed_by_anyone(db: Database, clock: FrozenClock) -> None:
    """A row whose worker died is claimable again once its lease runs out, by another worker."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item("x")])
    [mine] = await repo.claim_due("dead-worker", 10, 30)
    clock.advance(29)
    assert await repo.claim_due("w2", 10, 30) == []
    clock.advance(2)
    [again] = await repo.claim_due("w2", 10, 30)
    assert again.id == mine.id
    assert again.attempts == 2
    row = await repo.get(again.id)
    assert row is not None
    assert row.claimed_by == "w2"


async def test_outcomes_settle_rows(db: Database, clock: FrozenClock) -> None:
    """Each outcome kind moves its row to the right status with its details."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item(k) for k in "abcde"])
    claimed = {c.idempotency_key: c.id for c in await repo.claim_due("w", 10, 60)}
    retry_at = clock.now() + timedelta(minutes=1)
    await repo.record_outcomes(
        "w",
        [
            Sent(claimed["a"], "msg-1"),
            Retry(claimed["b"], retry_at, "timeout", "read timed out"),
            Failed(claimed["c"], "bad_request", "message is too long"),
            Skipped(claimed["d"], "opted_out"),
            Released(claimed["e"], retry_at),
        ],
    )
    a, b, c, d, e = [await repo.get(claimed[k]) for k in "abcde"]
    assert a is not None
    assert (a.status, a.provider_message_id, a.sent_at) == (
        "sent",
        "msg-1",
        clock.now(),
    )
    assert b is not None
    assert (b.status, b.next_attempt_at, b.error_key, b.last_error) == (
        "pending",
        retry_at,
        "timeout",
        "read timed out",
    )
    assert b.attempts == 1
    assert b.claimed_by is None
    assert b.lease_until is None
    assert c is not None
    assert (c.status, c.error_key) == ("failed", "bad_request")
    assert d is not None
    assert (d.status, d.error_key) == ("skipped", "opted_out")
    assert e is not None
    assert (e.status, e.attempts, e.next_attempt_at) == ("pending", 0, retry_at)
    assert await repo.depth_by_status() == {
        "pending": 2,
        "sending": 0,
        "sent": 1,
        "failed": 1,
        "skipped": 1,
    }


async def test_stale_worker_cannot_overwrite_new_owner(db: Database, clock: FrozenClock) -> None:
    """After a lease is reclaimed, the first worker's late outcome is ignored."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item("x")])
    [row] = await repo.claim_due("slow", 1, 10)
    clock.advance(11)
    await repo.claim_due("fresh", 1, 10)
    await repo.record_outcomes("slow", [Failed(row.id, "timeout", "too slow")])
    current = await repo.get(row.id)
    assert current is not None
    assert (current.status, current.claimed_by) == ("sending", "fresh")
    await repo.record_outcomes("fresh", [Sent(row.id, "p-1")])
    current = await repo.get(row.id)
    assert current is not None
    assert current.status == "sent"
    await repo.record_outcomes("fresh", [Failed(row.id, "late", "")])
    current = await repo.get(row.id)
    assert current is not None
    assert current.status == "sent"


async def test_hold_recipient_delays_only_that_recipient(db: Database, clock: FrozenClock) -> None:
    """Holding a rate key pushes that chat's pending rows and leaves the others due."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item("a1", "A"), item("a2", "A"), item("b1", "B")])
    until = clock.now() + timedelta(seconds=40)
    assert await repo.hold_recipient("telegram:A", until) == 2
    assert [c.idempotency_key for c in await repo.claim_due("w", 10, 300)] == ["b1"]
    assert await repo.next_due_at() == until
    clock.advance(40)
    assert sorted(c.idempotency_key for c in await repo.claim_due("w", 10, 30)) == ["a1", "a2"]


async def test_hold_never_pulls_rows_earlier(db: Database, clock: FrozenClock) -> None:
    """A hold shorter than a row's own delay leaves that row's later time alone."""
    repo = OutboxRepo(db, clock)
    far = clock.now() + timedelta(hours=1)
    await repo.enqueue([item("far", "A", not_before=far)])
    assert await repo.hold_recipient("telegram:A", clock.now() + timedelta(seconds=5)) == 0
    row = await repo.get(OutboxId(1))
    assert row is not None
    assert row.next_attempt_at == far


async def test_hold_channel_delays_the_whole_channel(db: Database, clock: FrozenClock) -> None:
    """Holding a channel pushes all its pending rows; other channels stay due."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item("t1", "A"), item("t2", "B"), item("w1", "+1", channel="whatsapp")])
    assert await repo.hold_channel("telegram", clock.now() + timedelta(seconds=10)) == 2
    assert [c.idempotency_key for c in await repo.claim_due("w", 10, 30)] == ["w1"]


async def test_reroute_moves_unsent_rows_to_new_chat(db: Database, clock: FrozenClock) -> None:
    """A migrated group's pending and in-flight rows follow it; sent rows keep history."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item("sent", "-1"), item("flight", "-1"), item("wait", "-1", thread=3)])
    claimed = {c.idempotency_key: c for c in await repo.claim_due("w", 2, 30)}
    await repo.record_outcomes("w", [Sent(claimed["sent"].id, "p")])
    assert await repo.reroute_chat("telegram", "-1", "-1009") == 2
    in_flight = await repo.get(claimed["flight"].id)
    assert in_flight is not None
    assert (in_flight.recipient.chat_id, in_flight.status) == ("-1009", "sending")
    sent = await repo.get(claimed["sent"].id)
    assert sent is not None
    assert sent.recipient.chat_id == "-1"
    await repo.record_outcomes("w", [Retry(claimed["flight"].id, clock.now(), "migrated", "")])
    again = {c.idempotency_key: c for c in await repo.claim_due("w", 10, 30)}
    assert again["flight"].message.recipient.chat_id == "-1009"
    assert again["flight"].rate_key == "telegram:-1009"
    assert again["wait"].rate_key == "telegram:-1009/3"
    assert again["wait"].message.recipient.thread_id == 3


async def test_provider_status_never_moves_backwards(db: Database, clock: FrozenClock) -> None:
    """Delivery reports apply only when they advance the row; unknown ids give None."""
    order = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "undelivered": 3, "failed": 3}
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item("x", "+1", channel="whatsapp")])
    [row] = await repo.claim_due("w", 1, 30)
    await repo.record_outcomes("w", [Sent(row.id, "SM1")])
    rank = order.__getitem__

    async def report(sid: str, status: str) -> tuple[list[str], set[str]]:
        rows, unknown = await repo.record_provider_statuses([(sid, status, None)], rank)
        return [str(r.provider_status) for r in rows], unknown

    assert await report("SM1", "delivered") == (["delivered"], set())
    assert await report("SM1", "sent") == ([], set())
    assert await report("SM1", "delivered") == ([], set())
    assert await report("nope", "read") == ([], {"nope"})
    assert await report("SM1", "read") == (["read"], set())
    stored = await repo.get(row.id)
    assert stored is not None
    assert stored.provider_status == "read"


async def test_provider_failure_records_error_code(db: Database, clock: FrozenClock) -> None:
    """A failed delivery report keeps its neutral reason on the row."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item("x", "+1", channel="whatsapp")])
    [row] = await repo.claim_due("w", 1, 30)
    await repo.record_outcomes("w", [Sent(row.id, "SM2")])
    [updated], unknown = await repo.record_provider_statuses(
        [("SM2", "failed", "outside_window")], state_rank
    )
    assert unknown == set()
    assert (updated.provider_status, updated.error_key) == ("failed", "outside_window")
    stored = await repo.get(row.id)
    assert stored is not None
    assert (stored.provider_status, stored.error_key, stored.last_error) == (
        "failed",
        "outside_window",
        "provider reported failed (outside_window)",
    )


async def test_broadcast_progress_counts_its_rows(db: Database, clock: FrozenClock) -> None:
    """Progress counts only the broadcast's rows, by status and by delivery report."""
    broadcasts = BroadcastRepo(db, clock)
    b1 = await broadcasts.create(title="1", payload={}, send_at=clock.now(), created_by="a")
    b2 = await broadcasts.create(title="2", payload={}, send_at=clock.now(), created_by="a")
    repo = OutboxRepo(db, clock)
    await repo.enqueue(
        [item(f"b1:{i}", str(i), broadcast_id=b1.id) for i in range(3)]
        + [item("b2:0", "9", broadcast_id=b2.id)]
    )
    claimed = await repo.claim_due("w", 1, 30)
    await repo.record_outcomes("w", [Sent(claimed[0].id, "P")])
    await repo.record_provider_statuses([("P", "delivered", None)], lambda s: 1)
    progress = await repo.broadcast_progress(b1.id)
    assert progress["total"] == 3
    assert (progress["sent"], progress["pending"], progress["failed"]) == (1, 2, 0)
    assert progress["provider_delivered"] == 1


async def test_next_due_at_is_none_when_idle(db: Database, clock: FrozenClock) -> None:
    """An outbox with nothing pending or leased has no next due time."""
    repo = OutboxRepo(db, clock)
    assert await repo.next_due_at() is None
    soon = clock.now() + timedelta(seconds=12)
    await repo.enqueue([item("x", not_before=soon)])
    assert await repo.next_due_at() == soon


async def test_concurrent_claimers_never_share_a_row(
    db: Database, db_twin: Callable[[], Database], clock: FrozenClock
) -> None:
    """Two workers on separate connections claiming in a loop split the rows without overlap."""
    await OutboxRepo(db, clock).enqueue([item(f"r{i}", str(i % 50)) for i in range(600)])
    workers = {"w1": OutboxRepo(db_twin(), clock), "w2": OutboxRepo(db_twin(), clock)}
    got: dict[str, list[int]] = {name: [] for name in workers}

    async def drain(name: str) -> None:
        repo = workers[name]
        while batch := await repo.claim_due(name, 7, 300):
            got[name].extend(c.id for c in batch)
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(name) for name in workers))
    first, second = set(got["w1"]), set(got["w2"])
    assert len(got["w1"]) == len(first)
    assert len(got["w2"]) == len(second)
    assert first.isdisjoint(second)
    assert len(first | second) == 600
    assert first, "each worker should win some claims"
    assert second, "each worker should win some claims"


async def test_a_scoped_claim_leaves_every_other_row_pending(
    db: Database, clock: FrozenClock
) -> None:
    """A claim limited to some (channel, chat) pairs leases only their rows; the rest stay put."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue(
        [
            item("mine", "console-user", channel="console"),
            item("mine-in-a-thread", "console-user", channel="console", thread=3),
            item("channel-post", "@news"),
            item("same-id-elsewhere", "console-user"),
            item("someone-else", "amina", channel="console"),
        ]
    )
    # Another worker's lease has run out: still not claimable outside the scope.
    [expired] = await repo.claim_due("dead-worker", 1, 30, only=[("telegram", "@news")])
    clock.advance(31)
    claimed = await repo.claim_due("chat", 10, 30, only=frozenset({("console", "console-user")}))
    assert sorted(c.idempotency_key for c in claimed) == ["mine", "mine-in-a-thread"]
    assert await repo.claim_due("chat", 10, 30, only=[]) == []
    depth = await repo.depth_by_status()
    assert (depth["pending"], depth["sending"]) == (2, 3)
    post = await repo.get(expired.id)
    assert post is not None
    assert (post.claimed_by, post.attempts) == ("dead-worker", 1)
    [anyone] = await repo.claim_due("w", 10, 30, only=[("telegram", "@news")])
    assert anyone.id == expired.id


async def test_a_claim_skipping_a_down_channel_leaves_its_rows_as_they_were(
    db: Database, clock: FrozenClock
) -> None:
    """Rows of a channel that is down are not leased, not delayed, and due once it is back."""
    repo = OutboxRepo(db, clock)
    await repo.enqueue([item("tg", "42"), item("wa", "+2348030000001", channel="whatsapp")])
    claimed = await repo.claim_due("w", 10, 30, skip_channels=["telegram"])
    assert [c.idempotency_key for c in claimed] == ["wa"]
    [waiting] = await repo.claim_due("w", 10, 30)  # the channel is back: due at once
    assert (waiting.idempotency_key, waiting.attempts) == ("tg", 1)
