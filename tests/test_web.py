"""The web app's health endpoints."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from bot.core.status import ChannelOutage
from bot.web import create_web_app


class FakeHealth:
    """A health source with settable answers."""

    def __init__(
        self,
        db: bool = True,
        channels: dict[str, bool] | None = None,
        down: dict[str, ChannelOutage] | None = None,
    ) -> None:
        self.db = db
        self.channels = channels if channels is not None else {"telegram": True}
        self.down = down or {}

    async def database_ok(self) -> bool:
        """Return the configured database answer."""
        return self.db

    def channels_started(self) -> dict[str, bool]:
        """Return the configured channel flags."""
        return self.channels

    def channels_down(self) -> dict[str, ChannelOutage]:
        """Return the configured outages."""
        return self.down


def _client(health: FakeHealth) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_web_app(health))
    return httpx.AsyncClient(transport=transport, base_url="http://minbar.test")


async def test_healthz_answers_while_the_process_lives() -> None:
    """/healthz is 200 even when the database is down: it only says the process is alive."""
    async with _client(FakeHealth(db=False)) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_with_database_and_channels() -> None:
    """/readyz is 200 when the database answers and every channel has started."""
    async with _client(FakeHealth()) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "database": True,
        "channels": {"telegram": True},
        "channels_down": {},
    }


async def test_readyz_is_unavailable_without_the_database() -> None:
    """/readyz is 503 when the database does not answer."""
    async with _client(FakeHealth(db=False)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] is False


async def test_readyz_stays_ready_while_a_channel_is_down_and_names_it() -> None:
    """A platform down keeps /readyz 200 (the others' webhooks must arrive) and is named."""
    since = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    outage = ChannelOutage("telegram", since=since, error_key="network", attempts=3)
    health = FakeHealth(channels={"telegram": False, "whatsapp": True}, down={"telegram": outage})
    async with _client(health) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["channels"] == {"telegram": False, "whatsapp": True}
    assert body["channels_down"] == {
        "telegram": {
            "since": "2026-11-27T09:00:00+00:00",
            "error": "network",
            "attempts": 3,
            "next_attempt_at": None,
        }
    }


async def test_an_unknown_path_is_404() -> None:
    """Anything not routed answers 404, never a stack trace."""
    async with _client(FakeHealth()) as client:
        response = await client.post("/webhooks/nope", content=b"x")
    assert response.status_code == 404


async def test_a_live_channels_webhook_routes_are_served_beside_health() -> None:
    """Routes a channel returns (its webhooks) are mounted next to /healthz and /readyz."""
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def hook(request: Request) -> Response:
        return PlainTextResponse(f"got {(await request.body()).decode()}")

    app = create_web_app(FakeHealth(), [Route("/webhooks/signal", hook, methods=["POST"])])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://minbar.test") as client:
        posted = await client.post("/webhooks/signal", content=b"hello")
        wrong = await client.get("/webhooks/signal")
        health = await client.get("/healthz")
    assert (posted.status_code, posted.text) == (200, "got hello")
    assert wrong.status_code == 405
    assert health.status_code == 200
