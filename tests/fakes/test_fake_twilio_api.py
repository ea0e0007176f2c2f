"""The fake Twilio API keeps Twilio's rules: auth, validation codes, rate, window, signatures."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot.core.clock import FrozenClock
from tests.fakes.twilio_api import DEFAULT_SENDER, FakeTwilioApi, serving

SID = "AC" + "a1" * 16
TOKEN = "f" * 32
TEMPLATE = "HX" + "b2" * 16
USER = "whatsapp:+2348012345678"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """Our side of the webhooks: records every signed post it gets."""

    base_url: str = ""
    posts: list[tuple[str, dict[str, str], str | None]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        self.posts.append((request.url.path, form, request.headers.get("x-twilio-signature")))
        return Response("<Response/>", media_type="application/xml")


class Tick:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = Starlette(routes=[Route("/{path:path}", rec.handle, methods=["POST"])])
    async with serving(app) as base_url:
        rec.base_url = base_url
        yield rec


@pytest.fixture
def tick() -> Tick:
    return Tick()


@pytest.fixture
async def fake(tick: Tick) -> AsyncIterator[FakeTwilioApi]:
    async with FakeTwilioApi.running(
        SID, TOKEN, templates={TEMPLATE: 1}, clock=FrozenClock(NOW), monotonic=tick
    ) as api:
        yield api


async def _create(
    fake: FakeTwilioApi, data: dict[str, Any], auth: tuple[str, str] = (SID, TOKEN)
) -> httpx.Response:
    async with httpx.AsyncClient(auth=auth) as http:
        url = f"{fake.base_url}/2010-04-01/Accounts/{SID}/Messages.json"
        return await http.post(url, data=data)


def _valid(url: str, params: dict[str, str], signature: str | None) -> bool:
    return signature is not None and bool(RequestValidator(TOKEN).validate(url, params, signature))


async def test_wrong_credentials_get_twilio_401(fake: FakeTwilioApi) -> None:
    """Bad basic auth is answered with 401 and Twilio's 20003 JSON error."""
    response = await _create(fake, {"To": USER, "From": DEFAULT_SENDER, "Body": "x"}, (SID, "bad"))
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert fake.messages == []


async def test_other_account_path_is_not_found(fake: FakeTwilioApi) -> None:
    """Valid credentials cannot post under another account's path."""
    async with httpx.AsyncClient(auth=(SID, TOKEN)) as http:
        url = f"{fake.base_url}/2010-04-01/Accounts/AC{'0' * 32}/Messages.json"
        response = await http.post(url, data={"To": USER, "From": DEFAULT_SENDER, "Body": "x"})
    assert (response.status_code, response.json()["code"]) == (404, 20404)


BASE = {"To": USER, "From": DEFAULT_SENDER, "Body": "Salam"}
TPL = {"To": USER, "From": DEFAULT_SENDER, "ContentSid": TEMPLATE}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param({"From": DEFAULT_SENDER, "Body": "x"}, 21604, id="no-to"),
        pytest.param({"To": USER, "Body": "x"}, 21603, id="no-from"),
        pytest.param({"To": USER, "From": DEFAULT_SENDER}, 21619, id="no-body"),
        pytest.param({**BASE, "To": "+2348012345678"}, 21211, id="to-without-prefix"),
        pytest.param({**BASE, "To": "whatsapp:08012345678"}, 21211, id="to-not-e164"),
        pytest.param({**BASE, "From": "whatsapp:+15550000000"}, 63007, id="unknown-sender"),
        pytest.param({**BASE, "Body": "x" * 1601}, 21617, id="body-too-long"),
        pytest.param({**BASE, "Body": "🕋" * 801}, 21617, id="emoji-counts-twice"),
        pytest.param({**BASE, "StatusCallback": "not a url"}, 21609, id="bad-callback"),
        pytest.param({**BASE, "ContentVariables": '{"1": "x"}'}, 21654, id="vars-without-sid"),
        pytest.param({**TPL, "ContentSid": "HX" + "0" * 32}, 21655, id="unknown-template"),
        pytest.param({**TPL, "ContentVariables": "{1: x}"}, 21656, id="vars-not-json"),
        pytest.param({**TPL, "ContentVariables": '["x"]'}, 21656, id="vars-not-object"),
        pytest.param({**TPL, "ContentVariables": '{"1": ""}'}, 21656, id="vars-empty"),
        pytest.param(TPL, 21656, id="vars-missing"),
    ],
)  # fmt: skip
async def test_invalid_requests_get_twilio_error_codes(
    fake: FakeTwilioApi, data: dict[str, str], code: int
) -> None:
    """Each invalid request is refused with HTTP 400 and the matching Twilio error code."""
    response = await _create(fake, data)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert fake.messages == []


