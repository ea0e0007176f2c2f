"""Tests for WhatsAppChannel: the twilio transport seam, error mapping, and a real-wire path."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlencode

import aiohttp
import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot.channels.whatsapp.adapter import WhatsAppChannel, WhatsAppTemplate
from bot.channels.whatsapp.forms import is_valid_twilio_signature
from bot.channels.whatsapp.platform import SESSION_WINDOW
from bot.channels.whatsapp.webhook import EMPTY_TWIML, INBOUND_PATH, STATUS_PATH
from bot.core.channel import Channel
from bot.core.clock import FrozenClock
from bot.core.errors import (
    ChannelError,
    ChannelUnavailable,
    DestinationInvalid,
    PermanentError,
    RateLimited,
    RecipientUnreachable,
    TransientError,
)
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import InboundMessage, OutboundMessage, Recipient, bold, plain
from bot.core.reports import DeliveryReport, DeliveryState
from tests.fakes.twilio_api import DEFAULT_SENDER, FakeTwilioApi, serving
from tests.fakes.twilio_http import FakeTwilioHttp

SID = "AC" + "c3" * 16
TOKEN = "e" * 32
TEMPLATE_SID = "HX" + "d4" * 16
NUMBER = "+2348012345678"
TO = Recipient(ChannelName("whatsapp"), ChatId(NUMBER))
TEMPLATES = {"broadcast": WhatsAppTemplate(TEMPLATE_SID, ("title", "url"))}
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PUBLIC = "https://bot.example.org"


class Inbox:
    """Collects what the channel hands to the core."""

    def __init__(self) -> None:
        self.received: list[InboundMessage] = []

    async def __call__(self, message: InboundMessage) -> None:
        self.received.append(message)


def _channel(http: FakeTwilioHttp | None = None, **kwargs: object) -> WhatsAppChannel:
    options: dict[str, object] = {"templates": TEMPLATES, "http_client": http}
    options.update(kwargs)
    return WhatsAppChannel(SID, TOKEN, DEFAULT_SENDER, Inbox(), **options)  # type: ignore[arg-type]


def _text(text: str = "Salam") -> OutboundMessage:
    return OutboundMessage(TO, (plain(text),))


def _template_message(**values: str) -> OutboundMessage:
    pairs = tuple(values.items()) or (("title", "Umrah *deal*"), ("url", "https://f.example/t/1"))
    return OutboundMessage(
        TO, (plain("ignored"),), kind="broadcast", template_values=pairs, use_template=True
    )


@pytest.fixture
def http() -> FakeTwilioHttp:
    return FakeTwilioHttp(SID)


@pytest.fixture
async def channel(http: FakeTwilioHttp) -> AsyncIterator[WhatsAppChannel]:
    ch = _channel(http, public_url=PUBLIC)
    await ch.start()
    yield ch
    await ch.stop()


def test_channel_implements_the_protocol_without_buttons() -> None:
    """WhatsAppChannel is a Channel named whatsapp that declares no button support."""
    ch = _channel()
    assert isinstance(ch, Channel)
    assert ch.name == "whatsapp"
    assert ch.capabilities.buttons is False
    assert ch.capabilities.edits is False


def test_capabilities_declare_the_window_keywords_and_configured_templates() -> None:
    """The channel declares the 24-hour window, keyword commands and its templates' kinds."""
    caps = _channel().capabilities
    assert (caps.session_window, caps.keywords, caps.max_text) == (SESSION_WINDOW, True, 1600)
    assert caps.templates == frozenset({"broadcast"})
    assert _channel(templates={}).capabilities.templates == frozenset()


def test_the_status_callback_url_follows_the_public_url() -> None:
    """With a public URL Twilio is told STATUS_PATH under it; without one there is none."""
    assert _channel(public_url=PUBLIC + "/").status_callback_url == PUBLIC + STATUS_PATH
    assert _channel().status_callback_url is None


async def test_without_a_public_url_no_status_callback_is_requested(http: FakeTwilioHttp) -> None:
    """A channel with no public URL sends without StatusCallback (Twilio could not reach it)."""
    ch = _channel(http)
    await ch.start()
    await ch.send(_text())
    assert "StatusCallback" not in http.last.data
    assert http.last.data["Body"] == "Salam"


