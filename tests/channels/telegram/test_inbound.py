"""Telegram updates become neutral inbound messages: commands, buttons, contacts, media."""

from __future__ import annotations

import datetime as dtm
from typing import Any

import pytest

from bot.channels.telegram.adapter import TelegramChannel
from bot.core.ids import UserId
from bot.core.messages import Attachment, ChatKind, Membership, SharedContact
from tests.channels.telegram.helpers import Inbox, chat, message_update, user
from tests.fakes.telegram_request import BOT_USER, RecordingRequest

PHOTO_SIZES = [
    {"file_id": "small-id", "file_unique_id": "s", "width": 90, "height": 90},
    {"file_id": "large-id", "file_unique_id": "l", "width": 1280, "height": 1280},
]


async def test_deep_link_start_becomes_a_command(channel: TelegramChannel, inbox: Inbox) -> None:
    """'/start abc' from a webhook update becomes the start command with its payload."""
    await channel.process_webhook(
        {
            "update_id": 501,
            "message": {
                "message_id": 1,
                "date": 1_750_000_000,
                "chat": chat(),
                "from": user(),
                "text": "/start abc",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
    )
    got = await inbox.next()
    assert got.command == ("start", "abc")
    assert (got.chat_id, got.sender_id, got.sender_name, got.message_ref, got.chat_kind) == (
        "42",
        "42",
        "Amina K",
        "telegram:update:501",
        ChatKind.PRIVATE,
    )
    assert got.received_at == dtm.datetime(2025, 6, 15, 15, 6, 40, tzinfo=dtm.UTC)


async def test_forum_topic_messages_keep_their_thread(
    channel: TelegramChannel, inbox: Inbox
) -> None:
    """A message in a forum topic carries the thread id and the group kind."""
    await channel.process_webhook(
        {
            "update_id": 502,
            "message": {
                "message_id": 3,
                "date": 1_750_000_000,
                "from": user(7),
                "chat": chat(-100555, "supergroup", is_forum=True),
                "text": "hi",
                "message_thread_id": 11,
                "is_topic_message": True,
            },
        }
    )
    got = await inbox.next()
    assert (got.chat_id, got.thread_id, got.chat_kind) == ("-100555", 11, ChatKind.GROUP)


async def test_callback_query_becomes_choice_data_and_is_answered(
    channel: TelegramChannel, inbox: Inbox, transport: RecordingRequest
) -> None:
    """A button press arrives as choice_data and the query is answered."""
    await channel.process_webhook(
        {
            "update_id": 503,
            "callback_query": {
                "id": "cbq-1",
                "from": user(),
                "chat_instance": "ci",
                "data": "book:7",
                "message": {
                    "message_id": 9,
                    "date": 1_750_000_000,
                    "chat": chat(),
                    "from": BOT_USER,
                    "text": "Pick",
                },
            },
        }
    )
    got = await inbox.next()
    assert (got.choice_data, got.chat_id, got.message_ref) == (
        "book:7",
        "42",
        "telegram:update:503",
    )
    assert got.origin_message_id == "9"
    assert transport.calls_to("answerCallbackQuery") == [{"callback_query_id": "cbq-1"}]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("kicked", Membership.KICKED), ("left", Membership.LEFT), ("member", Membership.MEMBER)],
)
async def test_my_chat_member_becomes_a_membership_change(
    channel: TelegramChannel, inbox: Inbox, status: str, expected: Membership
) -> None:
    """Changes of the bot's membership arrive as a neutral membership, with no text."""
    new_member: dict[str, Any] = {"status": status, "user": BOT_USER}
    if status == "kicked":
        new_member["until_date"] = 0
    await channel.process_webhook(
        {
            "update_id": 504,
            "my_chat_member": {
                "chat": chat(-100555, "supergroup"),
                "from": user(7),
                "date": 1_750_000_000,
                "old_chat_member": {"status": "member", "user": BOT_USER},
                "new_chat_member": new_member,
            },
        }
    )
    got = await inbox.next()
    assert (got.membership, got.text, got.command, got.chat_id, got.sender_id) == (
        expected,
        "",
        None,
        "-100555",
        "7",
    )


