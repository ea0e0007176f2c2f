"""The inbox codec: what is stored as JSON comes back as the same message or report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import Attachment, ChatKind, InboundMessage, Membership, SharedContact
from bot.core.reports import DeliveryReport, DeliveryState
from bot.inbox.codec import message_from_json, message_to_json, report_from_json, report_to_json

FULL = InboundMessage(
    channel=ChannelName("telegram"),
    chat_id=ChatId("-100123"),
    sender_id=UserId("42"),
    text="Here is my number ✅",
    received_at=datetime(2026, 3, 1, 9, 0, 7, 123456, tzinfo=UTC),
    chat_kind=ChatKind.GROUP,
    sender_name="Amina Yusuf",
    message_ref="telegram:update:700000001",
    choice_data="board:12",
    thread_id=7,
    membership=Membership.KICKED,
    origin_message_id="991",
    contact=SharedContact(phone="+2348030000001", user_id=UserId("42"), name="Amina"),
    attachments=(
        Attachment(kind="photo", ref="AgACAgQAAxk", mime_type="image/jpeg", name="p.jpg"),
        Attachment(kind="voice", ref="https://api.twilio.com/Media/ME1"),
    ),
)


def through_json(data: dict[str, object]) -> dict[str, object]:
    """Return ``data`` after a trip through JSON text, as the database column stores it."""
    decoded: dict[str, object] = json.loads(json.dumps(data))
    return decoded


def test_every_message_field_survives_the_round_trip() -> None:
    """Contact, attachments, membership, choice, thread and refs all come back unchanged."""
    assert message_from_json(through_json(message_to_json(FULL))) == FULL


def test_a_minimal_message_comes_back_with_its_defaults() -> None:
    """A plain private text keeps its empty optional fields as None or empty."""
    plain = InboundMessage(
        channel=ChannelName("whatsapp"),
        chat_id=ChatId("+2348030000001"),
        sender_id=UserId("+2348030000001"),
        text="",
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert message_from_json(through_json(message_to_json(plain))) == plain


def test_a_contact_without_its_owner_and_a_bare_attachment_round_trip() -> None:
    """A shared card with no user id or name, and a file with no type or name, stay so."""
    message = InboundMessage(
        channel=ChannelName("telegram"),
        chat_id=ChatId("5"),
        sender_id=UserId("5"),
        text="",
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        contact=SharedContact(phone="+15550100"),
        attachments=(Attachment(kind="document", ref="BQACAgQ"),),
    )
    assert message_from_json(through_json(message_to_json(message))) == message


def test_the_arrival_time_keeps_its_offset() -> None:
    """An aware time in another zone comes back as the same instant with the same offset."""
    lagos = timezone(timedelta(hours=1))
    message = InboundMessage(
        channel=ChannelName("telegram"),
        chat_id=ChatId("5"),
        sender_id=UserId("5"),
        text="salaam",
        received_at=datetime(2026, 3, 1, 10, 0, tzinfo=lagos),
    )
    back = message_from_json(through_json(message_to_json(message)))
    assert back.received_at == message.received_at
    assert back.received_at.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    "report",
    [
        DeliveryReport("SM1", DeliveryState.DELIVERED),
        DeliveryReport("SM2", DeliveryState.FAILED, "outside_window", "twilio undelivered 63016"),
        DeliveryReport("SM3", DeliveryState.READ, None, "twilio read"),
    ],
    ids=["delivered", "failed-with-key", "read-with-detail"],
)
def test_a_delivery_report_survives_the_round_trip(report: DeliveryReport) -> None:
    """Provider id, state, error key and detail come back unchanged."""
    assert report_from_json(through_json(report_to_json(report))) == report


@pytest.mark.parametrize(
    "data",
    [{}, {"channel": "telegram"}, {**message_to_json(FULL), "chat_kind": "galaxy"}],
    ids=["empty", "missing-fields", "unknown-kind"],
)
def test_a_payload_that_is_not_a_message_is_refused(data: dict[str, object]) -> None:
    """A stored payload without the fields of a message raises KeyError or ValueError."""
    with pytest.raises((KeyError, ValueError)):
        message_from_json(data)
