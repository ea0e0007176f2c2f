"""Background work started after a request was answered, awaited at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

logger = logging.getLogger(__name__)


class BackgroundWork:
    """Tasks started by webhooks after answering; awaited at shutdown so nothing is dropped."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Awaitable[None], name: str) -> None:
        """Run ``work`` in the background, logging its failure once."""
        task = asyncio.create_task(self._guard(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, work: Awaitable[None], name: str) -> None:
        try:
            await work
        except Exception:
            logger.exception("Background work %s failed", name)

    async def drain(self) -> None:
        """Wait for every background task still running."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)
