"""Group commit: many callers' items written in one transaction, each caller told when it is.

A webhook that must not answer before its item is stored can still share the write with the
requests that arrived in the same few milliseconds: the caller waits for the batch's commit
(and gets its error if the batch failed), never less durable than writing alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Collect items for up to ``window`` seconds (or ``max_items``), then write them at once."""

    def __init__(
        self,
        write: Callable[[Sequence[T]], Awaitable[int]],
        *,
        window: float = 0.1,
        max_items: int = 500,
    ) -> None:
        self._write = write
        self._window = window
        self._max_items = max_items
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._timer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Return once ``item`` is committed with its batch; raise what the batch's write raised."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        if len(self._pending) >= self._max_items:
            await self._flush()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._flush_later(), name="inbox-group-commit")
        await done

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._window)
        self._timer = None
        await self._flush()

    async def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            await self._write([item for item, _ in batch])
        except Exception as exc:  # every caller of the batch hears it and answers an error
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        for _, done in batch:
            if not done.done():
                done.set_result(None)
