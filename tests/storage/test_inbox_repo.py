"""InboxRepo: stored once per provider ref, leased in order per chat, settled, counted, pruned."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.core.status import InboxStatus
from bot.domain.inbox import InboxKind, InboxState, NewInboxItem
from bot.storage.db import Database
from bot.storage.repositories.inbox import InboxRepo

LEASE = timedelta(seconds=60)


def message(ref: str, chat: str = "1", *, platform: str = "telegram") -> NewInboxItem:
    """Return an inbound message item for ``chat``."""
    return NewInboxItem(
        platform, ref, InboxKind.MESSAGE, f"{platform}:{chat}", {"text": f"hello {ref}"}
    )


def report(ref: str, provider_id: str = "SM1") -> NewInboxItem:
    """Return a delivery report item."""
    return NewInboxItem("reports", ref, InboxKind.REPORT, f"reports:{provider_id}", {"id": ref})


def unreadable(ref: str) -> NewInboxItem:
    """Return an update the platform's library could not parse."""
    return NewInboxItem("telegram", ref, InboxKind.UNREADABLE, "telegram:unreadable", {})


async def claim(repo: InboxRepo, limit: int = 10) -> list[str]:
    """Lease the next messages and return their provider refs."""
    return [item.provider_ref for item in await repo.claim_messages(limit=limit, lease=LEASE)]


async def test_add_stores_each_provider_ref_once(db: Database, clock: FrozenClock) -> None:
    """The same (platform, provider ref) is stored once; the duplicate add returns None."""
    repo = InboxRepo(db, clock)
    first = await repo.add(message("u:1"))
    assert first is not None
    assert await repo.add(message("u:1")) is None
    assert await repo.add(message("u:1", chat="2")) is None
    assert await repo.add(message("u:1", platform="whatsapp")) is not None
    assert await repo.state_of("telegram", "u:1") is InboxState.PENDING
    assert await repo.state_of("telegram", "u:2") is None
    assert (await repo.counts()).pending == 2


async def test_a_claimed_message_carries_what_was_stored(db: Database, clock: FrozenClock) -> None:
    """A lease returns the item's platform, ref, kind, chat, payload and arrival, attempt 1."""
    repo = InboxRepo(db, clock)
    stored = await repo.add(message("u:1", chat="42"))
    clock.advance(5)
    [item] = await repo.claim_messages(limit=1, lease=LEASE)
    assert (item.id, item.platform, item.provider_ref) == (stored, "telegram", "u:1")
    assert (item.kind, item.chat_key) == (InboxKind.MESSAGE, "telegram:42")
    assert item.payload == {"text": "hello u:1"}
    assert item.received_at == clock.now() - timedelta(seconds=5)
    assert item.attempts == 1


async def test_only_a_chats_oldest_message_is_claimable(db: Database, clock: FrozenClock) -> None:
    """While a chat's first message is leased its second waits; other chats' heads are claimed."""
    repo = InboxRepo(db, clock)
    for ref, chat in [("a1", "a"), ("a2", "a"), ("b1", "b"), ("a3", "a"), ("b2", "b")]:
        await repo.add(message(ref, chat))
    [a1, b1] = await repo.claim_messages(limit=10, lease=LEASE)
    assert (a1.provider_ref, b1.provider_ref) == ("a1", "b1")
    assert await claim(repo) == []
    await repo.mark_done([a1.id])
    assert await claim(repo) == ["a2"]
    await repo.mark_done([b1.id])
    assert await claim(repo) == ["b2"]
    assert await repo.state_of("telegram", "a1") is InboxState.DONE


async def test_the_limit_counts_chats_oldest_first(db: Database, clock: FrozenClock) -> None:
    """A claim of two takes the heads of the two chats that wrote first."""
    repo = InboxRepo(db, clock)
    for ref, chat in [("c1", "c"), ("a1", "a"), ("c2", "c"), ("b1", "b")]:
        await repo.add(message(ref, chat))
    assert await claim(repo, limit=2) == ["c1", "a1"]
    assert await claim(repo, limit=2) == ["b1"]


