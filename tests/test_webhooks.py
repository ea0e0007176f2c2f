"""Webhook routes: forged requests are refused before anything is stored or processed."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from twilio.request_validator import RequestValidator

from bot.channels.twilio_webhooks import StatusUpdate
from bot.webhooks import EMPTY_TWIML, BackgroundWork, telegram_route, twilio_routes

AUTH_TOKEN = "twilio-test-auth-token-0123456789"
PUBLIC = "https://minbar.example.ng"


class FakeTelegramTarget:
    """Records updates handed to the Telegram channel."""

    def __init__(self, secret: str = "s3cr3t-token_ok") -> None:
        self.secret = secret
        self.updates: list[dict[str, Any]] = []

    def check_webhook_secret(self, header_value: str | None) -> bool:
        """Compare like the real channel does."""
        return header_value == self.secret

    async def process_webhook(self, data: dict[str, Any]) -> None:
        """Record the update."""
        self.updates.append(data)


class Recorder:
    """Collects inbound forms and status updates processed in the background."""

    def __init__(self) -> None:
        self.inbound: list[Mapping[str, str]] = []
        self.statuses: list[StatusUpdate] = []

    async def on_inbound(self, form: Mapping[str, str]) -> None:
        """Record an inbound form."""
        self.inbound.append(form)

    def on_status(self, update: StatusUpdate) -> None:
        """Record a status update."""
        self.statuses.append(update)


def _app(target: FakeTelegramTarget, recorder: Recorder, work: BackgroundWork) -> Starlette:
    routes = [
        telegram_route(target),
        *twilio_routes(
            auth_token=AUTH_TOKEN,
            public_url=PUBLIC,
            on_inbound=recorder.on_inbound,
            on_status=recorder.on_status,
            work=work,
        ),
    ]
    return Starlette(routes=routes)


def _client(app: Starlette) -> httpx.AsyncClient:
    # The internal host differs from the public URL, as behind a proxy.
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://10.0.0.5:8080"
    )


def _sign(path: str, params: Mapping[str, str]) -> str:
    return str(RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, dict(params)))


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


async def test_a_telegram_update_with_the_secret_is_queued() -> None:
    """A POST with the right secret header reaches the channel and gets 200."""
    target, rec, work = FakeTelegramTarget(), Recorder(), BackgroundWork()
    async with _client(_app(target, rec, work)) as client:
        response = await client.post(
            "/webhooks/telegram",
            json={"update_id": 5, "message": {}},
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-token_ok"},
        )
    assert response.status_code == 200
    assert target.updates == [{"update_id": 5, "message": {}}]


async def test_a_telegram_update_without_or_with_a_wrong_secret_is_refused() -> None:
    """Missing or wrong secret → 403 and nothing reaches the channel."""
    target, rec, work = FakeTelegramTarget(), Recorder(), BackgroundWork()
    async with _client(_app(target, rec, work)) as client:
        missing = await client.post("/webhooks/telegram", json={"update_id": 5})
        wrong = await client.post(
            "/webhooks/telegram",
            json={"update_id": 6},
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-token_oK"},
        )
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert target.updates == []


async def test_a_telegram_body_that_is_not_an_update_is_a_clear_400() -> None:
    """Garbage with the right secret is refused with a reason, not a crash."""
    target, rec, work = FakeTelegramTarget(), Recorder(), BackgroundWork()
    async with _client(_app(target, rec, work)) as client:
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-token_ok"}
        bad_json = await client.post("/webhooks/telegram", content=b"{nope", headers=headers)
        no_id = await client.post("/webhooks/telegram", json={"message": 1}, headers=headers)
    assert (bad_json.status_code, no_id.status_code) == (400, 400)
    assert target.updates == []


async def test_a_signed_inbound_message_is_answered_with_empty_twiml_and_processed() -> None:
    """A correctly signed form gets empty TwiML at once and is processed in the background."""
    target, rec, work = FakeTelegramTarget(), Recorder(), BackgroundWork()
    path = "/webhooks/twilio/inbound"
    async with _client(_app(target, rec, work)) as client:
        response = await client.post(
            path,
            content=urlencode(INBOUND),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": _sign(path, INBOUND),
            },
        )
        await work.drain()
    assert response.status_code == 200
    assert response.text == EMPTY_TWIML
    assert rec.inbound == [INBOUND]


async def test_forged_inbound_messages_are_refused_and_never_processed() -> None:
    """Missing, wrong and tampered signatures all get 403; nothing is processed."""
    target, rec, work = FakeTelegramTarget(), Recorder(), BackgroundWork()
    path = "/webhooks/twilio/inbound"
    good = _sign(path, INBOUND)
    tampered = dict(INBOUND, Body="Send me your PIN")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with _client(_app(target, rec, work)) as client:
        missing = await client.post(path, content=urlencode(INBOUND), headers=form)
        wrong = await client.post(
            path, content=urlencode(INBOUND), headers={**form, "X-Twilio-Signature": good[::-1]}
        )
        changed = await client.post(
            path, content=urlencode(tampered), headers={**form, "X-Twilio-Signature": good}
        )
        await work.drain()
    assert [r.status_code for r in (missing, wrong, changed)] == [403, 403, 403]
    assert rec.inbound == []


async def test_the_signature_is_checked_against_the_public_url_not_the_host_header() -> None:
    """A form signed for the internal host (not the public URL) is refused."""
    target, rec, work = FakeTelegramTarget(), Recorder(), BackgroundWork()
    path = "/webhooks/twilio/inbound"
    internal = str(
        RequestValidator(AUTH_TOKEN).compute_signature(f"http://10.0.0.5:8080{path}", INBOUND)
    )
    async with _client(_app(target, rec, work)) as client:
        response = await client.post(
            path,
            content=urlencode(INBOUND),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": internal,
            },
        )
    assert response.status_code == 403


async def test_a_signed_status_callback_is_parsed_and_applied_in_the_background() -> None:
    """A status callback becomes a StatusUpdate with its error code."""
    target, rec, work = FakeTelegramTarget(), Recorder(), BackgroundWork()
    path = "/webhooks/twilio/status"
    params = {
        "MessageSid": "SM" + "c" * 32,
        "MessageStatus": "failed",
        "ErrorCode": "63016",
        "To": "whatsapp:+2348012345678",
        "AccountSid": "AC" + "b" * 32,
    }
    async with _client(_app(target, rec, work)) as client:
        response = await client.post(
            path,
            content=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": _sign(path, params),
            },
        )
        await work.drain()
    assert response.status_code == 204
    assert rec.statuses == [StatusUpdate("SM" + "c" * 32, "failed", 63016, "+2348012345678")]  # type: ignore[arg-type]


async def test_background_work_is_awaited_at_drain() -> None:
    """drain() returns only when every spawned task has finished."""
    work = BackgroundWork()
    done: list[int] = []

    async def slow() -> None:
        await asyncio.sleep(0.05)
        done.append(1)

    work.spawn(slow(), name="slow")
    await work.drain()
    assert done == [1]
