"""Tests for Twilio webhook helpers: signature checks, inbound and status form parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from bot.channels.twilio_webhooks import (
    InvalidWebhookForm,
    StatusUpdate,
    failure_key,
    is_valid_twilio_signature,
    parse_inbound_form,
    parse_status_form,
    status_rank,
)
from bot.core.ids import ChatId
from bot.core.messages import ChatKind

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


def test_status_form_with_error_code_is_parsed() -> None:
    """A failed status callback yields the sid, status, numeric error code and recipient."""
    form = {
        "MessageSid": "SM" + "2" * 32,
        "MessageStatus": "failed",
        "ErrorCode": "63016",
        "To": "whatsapp:+2348012345678",
    }
    assert parse_status_form(form) == StatusUpdate(
        "SM" + "2" * 32, "failed", 63016, chat_id=ChatId("+2348012345678")
    )


def test_status_form_falls_back_to_sms_status_and_no_code() -> None:
    """Legacy SmsStatus is read when MessageStatus is absent; no ErrorCode means None."""
    update = parse_status_form({"MessageSid": "SM1", "SmsStatus": "Delivered"})
    assert (update.status, update.error_code, update.chat_id) == ("delivered", None, None)


def test_status_form_without_status_is_refused() -> None:
    """A status callback with no status at all is refused."""
    with pytest.raises(InvalidWebhookForm):
        parse_status_form({"MessageSid": "SM1"})


def test_status_ranks_follow_the_delivery_order() -> None:
    """queued < sending < sent < delivered < read, and failures rank above all of them."""
    ranks = [status_rank(s) for s in ("queued", "sending", "sent", "delivered", "read")]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 5
    assert status_rank("failed") > status_rank("read")
    assert status_rank("undelivered") > status_rank("read")
    assert status_rank("unheard-of") < status_rank("queued")


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        pytest.param("queued", "sent", True, id="first-callback"),
        pytest.param("sent", "delivered", True, id="forward"),
        pytest.param("read", "delivered", False, id="late-delivered"),
        pytest.param("delivered", "delivered", False, id="duplicate"),
        pytest.param("failed", "delivered", False, id="after-terminal"),
        pytest.param("read", "failed", True, id="to-failed"),
        pytest.param("sent", "bogus", False, id="unknown"),
    ],
)
def test_status_ranks_only_let_reports_move_forward(current: str, new: str, allowed: bool) -> None:
    """The rank the outbox applies lets late or duplicated callbacks never move a status back."""
    assert (status_rank(new) > status_rank(current)) is allowed


@pytest.mark.parametrize(
    ("code", "key"),
    [
        pytest.param(63016, "outside_window", id="63016"),
        pytest.param(63014, "blocked", id="63014"),
        pytest.param(30008, "twilio_30008", id="other"),
        pytest.param(None, "failed", id="none"),
    ],
)
def test_failed_callback_codes_map_to_error_keys(code: int | None, key: str) -> None:
    """A failed callback's ErrorCode yields the same error_key a synchronous error would."""
    assert failure_key(code) == key
