"""Telegram's webhook route: the secret header first, then the update reaches the channel."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from bot.channels.http import MAX_BODY
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.webhook import WEBHOOK_PATH, telegram_route
from tests.channels.telegram.helpers import HOOK, TOKEN, USER, Inbox
from tests.fakes.telegram_api import FakeTelegramApi, serve_asgi

SECRET = "s3cr3t-token_ok"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


class FakeTarget:
    """Stands in for the channel: compares the secret and records the updates handed on."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def check_secret(self, header_value: str | None) -> bool:
        """Compare like the real channel does."""
        return header_value == SECRET

    async def process(self, data: dict[str, Any]) -> None:
        """Record the update."""
        self.updates.append(data)


def _client(target: FakeTarget) -> httpx.AsyncClient:
    app = Starlette(routes=[telegram_route(target.check_secret, target.process)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot.test")


async def test_a_telegram_update_with_the_secret_is_queued() -> None:
    """A POST with the right secret header reaches the channel and gets 200."""
    target = FakeTarget()
    async with _client(target) as client:
        response = await client.post(
            WEBHOOK_PATH, json={"update_id": 5, "message": {}}, headers=HEADERS
        )
    assert response.status_code == 200
    assert target.updates == [{"update_id": 5, "message": {}}]


async def test_a_telegram_update_without_or_with_a_wrong_secret_is_refused() -> None:
    """Missing or wrong secret → 403 and nothing reaches the channel."""
    target = FakeTarget()
    async with _client(target) as client:
        missing = await client.post(WEBHOOK_PATH, json={"update_id": 5})
        wrong = await client.post(
            WEBHOOK_PATH,
            json={"update_id": 6},
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-token_oK"},
        )
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert target.updates == []


async def test_a_telegram_body_that_is_not_an_update_is_a_clear_400() -> None:
    """Garbage with the right secret is refused with a reason, not a crash."""
    target = FakeTarget()
    async with _client(target) as client:
        bad_json = await client.post(WEBHOOK_PATH, content=b"{nope", headers=HEADERS)
        no_id = await client.post(WEBHOOK_PATH, json={"message": 1}, headers=HEADERS)
    assert (bad_json.status_code, no_id.status_code) == (400, 400)
    assert target.updates == []


async def test_a_body_over_the_limit_is_refused_before_parsing() -> None:
    """A body larger than MAX_BODY gets 413 and never reaches the channel."""
    target = FakeTarget()
    oversized = b'{"update_id": 7, "pad": "' + b"x" * MAX_BODY + b'"}'
    async with _client(target) as client:
        response = await client.post(WEBHOOK_PATH, content=oversized, headers=HEADERS)
    assert response.status_code == 413
    assert target.updates == []


def test_a_polling_channel_serves_no_web_routes(inbox: Inbox) -> None:
    """Without a webhook URL the channel long-polls, so it mounts no route."""
    assert list(TelegramChannel(TOKEN, inbox).web_routes()) == []


def test_a_webhook_channel_serves_the_webhook_path(inbox: Inbox) -> None:
    """With a webhook URL the channel mounts exactly one POST route at WEBHOOK_PATH."""
    routes = list(TelegramChannel(TOKEN, inbox, webhook_url=HOOK).web_routes())
    assert [(r.path, r.methods) for r in routes if isinstance(r, Route)] == [
        (WEBHOOK_PATH, {"POST"})
    ]
    assert len(routes) == 1


async def test_the_channels_own_route_checks_its_secret_and_delivers_each_update(
    server: FakeTelegramApi, inbox: Inbox
) -> None:
    """The fake POSTs to the route from web_routes(); a redelivery arrives with the same ref."""
    app = Starlette()
    async with serve_asgi(app) as base:
        tg = TelegramChannel(
            TOKEN, inbox, base_url=server.base_url, webhook_url=f"{base}{WEBHOOK_PATH}"
        )
        app.router.routes.extend(tg.web_routes())
        await tg.start()
        try:
            server.push_callback(USER, USER, "book:7", message_id=1)
            got = await inbox.next()  # stored before the 200, so wait for the answer too
            await server.wait_for_deliveries(1)
            await server.redeliver_last()
            duplicate = await inbox.next()
            async with httpx.AsyncClient() as client:
                forged = await client.post(
                    f"{base}{WEBHOOK_PATH}",
                    json={"update_id": 99},
                    headers={"X-Telegram-Bot-Api-Secret-Token": "forged"},
                )
        finally:
            await tg.stop()
    assert server.webhook_secret == tg.webhook_secret
    assert [d.status for d in server.webhook_deliveries] == [200, 200]
    assert forged.status_code == 403
    assert got.choice_data == "book:7"
    assert got.origin_message_id == "1"
    assert duplicate.message_ref == got.message_ref
    assert len(server.answered_callbacks) == 1
    assert inbox.queue.empty()
