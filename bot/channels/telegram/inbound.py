"""Translate python-telegram-bot updates into neutral inbound messages.

``message_ref = "telegram:update:<update_id>"`` (the inbox stores each once, since delivery
is at-least-once). Button presses carry ``choice_data`` and the id of the message
that carried the button. Changes of the bot's own membership in a chat arrive with
``membership`` set and the user who made the change as sender.
"""

from __future__ import annotations

from datetime import datetime

from telegram import ChatMemberUpdated, Message, Update
from telegram.constants import ChatType

from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import (
    Attachment,
    ChatKind,
    InboundMessage,
    Membership,
    SharedContact,
)

CHANNEL_NAME = ChannelName("telegram")


def update_ref(update: Update) -> str:
    """Return the dedupe reference of an update."""
    return f"telegram:update:{update.update_id}"


def callback_to_inbound(update: Update, now: datetime) -> InboundMessage | None:
    """Return the button press of ``update`` as a neutral message, or None if it is none."""
    query = update.callback_query
    if query is None:
        return None
    origin = query.message
    chat = origin.chat if origin is not None else None
    return InboundMessage(
        channel=CHANNEL_NAME,
        chat_id=ChatId(str(chat.id if chat is not None else query.from_user.id)),
        sender_id=UserId(str(query.from_user.id)),
        text="",
        received_at=now,
        chat_kind=chat_kind(chat.type if chat is not None else ChatType.PRIVATE),
        sender_name=query.from_user.full_name,
        language_hint=query.from_user.language_code,
        message_ref=update_ref(update),
        choice_data=query.data,
        thread_id=_thread_id(origin) if isinstance(origin, Message) else None,
        origin_message_id=str(origin.message_id) if origin is not None else None,
    )


def update_to_inbound(update: Update) -> InboundMessage | None:
    """Return a message or membership change as a neutral message; None for the rest."""
    if update.my_chat_member is not None:
        return _membership(update.my_chat_member, update_ref(update))
    message = update.message
    if message is None:
        return None
    contact = _contact(message)
    attachments = _attachments(message)
    text = message.text or message.caption or ""
    if not text and contact is None and not attachments:
        return None  # service messages (pins, joins) carry nothing to handle
    sender = message.from_user
    return InboundMessage(
        channel=CHANNEL_NAME,
        chat_id=ChatId(str(message.chat.id)),
        sender_id=UserId(str(sender.id if sender is not None else message.chat.id)),
        text=text,
        received_at=message.date,
        chat_kind=chat_kind(message.chat.type),
        sender_name=sender.full_name if sender is not None else message.chat.title,
        language_hint=sender.language_code if sender is not None else None,
        message_ref=update_ref(update),
        thread_id=_thread_id(message),
        contact=contact,
        attachments=attachments,
    )


def _contact(message: Message) -> SharedContact | None:
    card = message.contact
    if card is None:
        return None
    return SharedContact(
        phone=card.phone_number,
        user_id=UserId(str(card.user_id)) if card.user_id is not None else None,
        name=" ".join(p for p in (card.first_name, card.last_name) if p) or None,
    )


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.photo:
        found.append(Attachment("photo", message.photo[-1].file_id, "image/jpeg"))
    for kind, media in (
        ("voice", message.voice),
        ("audio", message.audio),
        ("video", message.video),
        ("document", message.document),
    ):
        if media is not None:
            found.append(
                Attachment(
                    kind,
                    media.file_id,
                    getattr(media, "mime_type", None),
                    getattr(media, "file_name", None),
                )
            )
    return tuple(found)


def _membership(change: ChatMemberUpdated, ref: str) -> InboundMessage:
    status = change.new_chat_member.status
    if status == "kicked":
        state = Membership.KICKED
    elif status == "left" or (status == "restricted" and not _is_member(change)):
        state = Membership.LEFT
    else:
        state = Membership.MEMBER
    return InboundMessage(
        channel=CHANNEL_NAME,
        chat_id=ChatId(str(change.chat.id)),
        sender_id=UserId(str(change.from_user.id)),
        text="",
        membership=state,
        received_at=change.date,
        chat_kind=chat_kind(change.chat.type),
        sender_name=change.from_user.full_name,
        message_ref=ref,
    )


def _is_member(change: ChatMemberUpdated) -> bool:
    return bool(getattr(change.new_chat_member, "is_member", False))


def _thread_id(message: Message) -> int | None:
    # Non-forum supergroups also set message_thread_id on reply threads; sending there with a
    # thread id fails, so only forum topics keep it.
    return message.message_thread_id if message.is_topic_message else None


def chat_kind(chat_type: str) -> ChatKind:
    """Return the neutral kind of a Telegram chat type."""
    if chat_type == ChatType.PRIVATE:
        return ChatKind.PRIVATE
    if chat_type == ChatType.CHANNEL:
        return ChatKind.CHANNEL
    return ChatKind.GROUP
