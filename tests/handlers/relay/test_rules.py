"""select_destinations: destinations and rules from the database, decided by the precedence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.domain.destinations import DestinationSpec
from bot.domain.rules import CONFIG_AUTHOR, RuleSeedSpec
from bot.domain.topics import Topic
from bot.forum.smf_parse import parse_feed
from bot.storage.db import Database
from handlers.context import HandlerContext
from handlers.relay.fanout import relay_topic
from handlers.relay.rules import select_destinations
from tests.handlers.conftest import drain

SMF = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "smf"
pytestmark = pytest.mark.skipif(not SMF.is_dir(), reason=f"SMF captures not found at {SMF}")


@pytest.fixture
def topics() -> dict[int, Topic]:
    """Topics 8-13 of the captured smf-format news feed (with board ids)."""
    return {t.topic_id: t for t in parse_feed((SMF / "after/feed_news_smf.xml").read_bytes())}


async def _configure(ctx: HandlerContext) -> dict[str, int]:
    """Configure a main channel, an Umrah group (board 4) and a removed chat; return chat → id."""
    await ctx.repos.destinations.sync_from_config([DestinationSpec("telegram", "@gone", "channel")])
    rows = await ctx.repos.destinations.sync_from_config(
        [
            DestinationSpec("telegram", "@attaqwaa", "channel", name="main"),
            DestinationSpec("telegram", "-100777", "group", thread_id=4, boards=(4,)),
        ]
    )
    return {d.chat_id: d.id for d in rows}


async def _chats(topic: Topic, ctx: HandlerContext) -> list[str]:
    return [d.chat_id for d in await select_destinations(topic, ctx)]


async def test_without_rules_boards_decide(ctx: HandlerContext, topics: dict[int, Topic]) -> None:
    """With no rules, each active destination takes the topics of its boards; inactive ones none."""
    await _configure(ctx)
    assert await _chats(topics[11], ctx) == ["@attaqwaa", "-100777"]
    assert await _chats(topics[13], ctx) == ["@attaqwaa"]


async def test_a_mute_hides_the_promo_from_one_destination(
    ctx: HandlerContext, topics: dict[int, Topic]
) -> None:
    """A mute on "promo" for the main channel keeps topic 11 from it but not from the group."""
    ids = await _configure(ctx)
    await ctx.repos.rules.add(ids["@attaqwaa"], "mute", None, ["promo"], [], "telegram:1001")
    assert await _chats(topics[11], ctx) == ["-100777"]
    assert await _chats(topics[8], ctx) == ["@attaqwaa", "-100777"]


async def test_watch_rules_replace_the_boards_list(
    ctx: HandlerContext, topics: dict[int, Topic]
) -> None:
    """A group watching "visa" gets visa news from board 2 and loses board-4 topics without it."""
    ids = await _configure(ctx)
    await ctx.repos.rules.add(ids["-100777"], "watch", None, ["visa"], [], "telegram:1001")
    assert await _chats(topics[10], ctx) == ["@attaqwaa", "-100777"]  # "Umrah Visa Rules"
    assert await _chats(topics[8], ctx) == ["@attaqwaa", "-100777"]  # teaser: "Umrah visa"
    assert await _chats(topics[9], ctx) == ["@attaqwaa"]  # khutbah: no visa


async def test_rules_of_inactive_destinations_do_not_revive_them(
    ctx: HandlerContext, topics: dict[int, Topic]
) -> None:
    """A watch rule on a destination removed from the config sends it nothing."""
    await _configure(ctx)
    gone = next(d for d in await ctx.repos.destinations.all() if d.chat_id == "@gone")
    await ctx.repos.rules.add(gone.id, "watch", None, [], [], "telegram:1001")
    assert "@gone" not in await _chats(topics[11], ctx)


async def test_no_active_destination_selects_nothing(
    ctx: HandlerContext, topics: dict[int, Topic]
) -> None:
    """Without destinations a topic goes nowhere."""
    assert await select_destinations(topics[11], ctx) == []


@pytest.fixture
def selects(db: Database) -> Iterator[list[str]]:
    """Record every SELECT the database runs while the test runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_two_queries_whatever_the_number_of_destinations(
    ctx: HandlerContext, topics: dict[int, Topic], selects: list[str]
) -> None:
    """Selection reads destinations once and rules once, not once per destination."""
    specs = [DestinationSpec("telegram", f"-{n}", "group") for n in range(12)]
    for dest in await ctx.repos.destinations.sync_from_config(specs):
        await ctx.repos.rules.add(dest.id, "mute", None, ["promo"], [], "telegram:1001")
    selects.clear()
    assert await select_destinations(topics[11], ctx) == []
    assert len(selects) == 2


async def test_seeded_rules_route_the_relay(ctx: HandlerContext, topics: dict[int, Topic]) -> None:
    """Rules seeded from config decide which outbox rows the relay writes."""
    ids = await _configure(ctx)
    await ctx.repos.rules.add(ids["-100777"], "mute", None, ["ramadan"], [], "telegram:1001")
    await ctx.repos.rules.seed_from_config(
        [RuleSeedSpec.from_ref("telegram:@attaqwaa", "watch", 2, ["hajj"])]
    )
    assert {r.created_by for r in await ctx.repos.rules.all()} == {CONFIG_AUTHOR, "telegram:1001"}
    for topic_id in (13, 11, 8):
        await relay_topic(topics[topic_id], ctx)
    sent = sorted(
        (int(c.idempotency_key.split(":")[1]), c.message.recipient.chat_id)
        for c in await drain(ctx)
    )
    # 13 is board-2 hajj news; 11 is the promo (board 4); 8 is Ramadan Umrah (muted in group).
    assert sent == [(11, "-100777"), (13, "@attaqwaa")]