async def test_a_button_press_carries_the_id_of_the_message_with_the_button(
    channel: TelegramChannel, inbox: Inbox
) -> None:
    """A callback query's origin_message_id is the id of the message that carried the button."""
    await channel.process_webhook(
        {
            "update_id": 505,
            "callback_query": {
                "id": "cbq-2",
                "from": user(),
                "chat_instance": "ci",
                "data": "rv:a:1",
                "message": {
                    "message_id": 77,
                    "date": 1_750_000_000,
                    "chat": chat(-100300, "supergroup"),
                    "from": BOT_USER,
                    "text": "Review: topic",
                },
            },
        }
    )
    got = await inbox.next()
    assert (got.origin_message_id, got.choice_data, got.chat_id, got.chat_kind) == (
        "77",
        "rv:a:1",
        "-100300",
        ChatKind.GROUP,
    )
    assert got.sender_id == "42"


async def test_a_typed_message_has_no_origin_message_id(
    channel: TelegramChannel, inbox: Inbox
) -> None:
    """Only button presses carry origin_message_id; a typed text leaves it unset."""
    await channel.process_webhook(message_update(506, text="hello"))
    got = await inbox.next()
    assert (got.text, got.origin_message_id, got.choice_data) == ("hello", None, None)


async def test_a_shared_contact_becomes_the_messages_contact(
    channel: TelegramChannel, inbox: Inbox
) -> None:
    """A contact shared with the contact button arrives as SharedContact, with no text."""
    contact = {"phone_number": "+2348012345678", "first_name": "Amina", "last_name": "K"}
    await channel.process_webhook(message_update(507, contact={**contact, "user_id": 42}))
    got = await inbox.next()
    assert got.contact == SharedContact(
        phone="+2348012345678", user_id=UserId("42"), name="Amina K"
    )
    assert (got.text, got.message_ref, got.attachments) == ("", "telegram:update:507", ())


async def test_a_forwarded_contact_card_without_a_user_has_no_user_id(
    channel: TelegramChannel, inbox: Inbox
) -> None:
    """A contact card of someone not on Telegram keeps the number and leaves user_id unset."""
    await channel.process_webhook(
        message_update(508, contact={"phone_number": "+2348000000001", "first_name": "Musa"})
    )
    got = await inbox.next()
    assert got.contact == SharedContact(phone="+2348000000001", user_id=None, name="Musa")


async def test_a_photo_with_a_caption_becomes_text_and_an_attachment(
    channel: TelegramChannel, inbox: Inbox
) -> None:
    """The caption is the text and the largest photo size is the one attachment."""
    await channel.process_webhook(message_update(509, photo=PHOTO_SIZES, caption="My visa page"))
    got = await inbox.next()
    assert got.text == "My visa page"
    assert got.attachments == (Attachment("photo", "large-id", "image/jpeg"),)


async def test_a_photo_without_a_caption_is_still_delivered(
    channel: TelegramChannel, inbox: Inbox
) -> None:
    """A photo with no caption is handed on with empty text and the photo attached."""
    await channel.process_webhook(message_update(510, photo=PHOTO_SIZES))
    got = await inbox.next()
    assert (got.text, got.message_ref) == ("", "telegram:update:510")
    assert got.attachments == (Attachment("photo", "large-id", "image/jpeg"),)


async def test_a_document_keeps_its_mime_type_and_file_name(
    channel: TelegramChannel, inbox: Inbox
) -> None:
    """A document arrives as an attachment with the file's MIME type and name."""
    document = {
        "file_id": "doc-id",
        "file_unique_id": "d",
        "mime_type": "application/pdf",
        "file_name": "passport.pdf",
    }
    await channel.process_webhook(message_update(511, document=document))
    got = await inbox.next()
    assert got.attachments == (Attachment("document", "doc-id", "application/pdf", "passport.pdf"),)


async def test_a_service_message_carries_nothing_and_is_not_handed_on(
    channel: TelegramChannel, inbox: Inbox, transport: RecordingRequest
) -> None:
    """A pin (no text, contact or media) is dropped; the next real message comes through."""
    pinned: dict[str, Any] = {"message_id": 1, "date": 1_750_000_000, "chat": chat()}
    await channel.process_webhook(message_update(512, pinned_message=pinned))
    await channel.process_webhook(message_update(513, text="after the pin"))
    got = await inbox.next()
    assert (got.message_ref, got.text) == ("telegram:update:513", "after the pin")
    assert inbox.queue.empty()