async def test_a_message_waiting_for_its_retry_holds_its_chat(
    db: Database, clock: FrozenClock
) -> None:
    """A message given back for later stays its chat's head until then; other chats go on."""
    repo = InboxRepo(db, clock)
    await repo.add(message("a1", "a"))
    await repo.add(message("a2", "a"))
    [a1] = await repo.claim_messages(limit=10, lease=LEASE)
    await repo.retry_later(a1.id, clock.now() + timedelta(seconds=30), "OperationalError: locked")
    await repo.add(message("b1", "b"))
    assert await claim(repo) == ["b1"]
    clock.advance(29)
    assert await claim(repo) == []
    clock.advance(1)
    [again] = await repo.claim_messages(limit=10, lease=LEASE)
    assert (again.provider_ref, again.attempts) == ("a1", 2)


async def test_a_dead_message_no_longer_blocks_its_chat(db: Database, clock: FrozenClock) -> None:
    """After its head is dead-lettered, a chat's next message is claimed; the dead one stays."""
    repo = InboxRepo(db, clock)
    await repo.add(message("a1", "a"))
    await repo.add(message("a2", "a"))
    [a1] = await repo.claim_messages(limit=10, lease=LEASE)
    await repo.mark_dead(a1.id, "RuntimeError: boom")
    assert await claim(repo) == ["a2"]
    assert await repo.state_of("telegram", "a1") is InboxState.DEAD
    assert await repo.add(message("a1", "a")) is None  # a dead row still dedupes


async def test_an_expired_lease_is_claimed_again_with_one_more_attempt(
    db: Database, clock: FrozenClock
) -> None:
    """A worker that died holding a message loses it when the lease runs out; attempts grow."""
    repo = InboxRepo(db, clock)
    await repo.add(message("a1"))
    [first] = await repo.claim_messages(limit=10, lease=LEASE)
    clock.advance(LEASE.total_seconds() - 1)
    assert await claim(repo) == []
    clock.advance(2)
    [second] = await repo.claim_messages(limit=10, lease=LEASE)
    assert (second.id, first.attempts, second.attempts) == (first.id, 1, 2)


async def test_racing_claimers_never_lease_the_same_message(
    db: Database, db_twin: Callable[[], Database], clock: FrozenClock
) -> None:
    """Two workers on separate connections share the messages without overlap, in chat order."""
    writer = InboxRepo(db, clock)
    for n in range(240):
        await writer.add(message(f"m{n:03}", chat=str(n % 30)))
    workers = {"w1": InboxRepo(db_twin(), clock), "w2": InboxRepo(db_twin(), clock)}
    got: dict[str, list[str]] = {name: [] for name in workers}
    handled: list[tuple[str, str]] = []

    async def drain(name: str) -> None:
        repo = workers[name]
        # Until nothing is pending: a chat blocked by the other worker's lease frees up a
        # moment later, and giving up early would leave the race to one worker.
        while (await repo.counts()).pending:
            batch = await repo.claim_messages(limit=7, lease=LEASE)
            got[name].extend(i.provider_ref for i in batch)
            handled.extend((i.chat_key, i.provider_ref) for i in batch)
            await asyncio.sleep(0)
            await repo.mark_done([i.id for i in batch])

    await asyncio.gather(*(drain(name) for name in workers))
    first, second = set(got["w1"]), set(got["w2"])
    assert (len(first), len(second)) == (len(got["w1"]), len(got["w2"]))
    assert first.isdisjoint(second)
    assert len(first | second) == 240
    assert first, "each worker should win some claims"
    assert second, "each worker should win some claims"
    for chat in range(30):
        refs = [ref for key, ref in handled if key == f"telegram:{chat}"]
        assert refs == sorted(refs), f"chat {chat} out of order: {refs}"
    assert (await writer.counts()).pending == 0


