"""DialogRepo: one row per chat holding its flow, step, data, offered options and last prompt."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.core.messages import Choice
from bot.domain.dialogs import OFFER_FLOW
from bot.storage.db import Database
from bot.storage.repositories.dialogs import DialogRepo


async def test_save_get_replace_and_clear(db: Database, clock: FrozenClock) -> None:
    """A saved state is read back, replaced by the next save, and gone after clear."""
    repo = DialogRepo(db, clock)
    assert await repo.get("telegram", "1") is None
    await repo.save("telegram", "1", "enquiry", "dates", {"package": "umrah"}, 600)
    state = await repo.get("telegram", "1")
    assert state is not None
    assert (state.flow, state.step, state.data, state.updated_at, state.expires_at) == (
        "enquiry",
        "dates",
        {"package": "umrah"},
        clock.now(),
        clock.now() + timedelta(seconds=600),
    )
    assert (state.options, state.prompt_ref, state.is_flow) == ((), None, True)
    await repo.save("telegram", "1", "enquiry", "people", {"package": "umrah", "n": 2}, 600)
    state = await repo.get("telegram", "1")
    assert state is not None
    assert (state.step, state.data["n"]) == ("people", 2)
    assert await repo.get("whatsapp", "1") is None
    await repo.clear("telegram", "1")
    assert await repo.get("telegram", "1") is None


async def test_options_and_the_prompt_round_trip(db: Database, clock: FrozenClock) -> None:
    """Offered options (label and data) and the prompt's outbox key come back as saved."""
    repo = DialogRepo(db, clock)
    options = [Choice("✅ All boards", data="sb:all"), Choice("عمرة", data="pkg:umrah")]
    await repo.save("whatsapp", "+234", "boards", "choose", {}, 60, options=options, prompt_ref="k")
    state = await repo.get("whatsapp", "+234")
    assert state is not None
    assert state.options == tuple(options)
    assert state.prompt_ref == "k"


async def test_link_choices_are_never_stored_as_options(db: Database, clock: FrozenClock) -> None:
    """A choice without data (a link) cannot be picked by number, so it is not kept."""
    repo = DialogRepo(db, clock)
    options = [Choice("Open", url="https://forum.test"), Choice("Hajj", data="pkg:hajj")]
    await repo.save("whatsapp", "+234", OFFER_FLOW, "", {}, 60, options=options)
    state = await repo.get("whatsapp", "+234")
    assert state is not None
    assert state.options == (Choice("Hajj", data="pkg:hajj"),)
    assert not state.is_flow


async def test_an_expired_state_is_returned_for_the_caller_to_judge(
    db: Database, clock: FrozenClock
) -> None:
    """Past its time to live a state still reads back, marked expired (the caller says so once)."""
    repo = DialogRepo(db, clock)
    await repo.save("telegram", "1", "enquiry", "dates", {}, 60)
    clock.advance(59)
    state = await repo.get("telegram", "1")
    assert state is not None
    assert not state.is_expired(clock.now())
    clock.advance(1)
    state = await repo.get("telegram", "1")
    assert state is not None
    assert state.is_expired(clock.now())


async def test_prune_deletes_only_expired_states(db: Database, clock: FrozenClock) -> None:
    """Housekeeping deletes the states whose time to live passed, and counts them."""
    repo = DialogRepo(db, clock)
    await repo.save("telegram", "1", "enquiry", "dates", {}, 60)
    await repo.save("telegram", "2", "enquiry", "dates", {}, 600)
    clock.advance(59)
    assert await repo.prune_expired() == 0
    clock.advance(1)
    assert await repo.prune_expired() == 1
    assert await repo.get("telegram", "1") is None
    assert await repo.get("telegram", "2") is not None
    clock.advance(600)
    assert await repo.prune_expired() == 1


async def test_clear_with_updated_before_spares_a_newer_state(
    db: Database, clock: FrozenClock
) -> None:
    """Clearing what one read leaves alone a state another task saved since."""
    repo = DialogRepo(db, clock)
    await repo.save("telegram", "1", "boards", "choose", {}, 60)
    read = await repo.get("telegram", "1")
    assert read is not None
    clock.advance(1)
    await repo.save("telegram", "1", "settings", "choose", {}, 60)
    await repo.clear("telegram", "1", updated_before=read.updated_at)
    kept = await repo.get("telegram", "1")
    assert kept is not None
    assert kept.flow == "settings"
    await repo.clear("telegram", "1", updated_before=kept.updated_at)
    assert await repo.get("telegram", "1") is None
