"""The console channel: the reference adapter that prints what a platform would show."""

from __future__ import annotations

import io

from bot.channels.console import ConsoleChannel, render_console
from bot.core.channel import Channel
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import (
    ChatKind,
    Choice,
    OutboundMessage,
    Recipient,
    bold,
    italic,
    link,
    plain,
)

RECIPIENT = Recipient(ChannelName("telegram"), ChatId("@attaqwaa"), ChatKind.CHANNEL)


def _message(**kwargs: object) -> OutboundMessage:
    spans = (
        bold("Umrah <Ramadan> & Hajj"),
        plain("\n"),
        italic("Umrah · Hikmah"),
        plain(" "),
        link("details", "https://forum.test/t=1"),
    )
    return OutboundMessage(RECIPIENT, spans, **kwargs)  # type: ignore[arg-type]


def test_it_satisfies_the_channel_protocol() -> None:
    """ConsoleChannel is a Channel, so the registry and outbox accept it."""
    assert isinstance(ConsoleChannel(), Channel)


def test_whatsapp_style_shows_stars_and_numbered_choices() -> None:
    """In WhatsApp style bold is *x*, italic _x_ and choices are numbered."""
    text = render_console(
        _message(choices=(Choice("Yes", data="y"), Choice("No", data="n"))), style="whatsapp"
    )
    assert "*Umrah <Ramadan> & Hajj*" in text
    assert "_Umrah · Hikmah_" in text
    assert "details (https://forum.test/t=1)" in text
    assert "\n1. Yes\n2. No" in text


def test_telegram_style_shows_buttons_with_their_links() -> None:
    """In Telegram style choices are buttons and a URL button shows where it leads."""
    text = render_console(_message(choices=(Choice("Read on forum", url="https://f.test/1"),)))
    assert "[ Read on forum ]" in text
    assert "Read on forum: https://f.test/1" in text
    assert text.startswith("── telegram → @attaqwaa (channel) ──")


async def test_send_prints_without_ansi_to_a_file_and_returns_an_id() -> None:
    """Sending writes the rendered text (no escape codes to a non-terminal) and returns an id."""
    out = io.StringIO()
    channel = ConsoleChannel("telegram", stream=out)
    await channel.start()
    first = await channel.send(_message())
    second = await channel.send(_message())
    await channel.stop()
    assert "\x1b[" not in out.getvalue()
    assert "Umrah <Ramadan> & Hajj" in out.getvalue()
    assert (first.provider_message_id, second.provider_message_id) == ("telegram-1", "telegram-2")
    assert channel.name == "telegram"
