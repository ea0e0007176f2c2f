"""InboxWorker on messages against the real inbox: order per chat, retries, dead letters."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.backoff import backoff_delay
from bot.core.clock import FrozenClock
from bot.core.ids import InboxId
from bot.core.messages import InboundMessage
from bot.domain.inbox import InboxState
from bot.inbox.intake import InboxIntake
from bot.storage.db import Database
from bot.storage.repositories.inbox import InboxRepo
from tests.inbox.conftest import SEED, WORKER_LOG, Dispatcher, WorkerFactory, msg


class LockableSqlite:
    """A SQLite file the handler writes to, and a second writer that can hold its lock."""

    def __init__(self, path: Path) -> None:
        # A 50 ms busy timeout: a write under the lock fails as SQLite's own "locked" error.
        self.engine = create_async_engine(
            f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 0.05}
        )
        self.other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.other.execute("CREATE TABLE handled (ref TEXT PRIMARY KEY)")

    async def write(self, message: InboundMessage) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text("INSERT INTO handled VALUES (:ref)"), {"ref": message.text})

    def rows(self) -> list[str]:
        return [row[0] for row in self.other.execute("SELECT ref FROM handled")]


class FlakyDone(InboxRepo):
    """The real repository whose first ``mark_done`` meets a busy database."""

    async def mark_done(self, ids: Sequence[InboxId]) -> None:
        if not getattr(self, "failed", False):
            self.failed = True
            raise OperationalError("UPDATE inbox", {}, sqlite3.OperationalError("locked"))
        await super().mark_done(ids)


@pytest.fixture
async def lockable(tmp_path: Path) -> AsyncIterator[LockableSqlite]:
    """Return a lockable SQLite file (released and closed at the end)."""
    db = LockableSqlite(tmp_path / "other.db")
    yield db
    if db.other.in_transaction:
        db.other.execute("ROLLBACK")
    db.other.close()
    await db.engine.dispose()


async def test_each_chat_is_handled_in_order_and_chats_side_by_side(
    repo: InboxRepo, dispatcher: Dispatcher, make_worker: WorkerFactory
) -> None:
    """A chat's messages run one after another, oldest first, while another chat's run too."""
    intake = InboxIntake(repo)
    for ref in ("a1", "b1", "a2", "b2", "a3"):
        await intake.accept(msg(ref, chat=ref[0]))
    b1_done = asyncio.Event()
    dispatcher.gates["a1"] = b1_done  # a1 finishes only once b1 did: both run at once
    dispatcher.effect = lambda m: _set_if(m.text == "b1", b1_done)
    async with asyncio.timeout(5):
        assert await make_worker().drain() == 5
    assert dispatcher.handled("a") == ["a1", "a2", "a3"]
    assert dispatcher.handled("b") == ["b1", "b2"]
    chat_a = [event for event in dispatcher.events if event[1].startswith("a")]
    assert chat_a == [(w, r) for r in ("a1", "a2", "a3") for w in ("start", "end")]


async def _set_if(condition: bool, event: asyncio.Event) -> None:
    if condition:
        event.set()


async def test_a_locked_database_is_retried_after_its_backoff_and_succeeds(
    repo: InboxRepo,
    dispatcher: Dispatcher,
    lockable: LockableSqlite,
    make_worker: WorkerFactory,
    clock: FrozenClock,
) -> None:
    """A handler whose write meets another writer's lock is run again after the backoff."""
    dispatcher.effect = lockable.write
    await InboxIntake(repo).accept(msg("a1"))
    lockable.other.execute("BEGIN IMMEDIATE")
    worker = make_worker()
    assert await worker.run_once() == 1
    assert dispatcher.handled() == []
    assert await repo.state_of("whatsapp", "a1") is InboxState.PENDING
    delay = backoff_delay(1, 10.0, 10.0, random.Random(SEED))
    clock.advance(delay / 2)
    assert await worker.run_once() == 0  # not before its backoff
    lockable.other.execute("COMMIT")
    clock.advance(delay / 2 + 0.001)
    assert await worker.run_once() == 1
    assert lockable.rows() == ["a1"]
    assert await repo.state_of("whatsapp", "a1") is InboxState.DONE


