"""The outbox port: the one way features queue messages (rows first, then the worker wakes)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from bot.domain.outbox import NewOutboxItem


class WorkSignal:
    """Tells a waiting outbox worker that new rows are due, so none waits for the next poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake the worker now."""
        self._event.set()

    def clear(self) -> None:
        """Forget earlier wake-ups (the worker calls this before claiming)."""
        self._event.clear()

    async def wait(self) -> None:
        """Return once notified."""
        await self._event.wait()


class OutboxWriter(Protocol):
    """What the port needs of the outbox repository."""

    async def enqueue(self, items: Sequence[NewOutboxItem]) -> int:
        """Insert the rows whose keys are new; return how many were."""
        ...


class OutboxPort:
    """Queue outbox rows and wake the worker; features hold this, never the repository."""

    def __init__(self, writer: OutboxWriter, signal: WorkSignal | None = None) -> None:
        self._writer = writer
        self.signal = signal or WorkSignal()

    async def enqueue(self, items: Sequence[NewOutboxItem]) -> int:
        """Queue ``items`` (a repeated key is ignored) and wake the worker; return rows new."""
        queued = await self._writer.enqueue(items) if items else 0
        if queued:
            self.signal.notify()
        return queued

    def wake(self) -> None:
        """Wake the worker without queueing (rows were written another way, e.g. a resend)."""
        self.signal.notify()
