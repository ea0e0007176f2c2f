"""SendJournal: starts are durable before they return, outcomes share commits, none is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

import pytest

from bot.core.ids import OutboxId
from bot.domain.outbox import Outcome, Sent
from bot.outbox.journal import SendJournal


class GatedStore:
    """Records each commit; a commit waits for ``gate`` and may be told to fail."""

    def __init__(self) -> None:
        self.commits: list[tuple[list[OutboxId], list[OutboxId]]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_next = 0
        self.healthy: list[tuple[str, str]] = []

    async def record_outcomes(
        self, worker_id: str, outcomes: Sequence[Outcome], *, started: Collection[OutboxId] = ()
    ) -> None:
        """Commit (after the gate opens), or fail when told to."""
        await self.gate.wait()
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("database is locked")
        self.commits.append((sorted(started), [o.id for o in outcomes]))

    async def record_ok(self, channel: str, chat_id: str) -> None:
        """Note a healthy chat."""
        self.healthy.append((channel, chat_id))


async def test_a_start_returns_only_after_its_commit() -> None:
    """started() waits for the commit that carries it."""
    store = GatedStore()
    store.gate.clear()
    journal = SendJournal(store, store, worker_id="w")
    start = asyncio.create_task(journal.started(OutboxId(1)))
    await asyncio.sleep(0.01)
    assert not start.done()
    store.gate.set()
    await asyncio.wait_for(start, timeout=1)
    assert store.commits == [([OutboxId(1)], [])]
    await journal.close()


async def test_starts_and_outcomes_queued_during_a_commit_share_the_next() -> None:
    """While one commit runs, everything queued meanwhile goes into one following commit."""
    store = GatedStore()
    store.gate.clear()
    journal = SendJournal(store, store, worker_id="w")
    first = asyncio.create_task(journal.started(OutboxId(1)))
    await asyncio.sleep(0.01)  # commit 1 (start of row 1) is under way, held at the gate
    later = [asyncio.create_task(journal.started(OutboxId(n))) for n in (2, 3, 4)]
    journal.settle(Sent(OutboxId(9), "p9"), ("tg", "-1"))
    await asyncio.sleep(0.01)
    store.gate.set()
    await asyncio.wait_for(asyncio.gather(first, *later), timeout=1)
    await journal.flush()
    assert store.commits == [
        ([OutboxId(1)], []),
        ([OutboxId(2), OutboxId(3), OutboxId(4)], [OutboxId(9)]),
    ]
    assert store.healthy == [("tg", "-1")]
    await journal.close()


async def test_a_failed_commit_fails_its_starts_and_keeps_its_outcomes() -> None:
    """The starts of a failed commit raise (those rows are not sent); its outcomes are retried."""
    store = GatedStore()
    store.fail_next = 1
    journal = SendJournal(store, store, worker_id="w", retry_delay=0.01)
    journal.settle(Sent(OutboxId(7), "p7"))
    with pytest.raises(RuntimeError, match="locked"):
        await journal.started(OutboxId(8))
    await asyncio.wait_for(journal.flush(), timeout=1)
    assert store.commits == [([], [OutboxId(7)])]
    await journal.close()


async def test_flush_raises_when_a_write_fails_after_it_began() -> None:
    """flush() reports a failing database instead of waiting forever; the outcome stays queued."""
    store = GatedStore()
    store.fail_next = 1000
    journal = SendJournal(store, store, worker_id="w", retry_delay=0.01)
    journal.settle(Sent(OutboxId(1), "p1"))
    with pytest.raises(RuntimeError, match="locked"):
        await asyncio.wait_for(journal.flush(), timeout=1)
    assert journal.pending == 1
    await journal.close()
