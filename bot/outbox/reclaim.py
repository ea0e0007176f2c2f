"""Taking back the rows of dead workers at once, not when their lease runs out.

Every process start holds a lock named after its worker id (``bot.storage.liveness``). At
start-up and every few seconds after, a worker looks at the other workers that hold rows,
probes their locks, and gives the rows of the dead ones back to the queue; the ones whose
send had started are counted and logged, since those messages may now go out twice.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Protocol

from bot.domain.outbox import Reclaimed

log = logging.getLogger(__name__)


class Liveness(Protocol):
    """Hold this process's worker lock; tell whether another worker holds its own."""

    async def hold(self, worker_id: str) -> None: ...

    async def is_alive(self, worker_id: str) -> bool: ...

    async def ensure_held(self) -> bool: ...

    async def release(self) -> None: ...


class WorkerRegistry(Protocol):
    """What the reclaimer needs of ``OutboxWorkerRepo``."""

    async def register(self, worker_id: str, hostname: str, pid: int) -> None: ...

    async def unregister(self, worker_id: str) -> None: ...

    async def others(self, worker_id: str) -> list[str]: ...

    async def reclaim(self, worker_id: str) -> Reclaimed: ...


class Reclaimer:
    """Hold this worker's liveness lock and sweep up after workers that died."""

    def __init__(
        self,
        registry: WorkerRegistry,
        liveness: Liveness,
        *,
        hostname: str | None = None,
        pid: int | None = None,
    ) -> None:
        self._registry = registry
        self._liveness = liveness
        self._hostname = hostname or socket.gethostname()
        self._pid = pid if pid is not None else os.getpid()
        self._worker_id: str | None = None

    async def start(self, worker_id: str) -> list[Reclaimed]:
        """Take ``worker_id``'s lock, register it, and reclaim what dead workers left."""
        await self._liveness.hold(worker_id)
        self._worker_id = worker_id
        await self._registry.register(worker_id, self._hostname, self._pid)
        return await self.sweep()

    async def sweep(self) -> list[Reclaimed]:
        """Give back the rows of every worker whose lock nobody holds; return what was taken."""
        if self._worker_id is None:
            return []
        if not await self._liveness.ensure_held():
            log.warning("Worker %s lost its liveness lock and took it again", self._worker_id)
        taken: list[Reclaimed] = []
        for other in await self._registry.others(self._worker_id):
            if await self._liveness.is_alive(other):
                continue
            reclaimed = await self._registry.reclaim(other)
            if reclaimed.rows:
                log.warning(
                    "Worker %s is gone: %d of its rows are queued again, %d of them were "
                    "being sent and may arrive twice",
                    other,
                    reclaimed.rows,
                    reclaimed.in_flight,
                )
            taken.append(reclaimed)
        return taken

    async def stop(self) -> None:
        """Unregister and release the lock (a clean stop)."""
        if self._worker_id is None:
            return
        try:
            await self._registry.unregister(self._worker_id)
        finally:
            await self._liveness.release()
            self._worker_id = None
