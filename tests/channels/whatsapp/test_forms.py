"""Twilio webhook forms: signature checks, inbound messages, and status callbacks as reports."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from bot.channels.whatsapp.forms import (
    TWILIO_STATES,
    InvalidWebhookForm,
    failure_key,
    is_valid_twilio_signature,
    parse_inbound_form,
    parse_status_form,
)
from bot.core.messages import Attachment, ChatKind
from bot.core.reports import DeliveryReport, DeliveryState

TOKEN = "12345678901234567890123456789012"
URL = "https://bot.example.org/webhooks/twilio"
FORM = {
    "MessageSid": "SM" + "1" * 32,
    "From": "whatsapp:+2348012345678",
    "To": "whatsapp:+14155238886",
    "Body": "Salam, Umrah prices?",
    "ProfileName": "Aisha",
    "NumMedia": "0",
}


def _sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """Sign independently of twilio's code: HMAC-SHA1 over URL + sorted name/value pairs."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class _MultiForm(dict[str, str]):
    """A form with repeated keys, exposing ``getlist`` like Starlette's FormData."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._pairs = pairs

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self._pairs if k == key]


def test_valid_signature_is_accepted() -> None:
    """A signature computed the way Twilio documents it validates."""
    assert is_valid_twilio_signature(TOKEN, URL, FORM, _sign(URL, FORM))


@pytest.mark.parametrize("signature", [None, ""], ids=["missing", "empty"])
def test_missing_signature_is_rejected(signature: str | None) -> None:
    """A request without X-Twilio-Signature is never valid."""
    assert not is_valid_twilio_signature(TOKEN, URL, FORM, signature)


def test_signature_with_the_wrong_token_is_rejected() -> None:
    """A signature made with another auth token does not validate."""
    assert not is_valid_twilio_signature(TOKEN, URL, FORM, _sign(URL, FORM, token="x" * 32))


def test_tampered_parameter_is_rejected() -> None:
    """Changing any signed field after signing breaks the signature."""
    signature = _sign(URL, FORM)
    assert not is_valid_twilio_signature(TOKEN, URL, {**FORM, "Body": "changed"}, signature)


def test_added_parameter_is_rejected() -> None:
    """An extra field not covered by the signature breaks it."""
    signature = _sign(URL, FORM)
    assert not is_valid_twilio_signature(TOKEN, URL, {**FORM, "Extra": "1"}, signature)


def test_other_url_is_rejected() -> None:
    """A signature for one URL does not validate for another path."""
    signature = _sign(URL, FORM)
    assert not is_valid_twilio_signature(TOKEN, URL + "/other", FORM, signature)


def test_empty_auth_token_never_validates() -> None:
    """An unset auth token cannot validate anything, even a matching empty-key signature."""
    assert not is_valid_twilio_signature("", URL, FORM, _sign(URL, FORM, token=""))


@pytest.mark.parametrize(
    ("signed_url", "checked_url"),
    [
        pytest.param(URL, "https://bot.example.org:443/webhooks/twilio", id="signed-without-port"),
        pytest.param("https://bot.example.org:443/webhooks/twilio", URL, id="signed-with-port"),
    ],
)
def test_default_port_is_tolerated_both_ways(signed_url: str, checked_url: str) -> None:
    """Twilio signs with or without :443 inconsistently, so both forms validate."""
    assert is_valid_twilio_signature(TOKEN, checked_url, FORM, _sign(signed_url, FORM))


def test_non_default_port_must_match() -> None:
    """A URL on a non-default port validates only with that port in it."""
    url = "http://127.0.0.1:8080/webhooks/twilio?x=1"
    assert is_valid_twilio_signature(TOKEN, url, FORM, _sign(url, FORM))
    assert not is_valid_twilio_signature(
        TOKEN, url.replace(":8080", ":9090"), FORM, _sign(url, FORM)
    )


def test_every_value_of_a_repeated_field_is_signed() -> None:
    """Repeated fields (MediaUrl0…, or duplicates) are signed value by value, sorted."""
    pairs = [*FORM.items(), ("Tag", "b"), ("Tag", "a")]
    form = _MultiForm(pairs)
    payload = URL + "".join(k + v for k, v in sorted(pairs))
    digest = hmac.new(TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    assert is_valid_twilio_signature(TOKEN, URL, form, base64.b64encode(digest).decode())


def test_inbound_form_becomes_a_neutral_message() -> None:
    """From, Body, MessageSid and ProfileName map onto InboundMessage fields."""
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    message = parse_inbound_form(FORM, received_at=when)
    assert message.channel == "whatsapp"
    assert message.chat_id == "+2348012345678"
    assert message.sender_id == "+2348012345678"
    assert message.text == "Salam, Umrah prices?"
    assert message.sender_name == "Aisha"
    assert message.message_ref == f"whatsapp:msg:{'SM' + '1' * 32}"
    assert message.received_at == when
    assert message.chat_kind is ChatKind.PRIVATE
    assert message.choice_data is None


def test_quick_reply_button_sets_choice_data_and_text() -> None:
    """A quick-reply tap carries ButtonPayload as choice_data and ButtonText as the text."""
    form = {**FORM, "Body": "", "ButtonText": "Umrah", "ButtonPayload": "umrah"}
    message = parse_inbound_form(form)
    assert message.choice_data == "umrah"
    assert message.text == "Umrah"


def test_a_click_to_whatsapp_ad_is_kept_as_the_referral() -> None:
    """Twilio's ReferralSourceId (else the click id) names the ad the customer tapped."""
    ad = {**FORM, "ReferralSourceId": "120210", "ReferralHeadline": "Umrah 1448"}
    assert parse_inbound_form(ad).referral == "120210"
    assert parse_inbound_form({**FORM, "ReferralCtwaClid": "clid-9"}).referral == "clid-9"
    assert parse_inbound_form(FORM).referral is None


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({k: v for k, v in FORM.items() if k != "From"}, id="no-from"),
        pytest.param({k: v for k, v in FORM.items() if k != "MessageSid"}, id="no-sid"),
        pytest.param({**FORM, "From": "+2348012345678"}, id="sms-address"),
    ],
)
def test_inbound_form_without_required_fields_is_refused(form: dict[str, str]) -> None:
    """A form that is not a WhatsApp message raises InvalidWebhookForm."""
    with pytest.raises(InvalidWebhookForm):
        parse_inbound_form(form)