def test_repr_never_shows_the_auth_token() -> None:
    """The channel's repr (what ends up in logs) leaves the auth token out."""
    assert TOKEN not in repr(_channel())


async def test_send_posts_body_to_twilio_messages(
    channel: WhatsAppChannel, http: FakeTwilioHttp
) -> None:
    """A text message is POSTed to Messages.json with WhatsApp addresses and a rendered body."""
    result = await channel.send(OutboundMessage(TO, (bold("New"), plain(" topic"))))
    request = http.last
    assert request.method == "POST"
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.auth == (SID, TOKEN)
    assert dict(request.data) == {
        "To": f"whatsapp:{NUMBER}",
        "From": DEFAULT_SENDER,
        "Body": "*New* topic",
        "StatusCallback": PUBLIC + STATUS_PATH,
    }
    assert result.provider_message_id is not None
    assert result.provider_message_id.startswith("SM")
    assert result.extra["status"] == "queued"


async def test_api_base_url_redirects_requests(http: FakeTwilioHttp) -> None:
    """api_base_url replaces Twilio's host, which is how the fake server is reached."""
    ch = _channel(http, api_base_url="http://127.0.0.1:9/")
    await ch.start()
    await ch.send(_text())
    assert http.last.url == f"http://127.0.0.1:9/2010-04-01/Accounts/{SID}/Messages.json"


async def test_secret_token_is_unwrapped(http: FakeTwilioHttp) -> None:
    """A pydantic SecretStr token is used for auth like a plain string."""
    ch = WhatsAppChannel(SID, SecretStr(TOKEN), NUMBER, Inbox(), http_client=http)
    await ch.start()
    await ch.send(_text())
    assert http.last.auth == (SID, TOKEN)
    assert http.last.data["From"] == DEFAULT_SENDER.replace("+14155238886", NUMBER)


async def test_image_url_is_sent_as_media(channel: WhatsAppChannel, http: FakeTwilioHttp) -> None:
    """An image travels as MediaUrl next to the body."""
    await channel.send(OutboundMessage(TO, (plain("Look"),), image_url="https://f.example/i.jpg"))
    assert http.last.data["MediaUrl"] == ["https://f.example/i.jpg"]


async def test_template_sends_content_sid_and_json_string_without_body(
    channel: WhatsAppChannel, http: FakeTwilioHttp
) -> None:
    """A template message carries ContentSid and ContentVariables as a JSON string, no Body."""
    await channel.send(_template_message())
    data = http.last.data
    assert "Body" not in data
    assert data["ContentSid"] == TEMPLATE_SID
    assert isinstance(data["ContentVariables"], str)
    assert json.loads(data["ContentVariables"]) == {
        "1": "Umrah *deal*",
        "2": "https://f.example/t/1",
    }


async def test_missing_template_is_a_permanent_error(
    channel: WhatsAppChannel, http: FakeTwilioHttp
) -> None:
    """A message that needs a template of an unconfigured kind fails without calling Twilio."""
    message = OutboundMessage(TO, (plain("x"),), kind="topic_alert", use_template=True)
    with pytest.raises(PermanentError) as caught:
        await channel.send(message)
    assert caught.value.error_key == "no_template"
    assert http.requests == []


async def test_send_before_start_is_a_programming_error() -> None:
    """Sending through a channel that was never started fails loudly."""
    with pytest.raises(RuntimeError, match="before start"):
        await _channel(FakeTwilioHttp(SID)).send(_text())


