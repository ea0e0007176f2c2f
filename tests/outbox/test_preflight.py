"""The preflight: opt-outs and WhatsApp's 24-hour window, decided before any send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FrozenClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import OutboundMessage, Recipient, text_message
from bot.domain.subscribers import Subscriber
from bot.outbox.preflight import DeliveryPreflight, Skip

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


class Lookup:
    """Subscribers by (channel, chat), as the repository would return them."""

    def __init__(self, **rows: Subscriber) -> None:
        self.rows = rows
        self.calls = 0

    async def get(self, channel: str, chat_id: str) -> Subscriber | None:
        """Return the stored row for the chat."""
        self.calls += 1
        return self.rows.get(chat_id.lstrip("+"))


def _sub(last_inbound: datetime | None, opted_out: datetime | None = None) -> Subscriber:
    return Subscriber(
        id=1,
        channel=ChannelName("whatsapp"),
        chat_id=ChatId("+2348000000001"),
        last_inbound_at=last_inbound,
        opted_out_at=opted_out,
        active=opted_out is None,
    )


def _msg(kind: str, channel: str = "whatsapp") -> OutboundMessage:
    recipient = Recipient(ChannelName(channel), ChatId("+2348000000001"))
    return text_message(recipient, "New topic", kind=kind)


def _preflight(lookup: Lookup, templates: frozenset[str] = frozenset()) -> DeliveryPreflight:
    return DeliveryPreflight(
        lookup, windows={"whatsapp": DAY}, templates={"whatsapp": templates}, clock=FrozenClock(NOW)
    )


@pytest.mark.parametrize(
    ("last_inbound", "templates", "expected"),
    [
        pytest.param(NOW - timedelta(hours=23, minutes=59), frozenset(), "free", id="inside"),
        pytest.param(NOW - DAY, frozenset({"topic_alert"}), "template", id="exactly-24h-template"),
        pytest.param(NOW - timedelta(days=3), frozenset({"topic_alert"}), "template", id="outside"),
        pytest.param(NOW - timedelta(days=3), frozenset({"broadcast"}), "skip", id="other-kind"),
        pytest.param(None, frozenset(), "skip", id="never-wrote"),
    ],
)
async def test_the_window_decides_free_form_template_or_skip(
    last_inbound: datetime | None, templates: frozenset[str], expected: str
) -> None:
    """Free-form only inside 24 h; outside, the kind's template or no send at all."""
    result = await _preflight(Lookup(**{"2348000000001": _sub(last_inbound)}), templates).check(
        _msg("topic_alert")
    )
    if expected == "skip":
        assert result == Skip("outside_window")
    else:
        assert isinstance(result, OutboundMessage)
        assert result.use_template is (expected == "template")


async def test_an_opted_out_person_gets_nothing_but_replies() -> None:
    """After STOP, alerts are skipped; a reply to their own new message still goes."""
    sub = _sub(NOW - timedelta(minutes=1), opted_out=NOW - timedelta(hours=1))
    preflight = _preflight(Lookup(**{"2348000000001": sub}), frozenset({"topic_alert"}))
    assert await preflight.check(_msg("topic_alert")) == Skip("opted_out")
    reply = await preflight.check(_msg("reply"))
    assert isinstance(reply, OutboundMessage)
    assert not reply.use_template


async def test_channels_without_a_window_are_not_looked_up() -> None:
    """Telegram messages pass untouched and cost no database lookup."""
    lookup = Lookup()
    preflight = _preflight(lookup)
    message = _msg("topic_alert", channel="telegram")
    assert not preflight.applies_to("telegram")
    assert await preflight.check(message) is message
    assert lookup.calls == 0
