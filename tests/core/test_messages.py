"""Neutral message types: the outbox round trip and command parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import (
    ChatKind,
    Choice,
    InboundMessage,
    OutboundMessage,
    Recipient,
    Span,
    bold,
    italic,
    link,
    plain,
)

RECIPIENT = Recipient(ChannelName("telegram"), ChatId("-100123"), ChatKind.GROUP, thread_id=7)


def test_a_message_survives_the_outbox_round_trip() -> None:
    """Every field stored in an outbox row comes back equal, the recipient aside."""
    message = OutboundMessage(
        recipient=RECIPIENT,
        spans=(
            bold("Umrah"),
            plain(" & "),
            italic("Hajj"),
            link("forum", "https://f.test/1"),
            Span("quoted", quote=True),
        ),
        choices=(Choice("Approve", data="rv:a:11"), Choice("Open", url="https://f.test/11")),
        link="https://f.test/11",
        image_url="https://f.test/img.png",
        kind="review",
        link_preview=True,
        template_values=(("title", "Umrah"), ("link", "https://f.test/11")),
        use_template=False,
        edit_of="4242",
    )
    assert OutboundMessage.from_payload(RECIPIENT, message.to_payload()) == message


def test_the_recipient_key_separates_threads() -> None:
    """Two threads of one forum group are different rate-limit keys."""
    assert RECIPIENT.key == "telegram:-100123/7"
    assert Recipient(ChannelName("whatsapp"), ChatId("+234")).key == "whatsapp:+234"


def _inbound(text: str) -> InboundMessage:
    return InboundMessage(
        ChannelName("telegram"), ChatId("1"), UserId("1"), text, datetime(2026, 1, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", ("start", "")),
        ("/Start@AttaqwaaBot  abc def ", ("start", "abc def")),
        ("/watch 3 board 4 umrah", ("watch", "3 board 4 umrah")),
        ("/", None),
        ("hello /start", None),
        ("/<script>", None),
        ("/ا", None),
    ],
    ids=["plain", "bot-suffix-and-args", "args", "slash-only", "not-first", "hostile", "arabic"],
)
def test_commands_are_parsed_strictly(text: str, expected: tuple[str, str] | None) -> None:
    """Only a leading /name of letters, digits and _ is a command; the rest is its argument."""
    assert _inbound(text).command == expected


def test_an_unknown_chat_kind_reads_as_private() -> None:
    """Stored kinds parse back; an unknown one is treated as a private chat."""
    assert [ChatKind.parse(v) for v in ("group", "channel", "private", "supergroup")] == [
        ChatKind.GROUP,
        ChatKind.CHANNEL,
        ChatKind.PRIVATE,
        ChatKind.PRIVATE,
    ]
