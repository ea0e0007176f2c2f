"""DestinationRepo: config sync keeps health, routing by board."""

from __future__ import annotations

from bot.core.clock import FrozenClock
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationRepo, DestinationSpec
from bot.storage.repositories.recipients import RecipientStateRepo


async def test_sync_inserts_updates_and_deactivates(db: Database, clock: FrozenClock) -> None:
    """A second sync updates listed rows in place and switches off the ones removed."""
    repo = DestinationRepo(db, clock)
    first = await repo.sync_from_config(
        [
            DestinationSpec("telegram", "-1", "channel", name="News"),
            DestinationSpec("telegram", "-2", "group", thread_id=4, boards=(3,)),
        ]
    )
    second = await repo.sync_from_config(
        [DestinationSpec("telegram", "-1", "channel", name="News EN", boards=(1, 2))]
    )
    assert second[0].id == first[0].id
    by_chat = {d.chat_id: d for d in await repo.all()}
    assert (by_chat["-1"].name, by_chat["-1"].boards, by_chat["-1"].active) == (
        "News EN",
        [1, 2],
        True,
    )
    assert not by_chat["-2"].active
    assert [d.chat_id for d in await repo.active_for_board(1)] == ["-1"]


async def test_sync_without_thread_is_idempotent(db: Database, clock: FrozenClock) -> None:
    """Syncing the same thread-less destination twice keeps one row (NULLs are not unique)."""
    repo = DestinationRepo(db, clock)
    spec = DestinationSpec("telegram", "-1", "channel")
    await repo.sync_from_config([spec])
    await repo.sync_from_config([spec])
    assert len(await repo.all()) == 1


async def test_sync_keeps_health_fields(db: Database, clock: FrozenClock) -> None:
    """A restart's sync keeps the last error so /status still shows it, and re-enables the chat."""
    repo = DestinationRepo(db, clock)
    spec = DestinationSpec("telegram", "-1", "channel")
    await repo.sync_from_config([spec])
    await RecipientStateRepo(db, clock).record_error(
        "telegram", "-1", "forbidden", "bot is not an admin", deactivate=True
    )
    await repo.sync_from_config([spec])
    [dest] = await repo.unhealthy()
    assert (dest.error_key, dest.last_error, dest.active) == (
        "forbidden",
        "bot is not an admin",
        True,
    )


async def test_active_for_board_routes_by_board(db: Database, clock: FrozenClock) -> None:
    """Destinations without boards take every topic; others only their boards (id or name)."""
    repo = DestinationRepo(db, clock)
    await repo.sync_from_config(
        [
            DestinationSpec("telegram", "all", "channel"),
            DestinationSpec("telegram", "b7", "channel", boards=(7,)),
            DestinationSpec("telegram", "named", "channel", boards=("Umrah Packages",)),
        ]
    )
    assert [d.chat_id for d in await repo.active_for_board(7)] == ["all", "b7"]
    assert [d.chat_id for d in await repo.active_for_board(8)] == ["all"]
    assert [d.chat_id for d in await repo.active_for_board(None, "umrah packages")] == [
        "all",
        "named",
    ]
    assert [d.chat_id for d in await repo.active_for_board(None)] == ["all"]
