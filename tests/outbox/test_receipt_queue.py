"""The delivery-report queue: batches, late ids retried, unknown ids dropped, failures kept."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.core.reports import DeliveryReport, DeliveryState
from bot.outbox.receipt_queue import ReceiptQueue


def r(sid: str, state: str, error_key: str | None = None) -> DeliveryReport:
    """Return a neutral report."""
    return DeliveryReport(sid, DeliveryState(state), error_key)


class Applier:
    """Knows a growing set of provider ids; records every batch it was given."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.batches: list[list[DeliveryReport]] = []
        self.fail_next = False

    async def apply_batch(self, reports: Sequence[DeliveryReport]) -> set[str]:
        """Record the batch and name the ids not known yet."""
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database is locked")
        self.batches.append(list(reports))
        return {report.provider_id for report in reports if report.provider_id not in self.known}


async def test_reports_are_applied_together_in_one_batch() -> None:
    """Many callbacks queued between two rounds become one apply call."""
    applier = Applier({"SM1", "SM2"})
    queue = ReceiptQueue(applier)
    for sid, status in [("SM1", "sent"), ("SM2", "sent"), ("SM1", "delivered")]:
        queue.submit(r(sid, status))
    assert await queue.apply_pending() == 3
    assert applier.batches == [[r("SM1", "sent"), r("SM2", "sent"), r("SM1", "delivered")]]
    assert len(queue) == 0


async def test_a_report_that_outruns_its_send_record_is_tried_again() -> None:
    """An id the worker has not written yet waits for a later round, then applies."""
    applier = Applier(set())
    queue = ReceiptQueue(applier, max_rounds=3)
    queue.submit(r("SM9", "failed", "outside_window"))
    await queue.apply_pending()
    assert len(queue) == 1
    applier.known.add("SM9")
    await queue.apply_pending()
    assert len(queue) == 0
    assert applier.batches == [[r("SM9", "failed", "outside_window")]] * 2


async def test_an_id_that_never_appears_is_dropped_after_max_rounds() -> None:
    """A report for a message we never sent stops being retried."""
    applier = Applier(set())
    queue = ReceiptQueue(applier, max_rounds=3)
    queue.submit(r("SMx", "delivered"))
    for _ in range(5):
        await queue.apply_pending()
    assert len(applier.batches) == 3
    assert len(queue) == 0


async def test_a_failed_batch_is_kept_for_the_next_round() -> None:
    """A database error loses no report: the batch is applied on the next round."""
    applier = Applier({"SM1"})
    queue = ReceiptQueue(applier)
    queue.submit(r("SM1", "read"))
    applier.fail_next = True
    assert await queue.apply_pending() == 0
    assert len(queue) == 1
    assert await queue.apply_pending() == 1
    assert applier.batches == [[r("SM1", "read")]]


async def test_run_applies_what_is_left_when_stopped() -> None:
    """Stopping the loop applies the reports still queued."""
    applier = Applier({"SM1"})
    queue = ReceiptQueue(applier, interval=10)
    stop = asyncio.Event()
    task = asyncio.create_task(queue.run(stop))
    queue.submit(r("SM1", "sent"))
    await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert applier.batches == [[r("SM1", "sent")]]
