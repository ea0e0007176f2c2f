"""Links into the enquiry: t.me and wa.me links, the Enquire button on travel-board alerts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.core.clock import FrozenClock
from bot.storage.db import Database
from handlers.enquiries.links import link_for, telegram_link, whatsapp_link
from handlers.relay.fanout import subscriber_alerts
from tests.handlers.conftest import START, make_context
from tests.handlers.enquiries.conftest import ENQUIRIES, SETTINGS
from tests.handlers.relay.test_fanout import topic
from tests.service_config import service_data, write_config

LINKED = replace(
    ENQUIRIES, boards=(4,), telegram_username="attaqwa_bot", whatsapp_number="+2348011112222"
)


def test_each_platform_gets_its_own_link() -> None:
    """Telegram readers get a start payload, WhatsApp readers a prefilled UMRAH <source>."""
    assert telegram_link(LINKED, "t42") == "https://t.me/attaqwa_bot?start=enq_t42"
    assert whatsapp_link(LINKED, "t42") == "https://wa.me/2348011112222?text=UMRAH%20t42"
    assert (link_for(LINKED, True, "promo-1") or "").endswith("UMRAH%20promo-1")
    assert link_for(LINKED, False, "promo-1") == "https://t.me/attaqwa_bot?start=enq_promo-1"
    assert telegram_link(ENQUIRIES, "t42") is None  # no bot username configured
    with pytest.raises(ValueError, match="1-64 characters"):
        telegram_link(LINKED, "two words")


async def test_a_travel_board_alert_carries_an_enquire_button(
    db: Database, clock: FrozenClock
) -> None:
    """Topics of enquiries.boards get "Enquire" beside "Read on forum"; other boards do not."""
    ctx = make_context(db, clock, settings=replace(SETTINGS, enquiries=LINKED))
    await ctx.repos.subscribers.subscribe("telegram", "42", "private", "test", START)
    await ctx.repos.subscribers.subscribe("whatsapp", "+2348030000001", "private", "test", START)
    alerts = {i.message.recipient.channel: i.message for i in await subscriber_alerts(topic(), ctx)}
    assert [(c.label, c.url) for c in alerts["telegram"].choices][1] == (
        "Enquire",
        "https://t.me/attaqwa_bot?start=enq_t50",
    )
    assert alerts["whatsapp"].choices[1].url == "https://wa.me/2348011112222?text=UMRAH%20t50"
    other = await subscriber_alerts(topic(51, board_id=2), ctx)
    assert all(len(i.message.choices) == 1 for i in other)


def test_minbar_enquiry_link_prints_both_links(tmp_path: Path) -> None:
    """The CLI prints the t.me and wa.me links of a source and a line for under the ad."""
    data = service_data(tmp_path, web={"enabled": False})
    data["telegram"] = {"bot_username": "attaqwa_bot"}
    config = write_config(tmp_path / "minbar.toml", data)
    result = CliRunner().invoke(app, ["enquiry", "link", "t42", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "Telegram: https://t.me/attaqwa_bot?start=enq_t42" in result.output
    assert "WhatsApp: https://wa.me/14155238886?text=UMRAH%20t42" in result.output
    assert "Under the ad: Tap to enquire: WhatsApp https://wa.me/" in result.output