@pytest.mark.parametrize(
    ("code", "status", "error", "key"),
    [
        pytest.param(63016, 400, PermanentError, "outside_window", id="63016"),
        pytest.param(63014, 400, RecipientUnreachable, "blocked", id="63014"),
        pytest.param(63024, 400, RecipientUnreachable, "invalid_recipient", id="63024"),
        pytest.param(63003, 400, RecipientUnreachable, "not_on_whatsapp", id="63003"),
        pytest.param(63018, 400, RateLimited, "rate_limited", id="63018"),
        pytest.param(63017, 400, RateLimited, "rate_limited", id="63017"),
        pytest.param(20429, 429, RateLimited, "rate_limited", id="20429"),
        pytest.param(21211, 400, DestinationInvalid, "invalid_number", id="21211"),
        pytest.param(21614, 400, DestinationInvalid, "not_mobile", id="21614"),
        pytest.param(21617, 400, PermanentError, "body_too_long", id="21617"),
        pytest.param(63007, 400, PermanentError, "invalid_sender", id="63007"),
        pytest.param(63027, 400, PermanentError, "template_missing", id="63027"),
        pytest.param(63028, 400, PermanentError, "template_variables_invalid", id="63028"),
        pytest.param(63020, 400, PermanentError, "sender_account_problem", id="63020"),
        pytest.param(20003, 401, ChannelUnavailable, "channel_unavailable", id="20003"),
        pytest.param(21656, 400, PermanentError, "twilio_21656", id="other-4xx"),
        pytest.param(20500, 500, TransientError, "server_error", id="500"),
        pytest.param(20503, 503, TransientError, "server_error", id="503"),
    ],
)
async def test_twilio_errors_map_to_neutral_errors(
    channel: WhatsAppChannel,
    http: FakeTwilioHttp,
    code: int,
    status: int,
    error: type[ChannelError],
    key: str,
) -> None:
    """Each Twilio error code or HTTP status becomes the documented neutral error."""
    http.respond_error(code, status)
    with pytest.raises(ChannelError) as caught:
        await channel.send(_text())
    assert type(caught.value) is error
    assert caught.value.error_key == key
    assert not isinstance(caught.value, RecipientUnreachable) or not caught.value.retryable


async def test_plain_http_429_without_code_is_rate_limited(
    channel: WhatsAppChannel, http: FakeTwilioHttp
) -> None:
    """A 429 whose body is not Twilio JSON is still a rate limit, by HTTP status."""
    http.respond(429, {"unexpected": True})
    with pytest.raises(RateLimited):
        await channel.send(_text())


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"Retry-After": "7"}, 7.0, id="seconds"),
        pytest.param({"retry-after": "2.5"}, 2.5, id="lowercase-fractional"),
        pytest.param({}, 1.0, id="absent-defaults-to-1s"),
        pytest.param({"Retry-After": "soon"}, 1.0, id="garbage-defaults-to-1s"),
    ],
)
async def test_retry_after_header_is_honoured(
    channel: WhatsAppChannel, http: FakeTwilioHttp, headers: dict[str, str], expected: float
) -> None:
    """RateLimited.retry_after comes from Retry-After, or 1 s when Twilio gives none."""
    http.respond_error(20429, 429, headers)
    with pytest.raises(RateLimited) as caught:
        await channel.send(_text())
    assert caught.value.retry_after == expected
    assert caught.value.retryable


async def test_retry_after_http_date_is_converted_to_seconds(
    channel: WhatsAppChannel, http: FakeTwilioHttp
) -> None:
    """An HTTP-date Retry-After becomes the seconds left until then."""
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    http.respond_error(20429, 429, {"Retry-After": when})
    with pytest.raises(RateLimited) as caught:
        await channel.send(_text())
    assert 25 <= caught.value.retry_after <= 30


async def test_retry_after_of_an_earlier_call_does_not_leak(
    channel: WhatsAppChannel, http: FakeTwilioHttp
) -> None:
    """A Retry-After seen on one response is not reused for a later 429 without one."""
    http.respond(201, {"sid": "SM1", "status": "queued"}, {"Retry-After": "30"})
    await channel.send(_text())
    http.respond_error(63018, 400)
    with pytest.raises(RateLimited) as caught:
        await channel.send(_text())
    assert caught.value.retry_after == 1.0


@pytest.mark.parametrize(
    ("failure", "key"),
    [
        pytest.param(aiohttp.ClientConnectionError("reset"), "network", id="connection"),
        pytest.param(aiohttp.ServerDisconnectedError(), "network", id="disconnect"),
        pytest.param(TimeoutError(), "timeout", id="timeout"),
    ],
)
async def test_network_failures_are_transient(
    channel: WhatsAppChannel, http: FakeTwilioHttp, failure: BaseException, key: str
) -> None:
    """Connection errors and timeouts become retryable TransientError."""
    http.raise_next(failure)
    with pytest.raises(TransientError) as caught:
        await channel.send(_text())
    assert caught.value.error_key == key
    assert caught.value.retryable


def _signed(path: str, form: dict[str, str]) -> dict[str, str]:
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, form)
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}


def _routes_client(ch: WhatsAppChannel) -> httpx.AsyncClient:
    app = Starlette(routes=list(ch.web_routes()))
    # The internal host differs from the public URL, as behind a proxy.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://10.0.0.5")