async def test_valid_request_creates_a_queued_message(fake: FakeTwilioApi) -> None:
    """A valid message is answered 201 with a Message resource in status queued."""
    response = await _create(fake, BASE)
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", body["sid"])
    assert (body["status"], body["to"], body["from"], body["body"]) == (
        "queued",
        USER,
        DEFAULT_SENDER,
        "Salam",
    )
    assert body["date_created"] == "Sun, 01 Mar 2026 12:00:00 +0000"
    assert [m.sid for m in fake.messages] == [body["sid"]]


async def test_fetch_returns_the_stored_message(fake: FakeTwilioApi) -> None:
    """GET Messages/{sid}.json returns the message, and 404 for an unknown sid."""
    sid = (await _create(fake, BASE)).json()["sid"]
    async with httpx.AsyncClient(auth=(SID, TOKEN)) as http:
        base = f"{fake.base_url}/2010-04-01/Accounts/{SID}/Messages"
        found = await http.get(f"{base}/{sid}.json")
        missing = await http.get(f"{base}/SM{'0' * 32}.json")
    assert found.json()["sid"] == sid
    assert missing.status_code == 404


async def test_sender_rate_limit_answers_429_until_tokens_refill(
    tick: Tick,
) -> None:
    """Past the per-sender rate the fake answers 429/20429 with Retry-After, then recovers."""
    async with FakeTwilioApi.running(SID, TOKEN, rate_per_second=1, monotonic=tick) as fake:
        first = await _create(fake, BASE)
        second = await _create(fake, BASE)
        tick.now += 1.0
        third = await _create(fake, BASE)
    assert first.status_code == 201
    assert second.status_code == 429
    assert second.json()["code"] == 20429
    assert second.json()["message"] == "Too Many Requests"
    assert second.headers["retry-after"] == "1"
    assert third.status_code == 201
    assert len(fake.messages) == 2


async def test_free_form_outside_window_fails_later_with_signed_63016(
    fake: FakeTwilioApi, receiver: Receiver
) -> None:
    """Outside the 24-hour window a Body is accepted, then a signed callback reports 63016."""
    callback = f"{receiver.base_url}/webhooks/twilio/status"
    fake.set_last_inbound(USER, NOW - timedelta(hours=24, seconds=1))
    response = await _create(fake, {**BASE, "StatusCallback": callback})
    assert response.status_code == 201
    assert response.json()["status"] == "queued"
    (posted,) = await fake.wait_for_callbacks(1)
    assert posted.params["MessageStatus"] == "failed"
    assert posted.params["ErrorCode"] == "63016"
    assert posted.params["MessageSid"] == response.json()["sid"]
    assert posted.status_code == 200
    path, form, signature = receiver.posts[0]
    assert path == "/webhooks/twilio/status"
    assert _valid(callback, form, signature)
    assert not _valid(callback, {**form, "ErrorCode": "0"}, signature)
    assert fake.message(response.json()["sid"]).status == "failed"


