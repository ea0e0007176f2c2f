"""Check and parse Twilio's WhatsApp webhooks: inbound messages and delivery status callbacks.

Pure helpers over plain mappings (or Starlette's multi-valued ``FormData``), so the routes stay
thin and these rules are tested without a server. Twilio's words stop here: a status callback
leaves as a neutral :class:`~bot.core.reports.DeliveryReport`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from twilio.request_validator import RequestValidator

from bot.channels.whatsapp.errors import SENDER_LIMIT_CODES, UNREACHABLE_CODES
from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import Attachment, ChatKind, InboundMessage
from bot.core.reports import DeliveryReport, DeliveryState

CHANNEL_NAME = ChannelName("whatsapp")
ADDRESS_PREFIX = "whatsapp:"
MAX_MEDIA = 10
"""Twilio sends at most ten ``MediaUrl{N}`` fields with one message."""

TWILIO_STATES: Mapping[str, DeliveryState] = {
    "accepted": DeliveryState.QUEUED,
    "scheduled": DeliveryState.QUEUED,
    "queued": DeliveryState.QUEUED,
    "sending": DeliveryState.SENDING,
    "sent": DeliveryState.SENT,
    "delivered": DeliveryState.DELIVERED,
    "read": DeliveryState.READ,
    "undelivered": DeliveryState.FAILED,
    "failed": DeliveryState.FAILED,
    "canceled": DeliveryState.FAILED,
}
"""Twilio's outbound message statuses in neutral words."""


class InvalidWebhookForm(ValueError):
    """The form lacks a field Twilio always sends; the request is not a usable webhook."""


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
        attachments=_media(form),
        # Click-to-WhatsApp ads: which ad the customer tapped (kept with their enquiry).
        referral=form.get("ReferralSourceId") or form.get("ReferralCtwaClid") or None,
    )


def _media(form: Mapping[str, str]) -> tuple[Attachment, ...]:
    raw = (form.get("NumMedia") or "0").strip()
    count = min(int(raw), MAX_MEDIA) if raw.isascii() and raw.isdigit() else 0
    found = []
    for n in range(count):
        url = form.get(f"MediaUrl{n}")
        if not url:
            continue
        mime = form.get(f"MediaContentType{n}") or None
        found.append(Attachment(kind=_kind_of(mime), ref=url, mime_type=mime))
    return tuple(found)


def _kind_of(mime: str | None) -> str:
    major = (mime or "").split("/", 1)[0]
    return {"image": "photo", "audio": "voice", "video": "video"}.get(
        major, "document" if major == "application" else "other"
    )


def parse_status_form(form: Mapping[str, str]) -> DeliveryReport | None:
    """Turn a status callback form into a neutral report (None for a status we do not track)."""
    sid = _required(form, "MessageSid")
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not status:
        raise InvalidWebhookForm("MessageStatus is missing")
    state = TWILIO_STATES.get(status)
    if state is None:
        return None  # "receiving", "partially_delivered"…: nothing to move forward
    raw_code = (form.get("ErrorCode") or "").strip()
    code = int(raw_code) if raw_code.isascii() and raw_code.isdigit() else None
    error_key = failure_key(code) if state is DeliveryState.FAILED else None
    detail = f"twilio {status}" + (f" {code}" if code is not None else "")
    return DeliveryReport(sid, state, error_key, detail)


def failure_key(error_code: int | None) -> str:
    """Return the neutral reason of a failed message's ErrorCode (63016 → outside_window)."""
    if error_code is None:
        return "failed"
    if error_code in SENDER_LIMIT_CODES:
        return "sender_rate_limited"
    return UNREACHABLE_CODES.get(error_code, f"twilio_{error_code}")


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