def test_web_routes_are_the_signed_inbound_and_status_routes() -> None:
    """The channel mounts POST routes at INBOUND_PATH and STATUS_PATH, and nothing else."""
    routes = [(r.path, r.methods) for r in _channel().web_routes() if isinstance(r, Route)]
    assert routes == [(INBOUND_PATH, {"POST"}), (STATUS_PATH, {"POST"})]


async def test_a_signed_inbound_post_is_stored_before_it_is_answered() -> None:
    """A verified inbound form reaches the core as a neutral message before the empty TwiML."""
    inbox = Inbox()
    ch = WhatsAppChannel(SID, TOKEN, DEFAULT_SENDER, inbox, public_url=PUBLIC)
    form = {"From": f"whatsapp:{NUMBER}", "Body": "1", "MessageSid": "SM" + "9" * 32}
    async with _routes_client(ch) as client:
        answer = await client.post(
            INBOUND_PATH, content=urlencode(form), headers=_signed(INBOUND_PATH, form)
        )
        (message,) = inbox.received  # already there when the answer came
    assert (answer.status_code, answer.text) == (200, EMPTY_TWIML)
    assert (message.chat_id, message.text) == (NUMBER, "1")
    assert message.message_ref == "whatsapp:msg:SM" + "9" * 32


async def test_an_inbound_post_that_cannot_be_stored_is_not_acknowledged() -> None:
    """When storing fails (the database is locked) Twilio gets a 503, never a 200."""

    async def locked(message: InboundMessage) -> None:
        raise RuntimeError("database is locked")

    ch = WhatsAppChannel(SID, TOKEN, DEFAULT_SENDER, locked, public_url=PUBLIC)
    form = {"From": f"whatsapp:{NUMBER}", "Body": "hi", "MessageSid": "SM" + "8" * 32}
    async with _routes_client(ch) as client:
        answer = await client.post(
            INBOUND_PATH, content=urlencode(form), headers=_signed(INBOUND_PATH, form)
        )
    assert answer.status_code == 503
    assert EMPTY_TWIML not in answer.text


async def test_a_signed_status_post_reaches_on_report_as_a_neutral_report() -> None:
    """A status callback through the channel's route reaches on_report as a DeliveryReport."""
    reports: list[DeliveryReport] = []
    ch = WhatsAppChannel(
        SID, TOKEN, DEFAULT_SENDER, Inbox(), public_url=PUBLIC, on_report=_recording(reports)
    )
    form = {"MessageSid": "SM1", "MessageStatus": "read", "To": f"whatsapp:{NUMBER}"}
    async with _routes_client(ch) as client:
        answer = await client.post(
            STATUS_PATH, content=urlencode(form), headers=_signed(STATUS_PATH, form)
        )
    assert answer.status_code == 204
    assert reports == [DeliveryReport("SM1", DeliveryState.READ, None, "twilio read")]


async def test_stop_leaves_an_injected_transport_open(http: FakeTwilioHttp) -> None:
    """An injected http client belongs to its owner, so stop() does not close it."""
    ch = _channel(http)
    await ch.start()
    await ch.stop()
    assert not http.closed


# --- the real twilio client and aiohttp against the fake Twilio server ---------------------


async def _real_channel(fake: FakeTwilioApi, **kwargs: object) -> WhatsAppChannel:
    options: dict[str, object] = {"api_base_url": fake.base_url, "templates": TEMPLATES}
    options.update(kwargs)
    ch = WhatsAppChannel(SID, TOKEN, DEFAULT_SENDER, Inbox(), **options)  # type: ignore[arg-type]
    await ch.start()
    return ch


async def test_real_client_sends_through_the_fake_server(caplog: pytest.LogCaptureFixture) -> None:
    """The real SDK reaches the fake via api_base_url, and the auth token is never logged."""
    caplog.set_level(logging.DEBUG)
    async with FakeTwilioApi.running(SID, TOKEN) as fake:
        ch = await _real_channel(fake)
        try:
            result = await ch.send(_text("Salam *all* of_you_"))
        finally:
            await ch.stop()
    (stored,) = fake.messages
    assert result.provider_message_id == stored.sid
    assert stored.params["Body"] == "Salam \uff0aall\uff0a of\uff3fyou\uff3f"
    assert TOKEN not in caplog.text


