"""OutcomeBatch: outcomes are written in small groups, and none is lost when a write fails."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from bot.core.ids import OutboxId
from bot.domain.outbox import Outcome, Sent, Skipped
from bot.outbox.batching import OutcomeBatch


class Store:
    """Records every write of outcomes and healthy chats; can be told to fail the next one."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, list[Outcome]]] = []
        self.healthy: list[tuple[str, str]] = []
        self.fail_next = False

    async def record_outcomes(self, worker_id: str, outcomes: Sequence[Outcome]) -> None:
        """Keep the write, or fail as a locked database would."""
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database is locked")
        self.writes.append((worker_id, list(outcomes)))

    async def record_ok(self, channel: str, chat_id: str) -> None:
        """Keep the healthy chat."""
        self.healthy.append((channel, chat_id))


class Clock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _batch(store: Store, clock: Clock, *, every: int = 3, interval: float = 0.5) -> OutcomeBatch:
    return OutcomeBatch(
        store,
        store,
        worker_id="w1",
        deadline=clock.now + 30,
        monotonic=clock,
        flush_every=every,
        flush_interval=interval,
    )


def _sent(n: int) -> Sent:
    return Sent(OutboxId(n), f"p{n}")


async def test_outcomes_wait_until_enough_have_gathered() -> None:
    """Nothing is written before flush_every outcomes; then all of them are, in order."""
    store, clock = Store(), Clock()
    batch = _batch(store, clock)
    for n in (1, 2):
        batch.add(_sent(n))
        await batch.flush(force=False)
    assert store.writes == []
    batch.add(_sent(3))
    await batch.flush(force=False)
    assert store.writes == [("w1", [_sent(1), _sent(2), _sent(3)])]


async def test_outcomes_are_written_once_the_interval_passed() -> None:
    """A single outcome is written when flush_interval seconds passed since the last write."""
    store, clock = Store(), Clock()
    batch = _batch(store, clock)
    batch.add(_sent(1))
    clock.now += 0.49
    await batch.flush(force=False)
    assert store.writes == []
    clock.now += 0.01
    await batch.flush(force=False)
    assert store.writes == [("w1", [_sent(1)])]


async def test_a_forced_flush_writes_now_and_an_empty_one_writes_nothing() -> None:
    """The end of a batch writes whatever is left; with nothing left no write is made."""
    store, clock = Store(), Clock()
    batch = _batch(store, clock, every=100)
    await batch.flush(force=True)
    assert store.writes == []
    batch.add(Skipped(OutboxId(4), "opted_out"))
    await batch.flush(force=True)
    assert store.writes == [("w1", [Skipped(OutboxId(4), "opted_out")])]


async def test_chats_that_received_are_marked_healthy_once_each() -> None:
    """Each destination chat that received is recorded once per write, after its outcomes."""
    store, clock = Store(), Clock()
    batch = _batch(store, clock, every=100)
    batch.add(_sent(1), ("telegram", "-2"))
    batch.add(_sent(2), ("telegram", "-1"))
    batch.add(_sent(3), ("telegram", "-2"))
    batch.add(_sent(4))
    await batch.flush(force=True)
    assert store.healthy == [("telegram", "-1"), ("telegram", "-2")]
    await batch.flush(force=True)
    assert store.healthy == [("telegram", "-1"), ("telegram", "-2")]


async def test_a_failed_write_keeps_the_outcomes_for_the_next_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing write is logged and retried later with every outcome, older ones first."""
    store, clock = Store(), Clock()
    batch = _batch(store, clock, every=1)
    batch.add(_sent(1), ("telegram", "-1"))
    store.fail_next = True
    with caplog.at_level(logging.ERROR, logger="bot.outbox.batching"):
        await batch.flush(force=False)
    assert "recording 1 outbox outcomes failed" in caplog.text
    assert store.writes == []
    batch.add(_sent(2))
    await batch.flush(force=False)
    assert store.writes == [("w1", [_sent(1), _sent(2)])]
    assert store.healthy == [("telegram", "-1")]


async def test_a_failed_forced_write_raises_and_keeps_the_outcomes() -> None:
    """At the end of a batch a failing write raises, and the outcomes stay for a retry."""
    store, clock = Store(), Clock()
    batch = _batch(store, clock)
    batch.add(_sent(1))
    store.fail_next = True
    with pytest.raises(RuntimeError, match="locked"):
        await batch.flush(force=True)
    await batch.flush(force=True)
    assert store.writes == [("w1", [_sent(1)])]


def test_the_deadline_and_release_counts_are_the_batchs_own() -> None:
    """Each batch starts with its own deadline and no rows given back."""
    store, clock = Store(), Clock()
    first, second = _batch(store, clock), _batch(store, clock)
    first.released["tg:1"] += 2
    assert (first.deadline, second.released["tg:1"]) == (130.0, 0)