async def test_a_message_still_failing_after_max_attempts_is_dead_and_counted(
    repo: InboxRepo,
    dispatcher: Dispatcher,
    lockable: LockableSqlite,
    make_worker: WorkerFactory,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Locked max_attempts times, it is dead, logged once with its traceback; the chat goes on."""
    dispatcher.effect = lockable.write
    intake = InboxIntake(repo)
    await intake.accept(msg("a1"))
    await intake.accept(msg("a2"))
    lockable.other.execute("BEGIN IMMEDIATE")
    worker = make_worker(max_attempts=3)
    with caplog.at_level(logging.WARNING, WORKER_LOG):
        for _ in range(3):
            assert await worker.run_once() == 1
            clock.advance(10)
    assert await repo.state_of("whatsapp", "a1") is InboxState.DEAD
    assert (await repo.counts()).dead == 1
    records = [r for r in caplog.records if r.name == WORKER_LOG]
    # The retries share one warning a minute; the dead letter is one error with its traceback.
    assert [r.levelno for r in records] == [logging.WARNING, logging.ERROR]
    assert records[1].exc_info is not None
    assert isinstance(records[1].exc_info[1], OperationalError)
    lockable.other.execute("COMMIT")
    assert await worker.run_once() == 1
    assert lockable.rows() == ["a2"]


async def test_a_bug_is_dead_at_once_with_its_traceback_logged_once(
    repo: InboxRepo,
    dispatcher: Dispatcher,
    make_worker: WorkerFactory,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A RuntimeError is not retried: the message is dead after one try, its chat goes on."""
    dispatcher.failures["a1"] = [RuntimeError("boom")]
    intake = InboxIntake(repo)
    await intake.accept(msg("a1"))
    await intake.accept(msg("a2"))
    worker = make_worker()
    with caplog.at_level(logging.WARNING, WORKER_LOG):
        assert await worker.run_once() == 1
    assert await repo.state_of("whatsapp", "a1") is InboxState.DEAD
    assert caplog.text.count("Traceback (most recent call last)") == 1
    assert "RuntimeError: boom" in caplog.text
    clock.advance(3600)
    assert await worker.drain() == 1
    assert dispatcher.events.count(("start", "a1")) == 1
    assert dispatcher.handled() == ["a2"]


async def test_a_busy_database_when_recording_done_does_not_handle_twice(
    memory_db: Database, clock: FrozenClock, dispatcher: Dispatcher, make_worker: WorkerFactory
) -> None:
    """Recording "done" is retried while the database is busy, so the lease never re-runs it."""
    store = FlakyDone(memory_db, clock)
    await InboxIntake(store).accept(msg("a1"))
    worker = make_worker(store, backoff_base=0.01, backoff_max=0.01, lease_seconds=5)
    assert await worker.run_once() == 1
    assert await store.state_of("whatsapp", "a1") is InboxState.DONE
    clock.advance(60)
    assert await worker.run_once() == 0
    assert dispatcher.handled() == ["a1"]


async def test_run_handles_what_arrives_until_stopped(
    repo: InboxRepo, dispatcher: Dispatcher, make_worker: WorkerFactory
) -> None:
    """The running worker is woken by the intake and ends when told to stop."""
    intake = InboxIntake(repo)
    worker = make_worker(poll_interval=30.0)
    worker.signal = intake.signal
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await intake.accept(msg("a1"))
    async with asyncio.timeout(5):
        while not dispatcher.handled():  # noqa: ASYNC110 - the worker appends to a plain list
            await asyncio.sleep(0.01)
        stop.set()
        await task
    assert dispatcher.handled() == ["a1"]
