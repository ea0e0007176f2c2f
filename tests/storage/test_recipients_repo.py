"""RecipientStateRepo: delivery errors and successes recorded where /status can see them."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.domain.destinations import DestinationSpec
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from bot.storage.repositories.subscribers import SubscriberRepo


async def test_error_without_deactivate_keeps_chat_active(db: Database, clock: FrozenClock) -> None:
    """A retryable error is noted on the destination but nobody is switched off."""
    await DestinationRepo(db, clock).sync_from_config(
        [DestinationSpec("telegram", "-1", "channel")]
    )
    await SubscriberRepo(db, clock).subscribe("telegram", "-1", "channel", "cmd", clock.now())
    await RecipientStateRepo(db, clock).record_error(
        "telegram", "-1", "timeout", "read timed out", deactivate=False
    )
    [dest] = await DestinationRepo(db, clock).all()
    assert (dest.active, dest.error_key, dest.last_error, dest.last_error_at) == (
        True,
        "timeout",
        "read timed out",
        clock.now(),
    )
    sub = await SubscriberRepo(db, clock).get("telegram", "-1")
    assert sub is not None
    assert sub.active


async def test_error_with_deactivate_switches_chat_off(db: Database, clock: FrozenClock) -> None:
    """A blocked bot deactivates the chat's destinations and subscribers with the reason."""
    await DestinationRepo(db, clock).sync_from_config(
        [DestinationSpec("telegram", "-1", "group", 1), DestinationSpec("telegram", "-2", "group")]
    )
    await SubscriberRepo(db, clock).subscribe("telegram", "-1", "group", "cmd", clock.now())
    await RecipientStateRepo(db, clock).record_error(
        "telegram", "-1", "blocked", "bot was kicked", deactivate=True
    )
    by_chat = {d.chat_id: d for d in await DestinationRepo(db, clock).all()}
    assert not by_chat["-1"].active
    assert by_chat["-1"].error_key == "blocked"
    assert by_chat["-2"].active
    assert by_chat["-2"].error_key is None
    sub = await SubscriberRepo(db, clock).get("telegram", "-1")
    assert sub is not None
    assert (sub.active, sub.inactive_reason) == (False, "blocked")


async def test_ok_clears_the_error(db: Database, clock: FrozenClock) -> None:
    """A successful send clears the destination's error and stamps last_ok_at."""
    destinations = DestinationRepo(db, clock)
    await destinations.sync_from_config([DestinationSpec("telegram", "-1", "channel")])
    recipients = RecipientStateRepo(db, clock)
    await recipients.record_error("telegram", "-1", "timeout", "x", deactivate=False)
    clock.advance(60)
    await recipients.record_ok("telegram", "-1")
    [dest] = await destinations.all()
    assert (dest.error_key, dest.last_error, dest.last_ok_at) == (None, None, clock.now())
    assert dest.last_error_at == clock.now() - timedelta(seconds=60)
    assert await destinations.unhealthy() == []


async def test_replace_chat_id_follows_group_migration(db: Database, clock: FrozenClock) -> None:
    """A group that became a supergroup keeps its destination and subscriber under the new id."""
    destinations = DestinationRepo(db, clock)
    await destinations.sync_from_config([DestinationSpec("telegram", "-5", "group", name="Team")])
    subscribers = SubscriberRepo(db, clock)
    await subscribers.subscribe("telegram", "-5", "group", "cmd", clock.now())
    await RecipientStateRepo(db, clock).replace_chat_id("telegram", "-5", "-1005")
    [dest] = await destinations.all()
    assert (dest.chat_id, dest.name, dest.active) == ("-1005", "Team", True)
    assert await subscribers.get("telegram", "-5") is None
    moved = await subscribers.get("telegram", "-1005")
    assert moved is not None
    assert moved.active


async def test_replace_chat_id_merges_into_existing_rows(db: Database, clock: FrozenClock) -> None:
    """When the new id is already known, the old duplicates are removed instead of clashing."""
    destinations = DestinationRepo(db, clock)
    await destinations.sync_from_config(
        [DestinationSpec("telegram", "-5", "group"), DestinationSpec("telegram", "-1005", "group")]
    )
    subscribers = SubscriberRepo(db, clock)
    await subscribers.subscribe("telegram", "-5", "group", "cmd", clock.now())
    await subscribers.subscribe("telegram", "-1005", "group", "cmd", clock.now())
    await RecipientStateRepo(db, clock).replace_chat_id("telegram", "-5", "-1005")
    assert [d.chat_id for d in await destinations.all()] == ["-1005"]
    assert await subscribers.get("telegram", "-5") is None
    assert await subscribers.get("telegram", "-1005") is not None


async def test_a_migrated_group_stays_migrated_when_the_config_lists_its_old_id(
    db: Database, clock: FrozenClock
) -> None:
    """After a migration, re-syncing a config that names the old id keeps the new one."""
    destinations = DestinationRepo(db, clock)
    spec = DestinationSpec("telegram", "-4001", "group", None, "umrah group", ())
    await destinations.sync_from_config([spec])
    await RecipientStateRepo(db, clock).replace_chat_id("telegram", "-4001", "-1004001")
    await destinations.sync_from_config([spec])  # a restart with the unchanged config
    assert [(d.chat_id, d.active) for d in await destinations.all()] == [("-1004001", True)]


async def test_record_back_resumes_a_chat_stopped_by_an_error(
    db: Database, clock: FrozenClock
) -> None:
    """A group that re-adds the bot becomes active again; an unrelated error state does not."""
    destinations = DestinationRepo(db, clock)
    await destinations.sync_from_config([DestinationSpec("telegram", "-5", "group", None, "g", ())])
    recipients = RecipientStateRepo(db, clock)
    await recipients.record_error("telegram", "-5", "kicked", "removed", deactivate=True)
    assert await destinations.active() == []
    await recipients.record_back("telegram", "-5")
    (back,) = await destinations.active()
    assert (back.error_key, back.active) == (None, True)


async def test_an_error_never_turns_a_non_subscriber_into_one(
    db: Database, clock: FrozenClock
) -> None:
    """A failed send to someone unsubscribed or never subscribed keeps them out of alerts."""
    subscribers = SubscriberRepo(db, clock)
    recipients = RecipientStateRepo(db, clock)
    now = clock.now()
    await subscribers.upsert_inbound("telegram", "11", "private", "Only wrote once", now)
    await subscribers.subscribe("telegram", "12", "private", "command", now)
    await subscribers.unsubscribe("telegram", "12", now)
    for chat in ("11", "12"):
        await recipients.record_error("telegram", chat, "blocked", "403", deactivate=True)
        await subscribers.upsert_inbound("telegram", chat, "private", None, now)  # writes again
        await recipients.record_back("telegram", chat)
    reasons = {
        chat: (row.active, row.inactive_reason)
        for chat in ("11", "12")
        if (row := await subscribers.get("telegram", chat)) is not None
    }
    assert reasons == {"11": (False, "not_subscribed"), "12": (False, "unsubscribed")}
