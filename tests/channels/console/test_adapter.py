"""The console channel: the reference adapter that prints what a platform would show."""

from __future__ import annotations

import io

import pytest

from bot.channels.console.adapter import ConsoleChannel, render_console
from bot.channels.whatsapp.platform import WHATSAPP_CAPABILITIES
from bot.core.channel import Channel
from bot.core.errors import TransientError
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
    text_message,
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


def test_without_buttons_it_shows_stars_and_numbered_choices() -> None:
    """Without buttons (as on WhatsApp) bold is *x*, italic _x_ and choices are numbered."""
    text = render_console(
        _message(choices=(Choice("Yes", data="y"), Choice("No", data="n"))), buttons=False
    )
    assert "*Umrah <Ramadan> & Hajj*" in text
    assert "_Umrah · Hikmah_" in text
    assert "details (https://forum.test/t=1)" in text
    assert "\n1. Yes\n2. No" in text


def test_with_buttons_it_shows_buttons_with_their_links() -> None:
    """With buttons (the default, as on Telegram) a URL button shows where it leads."""
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


async def test_a_console_standing_in_for_whatsapp_numbers_the_options_it_prints() -> None:
    """Given WhatsApp's capabilities the console declares no buttons and prints numbered options."""
    out = io.StringIO()
    channel = ConsoleChannel("whatsapp", capabilities=WHATSAPP_CAPABILITIES, stream=out)
    await channel.send(_message(choices=(Choice("Yes", data="y"), Choice("No", data="n"))))
    assert channel.capabilities.buttons is False
    assert "\n1. Yes\n2. No" in out.getvalue()
    assert "[ Yes ]" not in out.getvalue()


def test_by_default_the_console_shows_buttons_and_edits() -> None:
    """A console with no stand-in capabilities declares buttons and edits, as it renders them."""
    channel = ConsoleChannel()
    assert (channel.name, channel.capabilities.buttons, channel.capabilities.edits) == (
        "console",
        True,
        True,
    )


async def test_an_output_file_is_opened_at_start_and_closed_at_stop() -> None:
    """With open_output the console opens its file at start, prints there, and closes it."""
    opened: list[io.StringIO] = []

    def open_output() -> io.StringIO:
        opened.append(io.StringIO())
        return opened[-1]

    channel = ConsoleChannel("telegram", open_output=open_output)
    await channel.start()
    await channel.send(_message())
    written = opened[0].getvalue()
    await channel.stop()
    await channel.stop()  # a second stop has nothing left to close
    assert len(opened) == 1
    assert "Umrah <Ramadan> & Hajj" in written
    assert opened[0].closed


async def test_an_output_that_cannot_be_written_is_a_transient_channel_error() -> None:
    """A closed or full output raises TransientError (a ChannelError), not a raw I/O error."""
    out = io.StringIO()
    channel = ConsoleChannel("telegram", stream=out)
    out.close()
    with pytest.raises(TransientError) as caught:
        await channel.send(_message())
    assert caught.value.error_key == "console_output"
    assert caught.value.retryable
    assert channel.sent == []


async def test_an_edit_keeps_the_id_of_the_message_it_replaces() -> None:
    """An edit is printed as the edit of its target and answers with the target's id."""
    out = io.StringIO()
    channel = ConsoleChannel("telegram", stream=out)
    first = await channel.send(_message())
    assert first.provider_message_id == "telegram-1"
    edited = await channel.send(_message(edit_of=first.provider_message_id))
    after = await channel.send(_message())
    assert edited.provider_message_id == "telegram-1"
    assert after.provider_message_id == "telegram-2"
    assert "(channel) (edit of telegram-1) ──" in out.getvalue()


def test_plain_bold_and_italic_close_on_the_line_they_open() -> None:
    """A bold title ending in a line break renders `*Commands*`, then the break (as WhatsApp)."""
    recipient = Recipient(ChannelName("whatsapp"), ChatId("+2348030000001"))
    message = text_message(recipient, [bold("Commands\n"), plain("JOIN "), italic("to subscribe")])
    body = render_console(message, buttons=False).split("\n", 1)[1]  # after the header line
    assert body == "*Commands*\nJOIN _to subscribe_\n"
