"""BroadcastRepo: scheduled promotions and their status."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.storage.db import Database
from bot.storage.repositories.broadcasts import BroadcastRepo


async def test_create_due_and_status(db: Database, clock: FrozenClock) -> None:
    """A broadcast is due once its time comes, and leaves 'due' when its status moves on."""
    repo = BroadcastRepo(db, clock)
    soon = clock.now() + timedelta(minutes=10)
    b = await repo.create(
        title="Ramadan offers",
        payload={"spans": [{"text": "Offers"}]},
        send_at=soon,
        created_by="admin:1",
        audience={"channel": "whatsapp"},
        whatsapp_template_kind="promo",
    )
    stored = await repo.get(b.id)
    assert stored is not None
    assert (stored.title, stored.status, stored.send_at, stored.audience) == (
        "Ramadan offers",
        "scheduled",
        soon,
        {"channel": "whatsapp"},
    )
    assert await repo.due(clock.now()) == []
    assert [x.id for x in await repo.due(soon)] == [b.id]
    assert [x.id for x in await repo.pending()] == [b.id]
    assert await repo.set_status(b.id, "sending", expected="scheduled")
    assert not await repo.set_status(b.id, "sending", expected="scheduled")
    assert await repo.due(soon) == []
    await repo.save_report(b.id, {"sent": 10})
    stored = await repo.get(b.id)
    assert stored is not None
    assert (stored.status, stored.report) == ("sending", {"sent": 10})