def test_status_form_with_error_code_becomes_a_failed_report() -> None:
    """A failed callback yields a neutral report: the sid, FAILED, the reason and the detail."""
    form = {
        "MessageSid": "SM" + "2" * 32,
        "MessageStatus": "failed",
        "ErrorCode": "63016",
        "To": "whatsapp:+2348012345678",
    }
    assert parse_status_form(form) == DeliveryReport(
        "SM" + "2" * 32, DeliveryState.FAILED, "outside_window", "twilio failed 63016"
    )


def test_status_form_falls_back_to_sms_status_and_no_code() -> None:
    """Legacy SmsStatus is read when MessageStatus is absent; a success has no error key."""
    report = parse_status_form({"MessageSid": "SM1", "SmsStatus": "Delivered"})
    assert report == DeliveryReport("SM1", DeliveryState.DELIVERED, None, "twilio delivered")


def test_status_form_without_status_is_refused() -> None:
    """A status callback with no status at all is refused."""
    with pytest.raises(InvalidWebhookForm):
        parse_status_form({"MessageSid": "SM1"})


def test_status_form_without_sid_is_refused() -> None:
    """A status callback that names no message cannot be matched to a row and is refused."""
    with pytest.raises(InvalidWebhookForm):
        parse_status_form({"MessageStatus": "sent"})


@pytest.mark.parametrize(
    ("status", "state"),
    [
        pytest.param("accepted", DeliveryState.QUEUED, id="accepted"),
        pytest.param("scheduled", DeliveryState.QUEUED, id="scheduled"),
        pytest.param("queued", DeliveryState.QUEUED, id="queued"),
        pytest.param("sending", DeliveryState.SENDING, id="sending"),
        pytest.param("sent", DeliveryState.SENT, id="sent"),
        pytest.param("delivered", DeliveryState.DELIVERED, id="delivered"),
        pytest.param("read", DeliveryState.READ, id="read"),
        pytest.param("undelivered", DeliveryState.FAILED, id="undelivered"),
        pytest.param("failed", DeliveryState.FAILED, id="failed"),
        pytest.param("canceled", DeliveryState.FAILED, id="canceled"),
    ],
)
def test_twilio_statuses_map_to_neutral_states(status: str, state: DeliveryState) -> None:
    """Each Twilio status becomes its neutral state; every failure word becomes FAILED."""
    report = parse_status_form({"MessageSid": "SM1", "MessageStatus": status.upper()})
    assert report is not None
    assert report.state is state
    assert TWILIO_STATES[status] is state
    assert (report.error_key is not None) is (state is DeliveryState.FAILED)


