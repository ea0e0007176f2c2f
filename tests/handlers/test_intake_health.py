"""The intake check: a stalled intake reaches the admins once, its recovery once, /status both."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.channel import IntakeHealth
from bot.core.clock import FrozenClock
from bot.storage.db import Database
from handlers.intake_health import check_intake, state_key
from tests.fakes.channel import FakeChannel, whatsapp_like
from tests.handlers.conftest import drain, make_context


@dataclass(eq=False)
class PollingChannel(FakeChannel):
    """A Telegram-like fake whose intake health a test sets."""

    health: IntakeHealth = field(
        default_factory=lambda: IntakeHealth(True, "last poll answered 3 s ago")
    )

    async def intake_health(self, now: datetime) -> IntakeHealth:
        """Return the health the test set."""
        return self.health


async def test_a_stall_alerts_once_and_its_recovery_once(db: Database, clock: FrozenClock) -> None:
    """Three checks of a stalled intake queue one alert; the first healthy check one notice."""
    telegram = PollingChannel()
    ctx = make_context(db, clock, channels=(telegram, whatsapp_like()))
    await check_intake(ctx, clock.now())
    assert await drain(ctx) == []  # healthy: nothing to say

    telegram.health = IntakeHealth(False, "no poll answered for 4 min (last error: 502)")
    for _ in range(3):
        await check_intake(ctx, clock.now())
        clock.advance(60)
    [alert] = await drain(ctx)
    assert "Telegram messages are not arriving" in alert.message.plain_text
    assert "no poll answered for 4 min" in alert.message.plain_text
    stored = await ctx.repos.state.get(state_key("telegram"))
    assert stored is not None
    assert stored["ok"] is False

    telegram.health = IntakeHealth(True, "last poll answered 2 s ago")
    await check_intake(ctx, clock.now())
    await check_intake(ctx, clock.now())
    [notice] = await drain(ctx)
    assert "Telegram messages arrive again" in notice.message.plain_text


async def test_a_second_stall_alerts_again(db: Database, clock: FrozenClock) -> None:
    """Each new stall is its own alert: the key counts stalls, so the outbox does not drop it."""
    telegram = PollingChannel()
    ctx = make_context(db, clock, channels=(telegram,))
    for ok in (False, True, False):
        telegram.health = IntakeHealth(ok, "state")
        await check_intake(ctx, clock.now())
    texts = [c.message.plain_text for c in await drain(ctx)]
    assert [t.split("\n")[0] for t in texts] == [
        "Telegram messages are not arriving",
        "Telegram messages arrive again",
        "Telegram messages are not arriving",
    ]


async def test_channels_that_cannot_tell_are_not_checked(db: Database, clock: FrozenClock) -> None:
    """A channel without intake_health (WhatsApp: Twilio has no such call) is left alone."""
    ctx = make_context(db, clock, channels=(whatsapp_like(),))
    await check_intake(ctx, clock.now())
    assert await ctx.repos.state.get(state_key("whatsapp")) is None
