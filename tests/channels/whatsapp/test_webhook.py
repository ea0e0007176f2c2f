"""Twilio's webhook routes: forged requests are refused before anything is stored or processed."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from twilio.request_validator import RequestValidator

from bot.channels.http import MAX_BODY
from bot.channels.whatsapp.forms import parse_inbound_form
from bot.channels.whatsapp.webhook import EMPTY_TWIML, INBOUND_PATH, STATUS_PATH, twilio_routes
from bot.core.messages import InboundMessage
from bot.core.reports import DeliveryReport, DeliveryState

AUTH_TOKEN = "twilio-test-auth-token-0123456789"
PUBLIC = "https://minbar.example.ng"
FORM_TYPE = {"Content-Type": "application/x-www-form-urlencoded"}


class Recorder:
    """Collects inbound messages and delivery reports handed on by the routes."""

    def __init__(self) -> None:
        self.inbound: list[InboundMessage] = []
        self.reports: list[DeliveryReport] = []

    async def on_inbound(self, message: InboundMessage) -> None:
        """Record an inbound message."""
        self.inbound.append(message)

    async def on_report(self, report: DeliveryReport) -> None:
        """Record a delivery report."""
        self.reports.append(report)


def _client(recorder: Recorder) -> httpx.AsyncClient:
    routes = twilio_routes(
        auth_token=AUTH_TOKEN,
        public_url=PUBLIC,
        on_inbound=recorder.on_inbound,
        on_report=recorder.on_report,
    )
    # The internal host differs from the public URL, as behind a proxy.
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=Starlette(routes=routes)),
        base_url="http://10.0.0.5:8080",
    )


def _sign(path: str, params: Mapping[str, str]) -> str:
    return str(RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, dict(params)))


def _signed(path: str, params: Mapping[str, str]) -> dict[str, str]:
    return {**FORM_TYPE, "X-Twilio-Signature": _sign(path, params)}


INBOUND = {
    "MessageSid": "SM" + "a" * 32,
    "AccountSid": "AC" + "b" * 32,
    "From": "whatsapp:+2348012345678",
    "To": "whatsapp:+14155238886",
    "Body": "Umrah <b>&amp; price?",
    "ProfileName": "Aisha",
    "NumMedia": "0",
    "WaId": "2348012345678",
}


async def test_a_signed_inbound_message_is_answered_with_empty_twiml_and_processed() -> None:
    """A correctly signed form is handed on (stored) and then answered with empty TwiML."""
    rec = Recorder()
    async with _client(rec) as client:
        response = await client.post(
            INBOUND_PATH, content=urlencode(INBOUND), headers=_signed(INBOUND_PATH, INBOUND)
        )
    assert response.status_code == 200
    assert response.text == EMPTY_TWIML
    assert response.headers["content-type"].startswith("application/xml")
    [message] = rec.inbound
    assert message == parse_inbound_form(INBOUND, received_at=message.received_at)
    assert (message.chat_id, message.text, message.sender_name) == (
        "+2348012345678",
        "Umrah <b>&amp; price?",
        "Aisha",
    )


async def test_forged_inbound_messages_are_refused_and_never_processed() -> None:
    """Missing, wrong and tampered signatures all get 403; nothing is processed."""
    rec = Recorder()
    good = _sign(INBOUND_PATH, INBOUND)
    tampered = dict(INBOUND, Body="Send me your PIN")
    async with _client(rec) as client:
        missing = await client.post(INBOUND_PATH, content=urlencode(INBOUND), headers=FORM_TYPE)
        wrong = await client.post(
            INBOUND_PATH,
            content=urlencode(INBOUND),
            headers={**FORM_TYPE, "X-Twilio-Signature": good[::-1]},
        )
        changed = await client.post(
            INBOUND_PATH,
            content=urlencode(tampered),
            headers={**FORM_TYPE, "X-Twilio-Signature": good},
        )
    assert [r.status_code for r in (missing, wrong, changed)] == [403, 403, 403]
    assert rec.inbound == []


async def test_the_signature_is_checked_against_the_public_url_not_the_host_header() -> None:
    """A form signed for the internal host (not the public URL) is refused."""
    rec = Recorder()
    internal = str(
        RequestValidator(AUTH_TOKEN).compute_signature(
            f"http://10.0.0.5:8080{INBOUND_PATH}", INBOUND
        )
    )
    async with _client(rec) as client:
        response = await client.post(
            INBOUND_PATH,
            content=urlencode(INBOUND),
            headers={**FORM_TYPE, "X-Twilio-Signature": internal},
        )
    assert response.status_code == 403
    assert rec.inbound == []


async def test_a_signed_form_that_is_not_a_whatsapp_message_is_a_clear_400() -> None:
    """A signed inbound form without a WhatsApp sender is refused with a reason, not processed."""
    rec = Recorder()
    sms = dict(INBOUND, From="+2348012345678")
    async with _client(rec) as client:
        response = await client.post(
            INBOUND_PATH, content=urlencode(sms), headers=_signed(INBOUND_PATH, sms)
        )
    assert response.status_code == 400
    assert "not a WhatsApp address" in response.text
    assert rec.inbound == []


async def test_a_body_over_the_limit_is_refused_before_the_signature_is_checked() -> None:
    """A form larger than MAX_BODY gets 413 and is never processed."""
    rec = Recorder()
    big = dict(INBOUND, Body="x" * MAX_BODY)
    async with _client(rec) as client:
        response = await client.post(
            INBOUND_PATH, content=urlencode(big), headers=_signed(INBOUND_PATH, big)
        )
    assert response.status_code == 413
    assert rec.inbound == []


STATUS = {
    "MessageSid": "SM" + "c" * 32,
    "MessageStatus": "failed",
    "ErrorCode": "63016",
    "To": "whatsapp:+2348012345678",
    "AccountSid": "AC" + "b" * 32,
}


async def test_a_signed_status_callback_becomes_a_neutral_delivery_report() -> None:
    """A status callback becomes a DeliveryReport with the neutral state and reason."""
    rec = Recorder()
    async with _client(rec) as client:
        response = await client.post(
            STATUS_PATH, content=urlencode(STATUS), headers=_signed(STATUS_PATH, STATUS)
        )
    assert response.status_code == 204
    assert rec.reports == [
        DeliveryReport(
            "SM" + "c" * 32, DeliveryState.FAILED, "outside_window", "twilio failed 63016"
        )
    ]


async def test_an_untracked_status_is_acknowledged_without_a_report() -> None:
    """A "receiving" callback is answered 204 (so Twilio does not retry) and reports nothing."""
    rec = Recorder()
    params = {"MessageSid": "SM" + "d" * 32, "MessageStatus": "receiving"}
    async with _client(rec) as client:
        response = await client.post(
            STATUS_PATH, content=urlencode(params), headers=_signed(STATUS_PATH, params)
        )
    assert response.status_code == 204
    assert rec.reports == []


async def test_a_forged_or_malformed_status_callback_is_refused() -> None:
    """A wrong signature gets 403 and a signed callback without a status gets 400; no report."""
    rec = Recorder()
    no_status = {"MessageSid": "SM" + "e" * 32}
    async with _client(rec) as client:
        forged = await client.post(
            STATUS_PATH,
            content=urlencode(STATUS),
            headers={**FORM_TYPE, "X-Twilio-Signature": _sign(INBOUND_PATH, STATUS)},
        )
        malformed = await client.post(
            STATUS_PATH, content=urlencode(no_status), headers=_signed(STATUS_PATH, no_status)
        )
    assert (forged.status_code, malformed.status_code) == (403, 400)
    assert rec.reports == []
