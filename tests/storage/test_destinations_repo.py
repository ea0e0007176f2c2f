"""DestinationRepo: config sync keeps health; active destinations carry boards for routing."""

from __future__ import annotations

from bot.core.clock import FrozenClock
from bot.domain.destinations import Destination, DestinationSpec
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.recipients import RecipientStateRepo
from handlers.relay.match import lists_board


def _taking(
    destinations: list[Destination], board_id: int | None, board_name: str = ""
) -> list[str]:
    """Return the chat ids that take a topic of this board (no boards listed: every board)."""
    return [
        d.chat_id
        for d in destinations
        if not d.boards or lists_board(d.boards, board_id, board_name)
    ]


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
        (1, 2),
        True,
    )
    assert not by_chat["-2"].active
    assert [d.chat_id for d in await repo.active()] == ["-1"]
    assert _taking(await repo.active(), 1) == ["-1"]


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


async def test_active_destinations_route_by_board(db: Database, clock: FrozenClock) -> None:
    """Active destinations keep board ids and names as listed, so routing matches either."""
    repo = DestinationRepo(db, clock)
    await repo.sync_from_config(
        [
            DestinationSpec("telegram", "all", "channel"),
            DestinationSpec("telegram", "b7", "channel", boards=(7,)),
            DestinationSpec("telegram", "named", "channel", boards=("Umrah Packages",)),
        ]
    )
    active = await repo.active()
    assert [d.boards for d in active] == [(), (7,), ("Umrah Packages",)]
    assert _taking(active, 7) == ["all", "b7"]
    assert _taking(active, 8) == ["all"]
    assert _taking(active, None, "umrah packages") == ["all", "named"]
    assert _taking(active, None) == ["all"]


async def test_get_returns_one_destination_or_none(db: Database, clock: FrozenClock) -> None:
    """A destination is found by its id, switched off or not; an unknown id gives None."""
    repo = DestinationRepo(db, clock)
    [kept, dropped] = await repo.sync_from_config(
        [
            DestinationSpec("telegram", "-1", "channel", name="News"),
            DestinationSpec("telegram", "-2", "group", thread_id=3),
        ]
    )
    await repo.sync_from_config([DestinationSpec("telegram", "-1", "channel", name="News")])
    found = await repo.get(kept.id)
    assert found is not None
    assert (found.chat_id, found.name, found.active) == ("-1", "News", True)
    gone = await repo.get(dropped.id)
    assert gone is not None
    assert (gone.chat_id, gone.thread_id, gone.active) == ("-2", 3, False)
    assert gone.recipient.thread_id == 3
    assert await repo.get(dropped.id + 100) is None
