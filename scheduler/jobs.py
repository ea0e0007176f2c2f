"""Thin job functions: each resolves its work through the host and calls a handler."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.core.errors import ForumError

logger = logging.getLogger(__name__)


class JobHost(Protocol):
    """What jobs need from the running service (implemented in ``bot.app``)."""

    async def poll_forum(self) -> None:
        """Poll the forum once and relay what is new."""
        ...


class DigestHost(Protocol):
    """What the digest job needs from the running service (implemented in ``bot.app``)."""

    async def send_digest(self) -> None:
        """Queue today's digest for the subscribers who chose it."""
        ...


class MaintenanceHost(Protocol):
    """What the housekeeping job needs from the running service."""

    async def prune(self) -> None:
        """Forget what is no longer needed (old dedupe ids, expired dialogs)."""
        ...


async def prune(host: MaintenanceHost) -> None:
    """Run the daily housekeeping."""
    await host.prune()


async def poll_forum(host: JobHost) -> None:
    """Poll the forum feed once; a feed failure is recorded, never raised into the scheduler."""
    try:
        await host.poll_forum()
    except ForumError as exc:
        logger.warning("Forum poll failed: %s", exc)


async def send_digest(host: DigestHost) -> None:
    """Queue the daily digest (the scheduler's listener logs any failure once)."""
    await host.send_digest()
