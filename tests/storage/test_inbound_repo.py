"""InboundDedupRepo: each platform message is handled once, even under concurrent webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.storage.db import Database
from bot.storage.repositories.inbound import InboundDedupRepo


async def test_first_time_then_seen(db: Database, clock: FrozenClock) -> None:
    """A message id is new once; every later delivery of it is a repeat."""
    repo = InboundDedupRepo(db, clock)
    assert await repo.first_time("telegram:update:1")
    assert not await repo.first_time("telegram:update:1")
    assert await repo.first_time("twilio:SM1")


async def test_prune_forgets_old_ids(db: Database, clock: FrozenClock) -> None:
    """Pruning drops ids seen before the cut-off and keeps newer ones."""
    repo = InboundDedupRepo(db, clock)
    await repo.first_time("old")
    clock.advance(3600)
    await repo.first_time("new")
    assert await repo.prune(clock.now() - timedelta(minutes=30)) == 1
    assert await repo.first_time("old")
    assert not await repo.first_time("new")


async def test_concurrent_first_time_has_one_winner(
    db: Database, db_twin: Callable[[], Database], clock: FrozenClock
) -> None:
    """Webhook retries racing on separate connections: exactly one sees the message as new."""
    repos = [InboundDedupRepo(db_twin(), clock) for _ in range(4)]
    for n in range(10):
        results = await asyncio.gather(*(r.first_time(f"ref:{n}") for r in repos))
        assert results.count(True) == 1
