"""Delivery reports from webhooks, applied in batches a few times a second.

Twilio posts two or three status callbacks per message. Applying each in its own transaction
costs more than the send itself and, on SQLite, competes with the outbox for the one writer;
a batch every quarter second keeps the sender at its full rate. A report for a message whose
id the worker has not written yet (outcomes are flushed in small batches) waits for a later
batch, up to ``max_rounds`` times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.reports import DeliveryReport

logger = logging.getLogger(__name__)


class BatchApplier(Protocol):
    """Applies reports and says which provider ids are unknown (DeliveryReceipts fits)."""

    async def apply_batch(self, reports: Sequence[DeliveryReport]) -> set[str]:
        """Apply the reports; return the ids no row carries yet."""
        ...


@dataclass(slots=True)
class _Pending:
    report: DeliveryReport
    rounds: int = 0


class ReceiptQueue:
    """Collects reports from webhook requests; a background task applies them in batches."""

    def __init__(
        self, receipts: BatchApplier, *, interval: float = 0.25, max_rounds: int = 16
    ) -> None:
        self._receipts = receipts
        self._interval = interval
        self._max_rounds = max_rounds
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()

    def submit(self, report: DeliveryReport) -> None:
        """Queue one report (called by the webhook route, never blocks)."""
        self._pending.append(_Pending(report))
        self._wake.set()

    def __len__(self) -> int:
        return len(self._pending)

    async def run(self, stop: asyncio.Event) -> None:
        """Apply queued reports until ``stop`` is set, then once more."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._interval)
            await self.apply_pending()
        await self.apply_pending(final=True)

    async def apply_pending(self, *, final: bool = False) -> int:
        """Apply everything queued now; return how many reports were taken."""
        batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            unknown = await self._receipts.apply_batch([p.report for p in batch])
        except Exception:
            logger.exception("Applying %d delivery reports failed; retrying", len(batch))
            self._pending = batch + self._pending
            return 0
        for report in batch:
            if report.report.provider_id not in unknown:
                continue
            report.rounds += 1
            if report.rounds < self._max_rounds and not final:
                self._pending.append(report)
            else:
                logger.info(
                    "Dropped a delivery report for unknown message %s", report.report.provider_id
                )
        if self._pending:
            self._wake.set()
        return len(batch)