def test_an_undelivered_status_is_a_failure_with_its_reason() -> None:
    """Twilio's "undelivered" leaves as FAILED with the neutral reason of its ErrorCode."""
    report = parse_status_form(
        {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "63014"}
    )
    assert report == DeliveryReport(
        "SM1", DeliveryState.FAILED, "blocked", "twilio undelivered 63014"
    )


def test_an_error_code_on_a_success_status_sets_no_reason() -> None:
    """Only a failure carries an error key; a code on "sent" is kept in the detail only."""
    report = parse_status_form({"MessageSid": "SM1", "MessageStatus": "sent", "ErrorCode": "30008"})
    assert report == DeliveryReport("SM1", DeliveryState.SENT, None, "twilio sent 30008")


@pytest.mark.parametrize("status", ["receiving", "received", "partially_delivered", "bogus"])
def test_a_status_we_do_not_track_gives_no_report(status: str) -> None:
    """Statuses outside the outbound lifecycle (e.g. "receiving") give None, not an error."""
    assert parse_status_form({"MessageSid": "SM1", "MessageStatus": status}) is None


def test_a_non_numeric_error_code_is_ignored() -> None:
    """An ErrorCode that is not a plain number is treated as absent: the generic reason."""
    report = parse_status_form(
        {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "٦٣٠١٦"}
    )
    assert report == DeliveryReport("SM1", DeliveryState.FAILED, "failed", "twilio failed")


@pytest.mark.parametrize(
    ("code", "key"),
    [
        pytest.param(63016, "outside_window", id="63016"),
        pytest.param(63014, "blocked", id="63014"),
        pytest.param(63024, "invalid_recipient", id="63024"),
        pytest.param(63003, "not_on_whatsapp", id="63003"),
        pytest.param(21610, "opted_out", id="21610"),
        pytest.param(63017, "sender_rate_limited", id="63017"),
        pytest.param(63018, "sender_rate_limited", id="63018"),
        pytest.param(30008, "twilio_30008", id="other"),
        pytest.param(None, "failed", id="none"),
    ],
)
def test_failed_callback_codes_map_to_error_keys(code: int | None, key: str) -> None:
    """A failed callback's ErrorCode yields the same error_key a synchronous error would."""
    assert failure_key(code) == key


def test_inbound_media_become_attachments_by_mime_type() -> None:
    """MediaUrlN with MediaContentTypeN become attachments whose kind follows the MIME type."""
    form = {
        **FORM,
        "Body": "",
        "NumMedia": "3",
        "MediaUrl0": "https://api.twilio.com/media/ME0",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://api.twilio.com/media/ME1",
        "MediaContentType1": "audio/ogg",
        "MediaUrl2": "https://api.twilio.com/media/ME2",
        "MediaContentType2": "application/pdf",
    }
    message = parse_inbound_form(form)
    assert message.text == ""
    assert message.attachments == (
        Attachment("photo", "https://api.twilio.com/media/ME0", "image/jpeg"),
        Attachment("voice", "https://api.twilio.com/media/ME1", "audio/ogg"),
        Attachment("document", "https://api.twilio.com/media/ME2", "application/pdf"),
    )


@pytest.mark.parametrize("num_media", ["", "abc", "-1", "0"])
def test_a_missing_or_garbled_media_count_gives_no_attachments(num_media: str) -> None:
    """NumMedia that is absent, zero or not a number yields no attachments, not an error."""
    form = {**FORM, "NumMedia": num_media, "MediaUrl0": "https://api.twilio.com/media/ME0"}
    assert parse_inbound_form(form).attachments == ()
