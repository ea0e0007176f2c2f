"""InboxWorker on delivery reports: applied in batches, waiting for their row, dropped, retried."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from bot.core.clock import FrozenClock
from bot.core.reports import DeliveryReport, DeliveryState
from bot.domain.inbox import InboxState
from bot.inbox.intake import InboxIntake
from bot.storage.repositories.inbox import InboxRepo
from tests.inbox.conftest import WORKER_LOG, Receipts, WorkerFactory


def report(provider_id: str, state: DeliveryState = DeliveryState.DELIVERED) -> DeliveryReport:
    """Return a delivery report."""
    return DeliveryReport(provider_id, state)


async def test_reports_are_applied_in_one_batch(
    repo: InboxRepo, receipts: Receipts, make_worker: WorkerFactory
) -> None:
    """Reports stored together reach the receipts as one batch and are settled."""
    receipts.known = {"SM1", "SM2"}
    intake = InboxIntake(repo)
    for r in (report("SM1", DeliveryState.SENT), report("SM1"), report("SM2")):
        await intake.accept_report(r)
    assert await make_worker().drain() == 3
    assert receipts.batches == [[report("SM1", DeliveryState.SENT), report("SM1"), report("SM2")]]
    assert (await repo.counts()).pending == 0


async def test_a_report_delivered_twice_is_applied_once(
    repo: InboxRepo, receipts: Receipts, make_worker: WorkerFactory
) -> None:
    """A status callback Twilio posts twice is stored and applied once."""
    receipts.known = {"SM1"}
    intake = InboxIntake(repo)
    await intake.accept_report(report("SM1"))
    await intake.accept_report(report("SM1"))
    await make_worker().drain()
    assert receipts.batches == [[report("SM1")]]


async def test_a_report_waits_for_its_row_then_applies(
    repo: InboxRepo, receipts: Receipts, make_worker: WorkerFactory, clock: FrozenClock
) -> None:
    """A report for an id no row carries yet is offered again until the row has it."""
    await InboxIntake(repo).accept_report(report("SM1"))
    worker = make_worker()
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0  # waits report_wait
    receipts.known.add("SM1")
    clock.advance(1)
    assert await worker.run_once() == 1
    assert receipts.batches == [[report("SM1")], [report("SM1")]]
    assert await repo.state_of("reports", "SM1:delivered:") is InboxState.DONE


async def test_a_report_no_row_ever_carries_is_dropped_after_its_rounds(
    repo: InboxRepo, receipts: Receipts, make_worker: WorkerFactory, clock: FrozenClock
) -> None:
    """After report_rounds tries for an unknown id the report is settled and never offered again."""
    await InboxIntake(repo).accept_report(report("SM404"))
    worker = make_worker(report_rounds=3)
    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(1)
    assert await worker.run_once() == 0
    assert len(receipts.batches) == 3
    assert await repo.state_of("reports", "SM404:delivered:") is InboxState.DONE


async def test_a_failing_batch_is_retried_when_busy_and_dead_when_a_bug(
    repo: InboxRepo,
    receipts: Receipts,
    make_worker: WorkerFactory,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A busy database retries the whole batch; a bug dead-letters it with one traceback."""
    busy = OperationalError("UPDATE outbox", {}, sqlite3.OperationalError("locked"))
    receipts.failures = [busy, RuntimeError("boom")]
    intake = InboxIntake(repo)
    for n in range(3):
        await intake.accept_report(report(f"SM{n}"))
    worker = make_worker()
    with caplog.at_level(logging.WARNING, WORKER_LOG):
        assert await worker.run_once() == 3
        clock.advance(10)
        assert await worker.run_once() == 3
    assert (await repo.counts()).dead == 3
    assert caplog.text.count("Traceback (most recent call last)") == 1
