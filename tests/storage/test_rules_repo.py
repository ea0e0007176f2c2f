"""RuleRepo: admin rules, lookups per destination, and seeding from config on every backend."""

from __future__ import annotations

import pytest

from bot.core.clock import FrozenClock
from bot.core.errors import ConfigError
from bot.domain.destinations import DestinationSpec
from bot.domain.rules import CONFIG_AUTHOR, RelayRule, RuleSeedSpec
from bot.storage.db import Database
from bot.storage.repositories.destinations import DestinationRepo
from bot.storage.repositories.rules import RuleRepo


async def _destinations(db: Database, clock: FrozenClock) -> dict[str, int]:
    """Configure three destinations (two threads of one group) and return chat → id."""
    rows = await DestinationRepo(db, clock).sync_from_config(
        [
            DestinationSpec("telegram", "@news", "channel"),
            DestinationSpec("telegram", "-100", "group", thread_id=5),
            DestinationSpec("telegram", "-100", "group", thread_id=6),
        ]
    )
    return {f"{d.chat_id}/{d.thread_id}": d.id for d in rows}


def _shape(rule: RelayRule) -> tuple[object, ...]:
    return (
        rule.destination_id,
        rule.filter,
        rule.board_id,
        rule.include,
        rule.exclude,
        rule.created_by,
    )


async def test_add_stores_every_field(db: Database, clock: FrozenClock) -> None:
    """An added rule comes back with its id, words, author and creation time."""
    ids = await _destinations(db, clock)
    repo = RuleRepo(db, clock)
    added = await repo.add(
        ids["@news/None"], "watch", 4, ["umrah", "hajj package"], ["promo"], "t:1"
    )
    stored = await repo.get(added.id)
    assert stored is not None
    assert _shape(stored) == (
        ids["@news/None"],
        "watch",
        4,
        ("umrah", "hajj package"),
        ("promo",),
        "t:1",
    )
    assert stored.created_at == clock.now()


async def test_add_refuses_an_unknown_filter(db: Database, clock: FrozenClock) -> None:
    """Only watch and mute rules can be stored."""
    ids = await _destinations(db, clock)
    with pytest.raises(ValueError, match="'ignore'"):
        await RuleRepo(db, clock).add(ids["@news/None"], "ignore", None, [], [], "t:1")
    assert await RuleRepo(db, clock).all() == []


async def test_remove_reports_whether_the_rule_existed(db: Database, clock: FrozenClock) -> None:
    """Removing a rule deletes it once; a second removal finds nothing."""
    ids = await _destinations(db, clock)
    repo = RuleRepo(db, clock)
    rule = await repo.add(ids["@news/None"], "mute", None, ["spam"], [], "t:1")
    assert await repo.remove(rule.id) is True
    assert await repo.remove(rule.id) is False
    assert await repo.get(rule.id) is None


async def test_for_destinations_groups_rules(db: Database, clock: FrozenClock) -> None:
    """Each asked destination maps to its own rules, oldest first, even when it has none."""
    ids = await _destinations(db, clock)
    news, t5, t6 = ids["@news/None"], ids["-100/5"], ids["-100/6"]
    repo = RuleRepo(db, clock)
    first = await repo.add(news, "watch", 4, [], [], "t:1")
    other = await repo.add(t5, "mute", None, ["x"], [], "t:1")
    second = await repo.add(news, "mute", None, ["promo"], [], "t:1")
    found = await repo.for_destinations([news, t6])
    assert {k: [r.id for r in v] for k, v in found.items()} == {
        news: [first.id, second.id],
        t6: [],
    }
    assert await repo.for_destinations([]) == {}
    assert [r.id for r in await repo.all()] == [first.id, second.id, other.id]


async def test_seeding_replaces_config_rules_and_keeps_admin_rules(
    db: Database, clock: FrozenClock
) -> None:
    """A new seed list replaces the config-made rules; rules an admin made survive."""
    ids = await _destinations(db, clock)
    repo = RuleRepo(db, clock)
    admin_rule = await repo.add(ids["@news/None"], "mute", None, ["spam"], [], "telegram:1001")
    await repo.seed_from_config([RuleSeedSpec("telegram", "@news", "watch", 4)])
    await repo.seed_from_config(
        [RuleSeedSpec("telegram", "@news", "mute", None, ("promo",), ("hajj",))]
    )
    stored = await repo.all()
    assert sorted(r.from_config for r in stored) == [False, True]
    shapes = sorted(_shape(r) for r in stored)
    assert shapes == sorted(
        [
            _shape(admin_rule),
            (ids["@news/None"], "mute", None, ("promo",), ("hajj",), CONFIG_AUTHOR),
        ]
    )