async def test_inside_window_callbacks_go_sent_then_delivered(
    fake: FakeTwilioApi, receiver: Receiver
) -> None:
    """A user who wrote within 24 hours gets sent → delivered callbacks, in order, signed."""
    callback = f"{receiver.base_url}/status"
    fake.set_last_inbound(USER, NOW - timedelta(hours=23))
    await _create(fake, {**BASE, "StatusCallback": callback})
    posted = await fake.wait_for_callbacks(2)
    assert [p.params["MessageStatus"] for p in posted] == ["sent", "delivered"]
    assert all("ErrorCode" not in p.params for p in posted)
    assert all(_valid(callback, form, sig) for _, form, sig in receiver.posts)


async def test_template_outside_window_is_delivered(
    fake: FakeTwilioApi, receiver: Receiver
) -> None:
    """An approved template reaches a user even when the window is closed."""
    data = {
        "To": USER,
        "From": DEFAULT_SENDER,
        "ContentSid": TEMPLATE,
        "ContentVariables": json.dumps({"1": "New Umrah offer"}),
        "StatusCallback": f"{receiver.base_url}/status",
    }
    assert (await _create(fake, data)).status_code == 201
    posted = await fake.wait_for_callbacks(2)
    assert [p.params["MessageStatus"] for p in posted] == ["sent", "delivered"]


async def test_blocked_number_fails_with_63014(fake: FakeTwilioApi, receiver: Receiver) -> None:
    """A number that blocked the sender gets a failed callback with 63014, even for templates."""
    fake.block(USER)
    data = {"To": USER, "From": DEFAULT_SENDER, "ContentSid": TEMPLATE}
    data |= {"ContentVariables": '{"1": "x"}', "StatusCallback": f"{receiver.base_url}/s"}
    await _create(fake, data)
    (posted,) = await fake.wait_for_callbacks(1)
    assert (posted.params["MessageStatus"], posted.params["ErrorCode"]) == ("failed", "63014")


async def test_out_of_order_and_duplicate_knobs(receiver: Receiver, tick: Tick) -> None:
    """The knobs deliver callbacks reversed and twice, as Twilio sometimes does."""
    options: dict[str, Any] = {"callback_order": "reversed", "duplicate_callbacks": True}
    async with FakeTwilioApi.running(
        SID, TOKEN, read_receipts=True, clock=FrozenClock(NOW), monotonic=tick, **options
    ) as fake:
        fake.set_last_inbound(USER, NOW)
        await _create(fake, {**BASE, "StatusCallback": f"{receiver.base_url}/s"})
        posted = await fake.wait_for_callbacks(6)
    statuses = [p.params["MessageStatus"] for p in posted]
    assert statuses == ["read", "read", "delivered", "delivered", "sent", "sent"]


async def test_send_inbound_posts_a_signed_form_and_opens_the_window(
    fake: FakeTwilioApi, receiver: Receiver
) -> None:
    """An inbound message is signed over the public URL, posted, recorded, and opens the window."""
    public = "https://bot.example.org/webhooks/twilio?src=wa"
    response = await fake.send_inbound(
        public, "+2348012345678", "Salam", post_to=f"{receiver.base_url}/in", ButtonPayload="umrah"
    )
    assert response.status_code == 200
    _, form, signature = receiver.posts[0]
    assert form["From"] == USER
    assert form["To"] == DEFAULT_SENDER
    assert (form["Body"], form["ButtonPayload"]) == ("Salam", "umrah")
    assert _valid(public, form, signature)
    assert not _valid(f"{receiver.base_url}/in", form, signature)
    assert fake.inbound[0].response_text == "<Response/>"
    assert fake.in_window(USER)


@pytest.mark.parametrize("signature", ["forged", None], ids=["wrong", "missing"])
async def test_forge_inbound_sends_an_unverifiable_form(
    fake: FakeTwilioApi, receiver: Receiver, signature: str | None
) -> None:
    """A forged inbound carries a wrong or no signature and does not open the window."""
    url = f"{receiver.base_url}/in"
    await fake.forge_inbound(url, USER, "hi", signature=signature)
    _, form, sent_signature = receiver.posts[0]
    assert sent_signature == signature
    assert not _valid(url, form, sent_signature)
    assert not fake.in_window(USER)
