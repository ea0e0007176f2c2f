"""StateRepo: small named JSON facts survive between runs."""

from __future__ import annotations

from bot.core.clock import FrozenClock
from bot.storage.db import Database
from bot.storage.repositories.state import StateRepo


async def test_put_get_and_replace(db: Database, clock: FrozenClock) -> None:
    """A value is stored under its key and replaced wholesale by the next put."""
    repo = StateRepo(db, clock)
    assert await repo.get("last_poll") is None
    await repo.put("last_poll", {"ok": True, "topics": 3})
    await repo.put("other", {"x": 1})
    await repo.put("last_poll", {"ok": False})
    assert await repo.get("last_poll") == {"ok": False}
    assert await repo.get("other") == {"x": 1}