async def test_claim_reports_leases_batches_in_arrival_order(
    db: Database, clock: FrozenClock
) -> None:
    """Reports are leased up to the limit, oldest first, even several for one message id."""
    repo = InboxRepo(db, clock)
    for n in range(5):
        await repo.add(report(f"SM1:s{n}"))
    await repo.add(message("m1"))
    first = await repo.claim_reports(limit=3, lease=LEASE)
    assert [r.provider_ref for r in first] == ["SM1:s0", "SM1:s1", "SM1:s2"]
    assert all(r.kind is InboxKind.REPORT for r in first)
    assert [r.provider_ref for r in await repo.claim_reports(limit=3, lease=LEASE)] == [
        "SM1:s3",
        "SM1:s4",
    ]
    assert await repo.claim_reports(limit=3, lease=LEASE) == []
    assert await claim(repo) == ["m1"]  # reports never hold a chat's messages back


async def test_unreadable_updates_are_kept_but_never_claimed(
    db: Database, clock: FrozenClock
) -> None:
    """An unreadable update is stored once as unreadable and no claim ever returns it."""
    repo = InboxRepo(db, clock)
    assert await repo.add(unreadable("telegram:update:9")) is not None
    assert await repo.add(unreadable("telegram:update:9")) is None
    clock.advance(3600)
    assert await claim(repo) == []
    assert await repo.claim_reports(limit=10, lease=LEASE) == []
    assert await repo.state_of("telegram", "telegram:update:9") is InboxState.UNREADABLE


async def test_counts_pending_dead_unreadable_and_the_oldest_pending(
    db: Database, clock: FrozenClock
) -> None:
    """Counts split by state; the oldest pending is the earliest arrival still waiting."""
    repo = InboxRepo(db, clock)
    assert await repo.counts() == InboxStatus()
    arrived = clock.now()
    await repo.add(message("gone", "x"))
    clock.advance(10)
    await repo.add(message("waits", "y"))
    await repo.add(report("SM1:sent"))
    await repo.add(message("bad", "z"))
    await repo.add(unreadable("telegram:update:1"))
    claimed = {i.provider_ref: i.id for i in await repo.claim_messages(limit=10, lease=LEASE)}
    await repo.mark_done([claimed["gone"]])
    await repo.mark_dead(claimed["bad"], "RuntimeError: boom")
    counts = await repo.counts()
    assert counts == InboxStatus(
        pending=2, dead=1, unreadable=1, oldest_pending_at=arrived + timedelta(seconds=10)
    )


async def test_prune_forgets_settled_rows_outside_the_window_only(
    db: Database, clock: FrozenClock
) -> None:
    """Old done, unreadable and dead rows go; pending rows and recent ones keep their dedupe."""
    repo = InboxRepo(db, clock)
    for ref in ("old-done", "old-pending", "old-dead"):
        await repo.add(message(ref, chat=ref))
    await repo.add(unreadable("old-unreadable"))
    claimed = {i.provider_ref: i.id for i in await repo.claim_messages(limit=10, lease=LEASE)}
    await repo.mark_done([claimed["old-done"]])
    await repo.mark_dead(claimed["old-dead"], "boom")
    await repo.retry_later(claimed["old-pending"], clock.now(), "locked")
    clock.advance(4 * 86400)
    recent = await repo.add(message("recent-done", chat="r"))
    assert recent is not None
    await repo.mark_done([recent])
    now = clock.now()
    pruned = await repo.prune(
        handled_before=now - timedelta(days=3), dead_before=now - timedelta(days=5)
    )
    assert pruned == 2
    states = {
        ref: await repo.state_of("telegram", ref)
        for ref in ("old-done", "old-unreadable", "old-pending", "old-dead", "recent-done")
    }
    assert states == {
        "old-done": None,
        "old-unreadable": None,
        "old-pending": InboxState.PENDING,
        "old-dead": InboxState.DEAD,
        "recent-done": InboxState.DONE,
    }
    assert await repo.add(message("recent-done", chat="r")) is None  # still deduped
    assert await repo.add(message("old-done", chat="old-done")) is not None  # forgotten
    clock.advance(2 * 86400)
    now = clock.now()
    await repo.prune(handled_before=now - timedelta(days=3), dead_before=now - timedelta(days=5))
    assert await repo.state_of("telegram", "old-dead") is None  # dead rows are kept longer
