"""Check and parse Twilio's WhatsApp webhooks: inbound messages and delivery status callbacks.

Pure helpers over plain mappings (or Starlette's multi-valued ``FormData``), so the web layer
stays thin and these rules are tested without a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from twilio.request_validator import RequestValidator

from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import ChatKind, InboundMessage

CHANNEL_NAME = ChannelName("whatsapp")
ADDRESS_PREFIX = "whatsapp:"

STATUS_ORDER: Mapping[str, int] = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    # Terminal failures outrank everything: nothing may follow them.
    "undelivered": 10,
    "failed": 10,
    "canceled": 10,
}
"""Rank of each outbound status; an update may only replace a lower rank."""


UNREACHABLE_CODES: Mapping[int, str] = {
    63016: "outside_window",
    63014: "blocked",
    63024: "invalid_recipient",
    63003: "not_on_whatsapp",
    21610: "opted_out",
}
"""Twilio codes meaning "this person cannot get free-form messages now" → neutral error_key."""


class InvalidWebhookForm(ValueError):
    """The form lacks a field Twilio always sends; the request is not a usable webhook."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """One delivery status callback for a message we sent."""

    message_sid: str
    status: str
    error_code: int | None = None
    chat_id: ChatId | None = None


def is_valid_twilio_signature(
    auth_token: str, url: str, params: Mapping[str, Any], signature: str | None
) -> bool:
    """Return whether ``signature`` is Twilio's signature of ``url`` and all ``params``.

    ``url`` must be the public URL Twilio called, query string included; pass every received
    form field (Twilio adds fields without notice). Multi-valued forms are read with
    ``getlist``/``getall``, as Twilio signs every value.
    """
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def parse_inbound_form(
    form: Mapping[str, str], *, received_at: datetime | None = None
) -> InboundMessage:
    """Turn an inbound WhatsApp webhook form into a neutral message."""
    sender = strip_address(_required(form, "From"))
    sid = _required(form, "MessageSid")
    text = form.get("Body") or ""
    if not text.strip():
        # A quick-reply tap may come with an empty Body; its label is the readable text.
        text = form.get("ButtonText") or ""
    return InboundMessage(
        channel=CHANNEL_NAME,
        chat_id=ChatId(sender),
        sender_id=UserId(sender),
        text=text,
        received_at=received_at or datetime.now(UTC),
        chat_kind=ChatKind.PRIVATE,
        sender_name=form.get("ProfileName") or None,
        message_ref=f"whatsapp:msg:{sid}",
        choice_data=form.get("ButtonPayload") or None,
    )


def parse_status_form(form: Mapping[str, str]) -> StatusUpdate:
    """Turn a status callback form into a ``StatusUpdate``."""
    sid = _required(form, "MessageSid")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not status:
        raise InvalidWebhookForm("MessageStatus is missing")
    raw_code = (form.get("ErrorCode") or "").strip()
    to = form.get("To")
    return StatusUpdate(
        message_sid=sid,
        status=status,
        error_code=int(raw_code) if raw_code.isdigit() else None,
        chat_id=ChatId(strip_address(to)) if to else None,
    )


def failure_key(error_code: int | None) -> str:
    """Return the neutral error_key for a failed callback's ErrorCode (63016 → outside_window)."""
    if error_code is None:
        return "failed"
    return UNREACHABLE_CODES.get(error_code, f"twilio_{error_code}")


def status_rank(status: str) -> int:
    """Return the rank of ``status``; unknown statuses rank below all known ones."""
    return STATUS_ORDER.get(status.lower(), -1)


def whatsapp_address(number: str) -> str:
    """Return ``number`` as a Twilio WhatsApp address (``whatsapp:+E164``)."""
    number = number.strip()
    return number if number.startswith(ADDRESS_PREFIX) else f"{ADDRESS_PREFIX}{number}"


def strip_address(address: str) -> str:
    """Return the E.164 number of a ``whatsapp:+E164`` address."""
    address = address.strip()
    if not address.startswith(ADDRESS_PREFIX):
        raise InvalidWebhookForm(f"not a WhatsApp address: {address[:40]!r}")
    return address[len(ADDRESS_PREFIX) :]


def _required(form: Mapping[str, str], key: str) -> str:
    value = form.get(key)
    if not value:
        raise InvalidWebhookForm(f"{key} is missing")
    return value
