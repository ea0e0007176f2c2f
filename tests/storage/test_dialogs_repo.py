"""DialogRepo: per-chat conversation state with expiry."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.storage.db import Database
from bot.storage.repositories.dialogs import DialogRepo


async def test_save_get_replace_and_clear(db: Database, clock: FrozenClock) -> None:
    """A saved state is read back, replaced by the next save, and gone after clear."""
    repo = DialogRepo(db, clock)
    assert await repo.get("telegram", "1") is None
    await repo.save("telegram", "1", "enquiry", "dates", {"package": "umrah"}, 600)
    state = await repo.get("telegram", "1")
    assert state is not None
    assert (state.flow, state.step, state.data, state.expires_at) == (
        "enquiry",
        "dates",
        {"package": "umrah"},
        clock.now() + timedelta(seconds=600),
    )
    await repo.save("telegram", "1", "enquiry", "people", {"package": "umrah", "n": 2}, 600)
    state = await repo.get("telegram", "1")
    assert state is not None
    assert (state.step, state.data["n"]) == ("people", 2)
    assert await repo.get("whatsapp", "1") is None
    await repo.clear("telegram", "1")
    assert await repo.get("telegram", "1") is None


async def test_expired_state_is_forgotten(db: Database, clock: FrozenClock) -> None:
    """Once its time-to-live passes, a state reads as absent and is deleted."""
    repo = DialogRepo(db, clock)
    await repo.save("telegram", "1", "enquiry", "dates", {}, 60)
    await repo.save("telegram", "2", "enquiry", "dates", {}, 600)
    clock.advance(59)
    assert await repo.get("telegram", "1") is not None
    clock.advance(1)
    assert await repo.get("telegram", "1") is None
    assert await repo.prune_expired() == 0
    clock.advance(600)
    assert await repo.prune_expired() == 1
