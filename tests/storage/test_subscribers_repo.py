"""SubscriberRepo: inbound window, subscribe/unsubscribe, opt-out and settings."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.domain.subscribers import SubscriberSettings
from bot.storage.db import Database
from bot.storage.repositories.subscribers import SubscriberRepo


async def test_inbound_records_window_without_subscribing(db: Database, clock: FrozenClock) -> None:
    """Writing to the bot opens the 24-h window but does not sign anyone up for alerts."""
    repo = SubscriberRepo(db, clock)
    row = await repo.upsert_inbound("whatsapp", "+201", "private", "Omar", clock.now())
    assert (row.last_inbound_at, row.display_name, row.active) == (clock.now(), "Omar", False)
    assert await repo.active_for("whatsapp") == []
    later = clock.now() + timedelta(hours=1)
    again = await repo.upsert_inbound("whatsapp", "+201", "private", None, later)
    assert (again.id, again.last_inbound_at, again.display_name) == (row.id, later, "Omar")


async def test_subscribe_and_unsubscribe(db: Database, clock: FrozenClock) -> None:
    """Subscribing makes a chat active with its source; unsubscribing switches it off."""
    repo = SubscriberRepo(db, clock)
    await repo.upsert_inbound("telegram", "42", "private", "Ali", clock.now())
    sub = await repo.subscribe("telegram", "42", "private", "command", clock.now())
    assert (sub.active, sub.opt_in_source, sub.opt_in_at, sub.display_name) == (
        True,
        "command",
        clock.now(),
        "Ali",
    )
    assert [s.chat_id for s in await repo.active_for("telegram")] == ["42"]
    gone = await repo.unsubscribe("telegram", "42", clock.now())
    assert gone is not None
    assert (gone.active, gone.inactive_reason) == (False, "unsubscribed")
    assert await repo.unsubscribe("telegram", "nobody", clock.now()) is None
    assert await repo.active_for() == []


async def test_opt_out_blocks_until_opt_in_and_subscribe(db: Database, clock: FrozenClock) -> None:
    """STOP excludes a number even if unknown; START lifts it, and alerts need a new subscribe."""
    repo = SubscriberRepo(db, clock)
    await repo.subscribe("whatsapp", "+1", "private", "web", clock.now())
    out = await repo.opt_out("whatsapp", "+1", clock.now())
    assert (out.active, out.opted_out_at, out.inactive_reason) == (False, clock.now(), "opted_out")
    stranger = await repo.opt_out("whatsapp", "+2", clock.now())
    assert stranger.opted_out_at == clock.now()
    assert not stranger.active
    back = await repo.opt_in("whatsapp", "+1", clock.now())
    assert back is not None
    assert (back.opted_out_at, back.active) == (None, False)
    assert await repo.opt_in("whatsapp", "+9", clock.now()) is None
    await repo.subscribe("whatsapp", "+1", "private", "start", clock.now())
    assert [s.chat_id for s in await repo.active_for("whatsapp")] == ["+1"]


async def test_active_for_filters_channel_and_setting(db: Database, clock: FrozenClock) -> None:
    """Active subscribers can be narrowed to a channel and to a setting that is switched on."""
    repo = SubscriberRepo(db, clock)
    for channel, chat in [("telegram", "1"), ("telegram", "2"), ("whatsapp", "+3")]:
        await repo.subscribe(channel, chat, "private", "cmd", clock.now())
    updated = await repo.update_settings("telegram", "2", promotions=False, delivery="digest")
    assert updated is not None
    assert updated.settings == SubscriberSettings(promotions=False, delivery="digest")
    await repo.update_settings("telegram", "2", delivery="instant")
    await repo.update_settings("whatsapp", "+3", topic_alerts=False)
    assert [s.chat_id for s in await repo.active_for("telegram")] == ["1", "2"]
    assert [s.chat_id for s in await repo.active_for(setting="promotions")] == ["1", "+3"]
    assert [s.chat_id for s in await repo.active_for(setting="topic_alerts")] == ["1", "2"]
    stored = await repo.get("telegram", "2")
    assert stored is not None
    assert stored.settings == SubscriberSettings(promotions=False, delivery="instant")
    assert await repo.update_settings("telegram", "nobody", promotions=True) is None


async def test_settings_keep_only_known_choices(db: Database, clock: FrozenClock) -> None:
    """Unknown keys and malformed values are dropped, so stored settings always read back whole."""
    repo = SubscriberRepo(db, clock)
    await repo.subscribe("telegram", "1", "private", "cmd", clock.now())
    updated = await repo.update_settings(
        "telegram", "1", lang="ar", delivery="weekly", boards=[4, "x", True, 2, 4]
    )
    assert updated is not None
    assert updated.settings == SubscriberSettings(delivery="instant", boards=(2, 4))
    assert updated.settings.to_json() == {
        "topic_alerts": True,
        "promotions": True,
        "delivery": "instant",
        "boards": [2, 4],
    }


async def test_save_settings_stores_them_whole(db: Database, clock: FrozenClock) -> None:
    """Saved settings replace every choice and come back equal; an unknown chat gives None."""
    repo = SubscriberRepo(db, clock)
    await repo.subscribe("telegram", "1", "private", "cmd", clock.now())
    chosen = SubscriberSettings(
        topic_alerts=False, promotions=False, delivery="digest", boards=(3,)
    )
    saved = await repo.save_settings("telegram", "1", chosen)
    assert saved is not None
    assert saved.settings == chosen
    stored = await repo.get("telegram", "1")
    assert stored is not None
    assert stored.settings == chosen
    assert await repo.save_settings("telegram", "nobody", chosen) is None


async def test_close_window_forgets_the_last_inbound_time(db: Database, clock: FrozenClock) -> None:
    """Closing a chat's window clears its last inbound time and nothing else."""
    repo = SubscriberRepo(db, clock)
    await repo.upsert_inbound("whatsapp", "+1", "private", "Omar", clock.now())
    await repo.subscribe("whatsapp", "+1", "private", "web", clock.now())
    await repo.close_window("whatsapp", "+1")
    closed = await repo.get("whatsapp", "+1")
    assert closed is not None
    assert (closed.last_inbound_at, closed.active, closed.display_name) == (None, True, "Omar")
    await repo.close_window("whatsapp", "+404")  # an unknown chat is not created
    assert await repo.get("whatsapp", "+404") is None