async def test_real_client_template_is_accepted_by_the_fake() -> None:
    """A template send passes the fake's ContentSid and ContentVariables validation."""
    async with FakeTwilioApi.running(SID, TOKEN, templates={TEMPLATE_SID: 2}) as fake:
        ch = await _real_channel(fake)
        try:
            await ch.send(_template_message())
        finally:
            await ch.stop()
    (stored,) = fake.messages
    assert "Body" not in stored.params
    assert json.loads(stored.params["ContentVariables"])["1"] == "Umrah *deal*"


async def test_real_client_maps_429_to_rate_limited() -> None:
    """Over the fake's per-sender rate, the adapter raises RateLimited with Retry-After."""
    frozen = 50.0
    async with FakeTwilioApi.running(
        SID, TOKEN, rate_per_second=1, monotonic=lambda: frozen
    ) as fake:
        ch = await _real_channel(fake)
        try:
            await ch.send(_text())
            with pytest.raises(RateLimited) as caught:
                await ch.send(_text())
        finally:
            await ch.stop()
    assert caught.value.retry_after == 1.0
    assert len(fake.messages) == 1


async def test_real_client_maps_validation_and_auth_errors() -> None:
    """An invalid number and wrong credentials come back as neutral errors over the wire."""
    async with FakeTwilioApi.running(SID, TOKEN) as fake:
        ch = await _real_channel(fake)
        bad = WhatsAppChannel(SID, "x" * 32, DEFAULT_SENDER, Inbox(), api_base_url=fake.base_url)
        await bad.start()
        try:
            with pytest.raises(DestinationInvalid):
                await ch.send(OutboundMessage(Recipient(TO.channel, ChatId("0801")), (plain("x"),)))
            with pytest.raises(ChannelUnavailable) as caught:
                await bad.send(_text())
        finally:
            await ch.stop()
            await bad.stop()
    assert caught.value.error_key == "channel_unavailable"
    assert caught.value.scope == "channel"


async def test_real_client_connection_refused_is_transient() -> None:
    """With nothing listening, the aiohttp connection error becomes TransientError."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ch = WhatsAppChannel(
        SID, TOKEN, DEFAULT_SENDER, Inbox(), api_base_url=f"http://127.0.0.1:{port}"
    )
    await ch.start()
    try:
        with pytest.raises(TransientError) as caught:
            await ch.send(_text())
    finally:
        await ch.stop()
    assert caught.value.error_key == "network"


async def test_outside_window_send_succeeds_then_fails_by_signed_callback() -> None:
    """Outside the window the send is queued, then a signed callback reports failed 63016."""
    reports: list[DeliveryReport] = []
    app = Starlette()
    async with (
        serving(app) as service,
        FakeTwilioApi.running(SID, TOKEN, clock=FrozenClock(NOW)) as fake,
    ):
        fake.set_last_inbound(NUMBER, NOW - timedelta(days=2))
        ch = await _real_channel(fake, public_url=service, on_report=_recording(reports))
        app.router.routes.extend(ch.web_routes())
        try:
            result = await ch.send(_text("Are you still interested?"))
        finally:
            await ch.stop()
        await fake.wait_for_callbacks(1)
    assert result.extra["status"] == "queued"
    (callback,) = fake.callbacks
    assert callback.url == f"{service}{STATUS_PATH}"
    assert is_valid_twilio_signature(TOKEN, callback.url, callback.params, callback.signature)
    assert callback.status_code == 204
    assert callback.params["To"] == f"whatsapp:{NUMBER}"
    assert result.provider_message_id is not None
    assert reports == [
        DeliveryReport(
            result.provider_message_id,
            DeliveryState.FAILED,
            "outside_window",
            "twilio failed 63016",
        )
    ]


async def test_twilio_edge_environment_cannot_bypass_base_url(
    http: FakeTwilioHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TWILIO_EDGE/TWILIO_REGION in the environment do not rewrite the configured host."""
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    ch = _channel(http, api_base_url="http://127.0.0.1:9")
    await ch.start()
    await ch.send(_text())
    assert http.last.url.startswith("http://127.0.0.1:9/2010-04-01/")


def _recording(reports: list[DeliveryReport]) -> Callable[[DeliveryReport], Awaitable[None]]:
    async def record(report: DeliveryReport) -> None:
        reports.append(report)

    return record