async def test_seeding_the_same_rules_keeps_their_ids(db: Database, clock: FrozenClock) -> None:
    """A restart with unchanged seeds keeps rule ids, so ids shown in /rules stay valid."""
    await _destinations(db, clock)
    repo = RuleRepo(db, clock)
    seeds = [
        RuleSeedSpec("telegram", "@news", "watch", 4, ("umrah",)),
        RuleSeedSpec("telegram", "@news", "watch", 4, ("umrah",)),
        RuleSeedSpec("telegram", "@news", "mute", None, ("promo",)),
    ]
    first = [r.id for r in await repo.seed_from_config(seeds)]
    second = [r.id for r in await repo.seed_from_config(seeds)]
    assert second == first
    assert len(first) == 3


async def test_a_seed_covers_every_thread_of_a_group(db: Database, clock: FrozenClock) -> None:
    """A seed names a chat, so each forum thread of that chat gets the rule."""
    ids = await _destinations(db, clock)
    repo = RuleRepo(db, clock)
    await repo.seed_from_config([RuleSeedSpec("telegram", "-100", "mute", None, ("spam",))])
    assert sorted(r.destination_id for r in await repo.all()) == sorted(
        [ids["-100/5"], ids["-100/6"]]
    )


async def test_seeding_an_unknown_destination_changes_nothing(
    db: Database, clock: FrozenClock
) -> None:
    """A seed naming no configured chat is a config error and leaves the rules as they were."""
    await _destinations(db, clock)
    repo = RuleRepo(db, clock)
    [kept] = await repo.seed_from_config([RuleSeedSpec("telegram", "@news", "watch", 4)])
    with pytest.raises(ConfigError, match="telegram:@gone"):
        await repo.seed_from_config([RuleSeedSpec("telegram", "@gone", "watch", 2)])
    await DestinationRepo(db, clock).sync_from_config([DestinationSpec("telegram", "@x", "group")])
    with pytest.raises(ConfigError, match="telegram:@news"):  # in the table, but removed
        await repo.seed_from_config([RuleSeedSpec("telegram", "@news", "watch", 2)])
    assert [r.id for r in await repo.all()] == [kept.id]


async def test_seeding_refuses_an_unknown_filter(db: Database, clock: FrozenClock) -> None:
    """A seed with a filter other than watch or mute is a config error."""
    await _destinations(db, clock)
    with pytest.raises(ConfigError, match=r"relay\.rules: filter 'allow'"):
        await RuleRepo(db, clock).seed_from_config([RuleSeedSpec("telegram", "@news", "allow")])


@pytest.mark.parametrize(
    ("ref", "channel", "chat_id"),
    [
        pytest.param("telegram:@attaqwaa_demo", "telegram", "@attaqwaa_demo", id="username"),
        pytest.param("telegram:-1001234", "telegram", "-1001234", id="numeric"),
        pytest.param("whatsapp:+2348012345678", "whatsapp", "+2348012345678", id="whatsapp"),
    ],
)
def test_seed_from_ref_splits_the_destination(ref: str, channel: str, chat_id: str) -> None:
    """Config's "<channel>:<chat_id>" reference splits at the first colon."""
    seed = RuleSeedSpec.from_ref(ref, "mute", 3, ["a"], ["b"])
    assert seed == RuleSeedSpec(channel, chat_id, "mute", 3, ("a",), ("b",))


@pytest.mark.parametrize("ref", ["telegram", "telegram:", ":123"])
def test_seed_from_ref_refuses_a_malformed_reference(ref: str) -> None:
    """A reference without both a channel and a chat id is a config error."""
    with pytest.raises(ConfigError, match="<channel>:<chat_id>"):
        RuleSeedSpec.from_ref(ref)
