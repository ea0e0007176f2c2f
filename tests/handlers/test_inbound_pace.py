"""The per-chat inbound limit: a flood is told once and paused; STOP still works in it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core.clock import FrozenClock
from bot.storage.db import Database
from handlers import build_dispatcher
from handlers.inbound_pace import InboundPace, Pace
from handlers.settings import FeatureSettings
from tests.handlers.conftest import WA_NUMBER, drain, make_context, wa

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_the_limit_counts_a_sliding_minute_per_chat() -> None:
    """The 4th message within a minute is over (told once), a minute later it is fine again."""
    pace = InboundPace(per_minute=3)
    seen = [pace.note("wa:1", T0 + timedelta(seconds=n)) for n in range(6)]
    assert seen == [Pace.OK] * 3 + [Pace.FIRST_OVER, Pace.OVER, Pace.OVER]
    assert pace.note("wa:2", T0) is Pace.OK  # another chat has its own count
    assert pace.note("wa:1", T0 + timedelta(seconds=70)) is Pace.OK


async def test_a_flooding_chat_is_told_once_and_stop_still_opts_out(
    db: Database, clock: FrozenClock
) -> None:
    """Twenty-five HELPs in a minute: twenty answers, one notice, then silence; STOP acts."""
    ctx = make_context(db, clock, settings=FeatureSettings(bot_name="Attaqwaa"))
    router = build_dispatcher(ctx)
    for n in range(25):
        await router.handle(replace(wa("HELP"), received_at=T0 + timedelta(seconds=n)))
    texts = [i.message.plain_text for i in await drain(ctx)]
    assert len(texts) == 21
    assert texts[-1] == "You are sending messages very fast. Please wait a minute."
    await router.handle(replace(wa("STOP"), received_at=T0 + timedelta(seconds=30)))
    sub = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert sub is not None
    assert sub.opted_out
