"""Neutral inbound items as JSON: what the inbox stores is what the handlers later receive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import Attachment, ChatKind, InboundMessage, Membership, SharedContact
from bot.core.reports import DeliveryReport, DeliveryState


def message_to_json(message: InboundMessage) -> dict[str, Any]:
    """Return ``message`` as a JSON-safe dict (``message_from_json`` reverses it exactly)."""
    contact = message.contact
    return {
        "channel": message.channel,
        "chat_id": message.chat_id,
        "sender_id": message.sender_id,
        "text": message.text,
        "received_at": message.received_at.isoformat(),
        "chat_kind": message.chat_kind.value,
        "sender_name": message.sender_name,
        "message_ref": message.message_ref,
        "choice_data": message.choice_data,
        "thread_id": message.thread_id,
        "membership": message.membership.value if message.membership else None,
        "origin_message_id": message.origin_message_id,
        "contact": (
            None
            if contact is None
            else {"phone": contact.phone, "user_id": contact.user_id, "name": contact.name}
        ),
        "attachments": [
            {"kind": a.kind, "ref": a.ref, "mime_type": a.mime_type, "name": a.name}
            for a in message.attachments
        ],
        "language_hint": message.language_hint,
        "referral": message.referral,
    }


def message_from_json(data: dict[str, Any]) -> InboundMessage:
    """Return the message ``message_to_json`` stored (a KeyError/ValueError if it is not one)."""
    contact = data.get("contact")
    membership = data.get("membership")
    return InboundMessage(
        channel=ChannelName(data["channel"]),
        chat_id=ChatId(data["chat_id"]),
        sender_id=UserId(data["sender_id"]),
        text=data["text"],
        received_at=datetime.fromisoformat(data["received_at"]),
        chat_kind=ChatKind(data.get("chat_kind", ChatKind.PRIVATE.value)),
        sender_name=data.get("sender_name"),
        message_ref=data.get("message_ref"),
        choice_data=data.get("choice_data"),
        thread_id=data.get("thread_id"),
        membership=Membership(membership) if membership else None,
        origin_message_id=data.get("origin_message_id"),
        contact=(
            None
            if contact is None
            else SharedContact(
                phone=contact["phone"],
                user_id=UserId(contact["user_id"]) if contact.get("user_id") else None,
                name=contact.get("name"),
            )
        ),
        attachments=tuple(
            Attachment(
                kind=a["kind"], ref=a["ref"], mime_type=a.get("mime_type"), name=a.get("name")
            )
            for a in data.get("attachments", ())
        ),
        language_hint=data.get("language_hint"),
        referral=data.get("referral"),
    )


def report_to_json(report: DeliveryReport) -> dict[str, Any]:
    """Return ``report`` as a JSON-safe dict."""
    return {
        "provider_id": report.provider_id,
        "state": report.state.value,
        "error_key": report.error_key,
        "detail": report.detail,
    }


def report_from_json(data: dict[str, Any]) -> DeliveryReport:
    """Return the report ``report_to_json`` stored."""
    return DeliveryReport(
        provider_id=data["provider_id"],
        state=DeliveryState(data["state"]),
        error_key=data.get("error_key"),
        detail=data.get("detail", ""),
    )
