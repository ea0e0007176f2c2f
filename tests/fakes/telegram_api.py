"""An in-process fake Telegram Bot API server that refuses what the real one refuses.

Start it with ``async with FakeTelegramApi.running(token=...) as fake:`` and point PTB at
``fake.base_url`` (PTB appends the token). Rules come from docs/platform-facts.md sections 1.2-1.6:
exact error strings, HTML entity parsing (``telegram_html``), UTF-16 length limits after parsing,
flood control with ``retry_after`` (``telegram_limits``), getUpdates offsets and long polling,
and at-least-once webhook delivery with the secret-token header. Webhooks may use plain HTTP, as
on a local Bot API server, so tests can receive them on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.telegram_api_edits import FakeTelegramEdits
from tests.fakes.telegram_api_state import ChatState
from tests.fakes.telegram_limits import RateLimits
from tests.fakes.telegram_methods import (
    ApiError,
    bool_param,
    check_secret_token,
    int_param,
    parse_body,
)

__all__ = ["ChatState", "FakeTelegramApi", "RateLimits", "Rejected", "WebhookDelivery"]

_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Handler = Callable[[dict[str, Any]], Awaitable[Any]]


@dataclass(slots=True)
class Rejected:
    """A request the fake refused, with the error it answered."""

    method: str
    chat_id: object
    error_code: int
    description: str
    parameters: dict[str, Any] | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class WebhookDelivery:
    """One POST of an update to the webhook and the status it got (0 = connection failed)."""

    update_id: int
    status: int
    secret_header: str | None
    at: float = field(default_factory=time.monotonic)


class FakeTelegramApi(FakeTelegramEdits):
    """The fake server: HTTP front, updates queue, long polling and webhook delivery."""

    def __init__(
        self,
        token: str = "123456:TEST-fake-token",
        *,
        limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        long_poll_cap: float = 1.0,
        webhook_backoff: float = 0.05,
        webhook_max_attempts: int = 6,
    ) -> None:
        super().__init__(token, limits=limits or RateLimits(), clock=clock)
        self.long_poll_cap = long_poll_cap
        self.webhook_backoff = webhook_backoff
        self._in_flight: dict[str, Any] | None = None
        self.webhook_max_attempts = webhook_max_attempts
        self.rejected: list[Rejected] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.allowed_updates: list[str] = []
        self._pending: list[dict[str, Any]] = []
        self._update_ids = itertools.count(700_000_001)
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._webhook_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._last_delivered: dict[str, Any] | None = None
        self._last_error: tuple[int, str] | None = None
        self._server: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self._closing = False
        self._failures: dict[str, list[int]] = {}
        self.port = 0
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "editmessagetext": self._edit_message_text,
            "getchatmember": self._get_chat_member,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "answercallbackquery": self._answer_callback_query,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
        }
        self.app = Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        )

    @property
    def base_url(self) -> str:
        """Return the URL to give PTB's ``base_url`` (the token is appended by PTB)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @classmethod
    @contextlib.asynccontextmanager
    async def running(
        cls,
        token: str = "123456:TEST-fake-token",
        **kwargs: Any,
    ) -> AsyncIterator[FakeTelegramApi]:
        """Serve a fake on a free loopback port for the duration of the block."""
        fake = cls(token, **kwargs)
        await fake.start()
        try:
            yield fake
        finally:
            await fake.stop()

    async def start(self) -> None:
        """Bind ``port`` (a free one when 0) and serve in the background.

        A test that sets ``port`` before starting has a Telegram that refuses connections
        until it starts, as one that is unreachable at the service's boot.
        """
        self._server, task, self.port = await start_uvicorn(self.app, self.port)
        self._client = httpx.AsyncClient(timeout=5.0)
        self._tasks = [task, asyncio.create_task(self._deliver_webhooks())]

    async def stop(self) -> None:
        """Wake long polls, stop serving and cancel webhook delivery."""
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._server is not None:
            self._server.should_exit = True
        for task in self._tasks[1:]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse(ApiError(401, "Unauthorized").envelope(), status_code=401)
        method = request.path_params["method"]
        handler = self._handlers.get(method.lower())
        if handler is None:
            return JSONResponse(ApiError(404, "Not Found").envelope(), status_code=404)
        params: dict[str, Any] = {}
        try:
            params = parse_body(request.headers.get("content-type", ""), await request.body())
            params = {**dict(request.query_params), **params}
            self.requests.append((method, params))
            failures = self._failures.get(method.lower())
            if failures:
                status = failures.pop(0)
                raise ApiError(status, _SERVER_ERRORS.get(status, "Internal Server Error"))
            result = await handler(params)
        except ApiError as exc:
            self.rejected.append(
                Rejected(method, params.get("chat_id"), exc.code, exc.description, exc.parameters)
            )
            return JSONResponse(exc.envelope(), status_code=exc.code)
        return JSONResponse({"ok": True, "result": result})

    def fail_next(self, method: str, times: int = 1, status: int = 502) -> None:
        """Answer the next ``times`` calls of ``method`` with a server error (nothing is sent)."""
        if not 500 <= status <= 599:
            raise ValueError(f"not a server error: {status}")
        self._failures.setdefault(method.lower(), []).extend([status] * times)

    # -- updates --------------------------------------------------------------------------

    def _enqueue(self, update: dict[str, Any]) -> int:
        kind = next(k for k in update if k != "update_id")
        allowed = self.allowed_updates or [k for k in _ALL_UPDATES if k not in _OPT_IN_UPDATES]
        if kind not in allowed:
            return update["update_id"]  # Telegram never sends types the bot did not ask for
        if self.webhook_url:
            self._webhook_queue.put_nowait(update)
        else:
            self._pending.append(update)
            asyncio.get_running_loop().create_task(self._notify())
        return update["update_id"]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def push_raw(self, body: dict[str, Any]) -> int:
        """Queue ``{"update_id": <next>, **body}`` as it is, however malformed; return its id.

        The real API has sent updates a given PTB version cannot parse (new fields, a proxy
        that drops one); this lets a test send one next to well-formed ones.
        """
        return self._enqueue({"update_id": self.next_update_id(), **body})

    def next_update_id(self) -> int:
        """Return the id for the next pushed update."""
        return next(self._update_ids)

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:

        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if isinstance(p.get("allowed_updates"), list):
            self.allowed_updates = [str(x) for x in p["allowed_updates"]]
        offset = int_param(p, "offset", 0) or 0
        limit = min(max(int_param(p, "limit", 100) or 100, 1), 100)
        timeout = float(p.get("timeout") or 0)
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        if not self._pending and timeout > 0 and not self._closing:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(
                            lambda: (
                                bool(self._pending)
                                or self._closing
                                or generation != self._poll_generation
                            )
                        ),
                        min(timeout, self.long_poll_cap),
                    )
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make "
                    "sure that only one bot instance is running",
                )
        return self._pending[:limit]

    async def _set_webhook(self, p: dict[str, Any]) -> bool:

        url = str(p.get("url") or "")
        if not url:
            return await self._delete_webhook(p)
        if not url.startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: bad webhook: Wrong HTTP URL specified")
        secret = check_secret_token(p.get("secret_token"))
        if bool_param(p, "drop_pending_updates"):
            self._pending.clear()
        if isinstance(p.get("allowed_updates"), list):
            self.allowed_updates = [str(x) for x in p["allowed_updates"]]
        self.webhook_url, self.webhook_secret = url, secret
        for update in self._pending:
            self._webhook_queue.put_nowait(update)
        self._pending.clear()
        return True

    async def _delete_webhook(self, p: dict[str, Any]) -> bool:

        self.webhook_url, self.webhook_secret = "", ""
        while not self._webhook_queue.empty():
            self._pending.append(self._webhook_queue.get_nowait())
        if bool_param(p, "drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, p: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            # As on Telegram, an update being retried is still pending until it is delivered.
            "pending_update_count": self._webhook_queue.qsize()
            + len(self._pending)
            + (self._in_flight is not None),
            "max_connections": 40,
        }
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        if self._last_error is not None:
            info["last_error_date"], info["last_error_message"] = self._last_error
        return info

    async def _post_update(self, update: dict[str, Any]) -> int:
        assert self._client is not None
        headers = {_SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
        try:
            response = await self._client.post(self.webhook_url, json=update, headers=headers)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        self.webhook_deliveries.append(
            WebhookDelivery(update["update_id"], status, headers.get(_SECRET_HEADER))
        )
        if not 200 <= status < 300:
            self._last_error = (int(time.time()), f"Wrong response from the webhook: {status}")
        return status

    async def _deliver_webhooks(self) -> None:
        """Deliver queued updates one by one, retrying with backoff like WebhookActor."""
        while True:
            update = await self._webhook_queue.get()
            self._in_flight = update
            for attempt in range(self.webhook_max_attempts):
                if not self.webhook_url:
                    self._pending.append(update)
                    break
                if 200 <= await self._post_update(update) < 300:
                    self._last_delivered = update
                    break
                await asyncio.sleep(self.webhook_backoff * (2**attempt))
            self._in_flight = None

    async def redeliver_last(self) -> int:
        """POST the last acknowledged update again, as Telegram does after a lost ack."""
        if self._last_delivered is None:
            raise RuntimeError("no update was delivered yet")
        return await self._post_update(self._last_delivered)

    async def wait_for_deliveries(self, count: int) -> None:
        """Wait (at most 5 s) until ``count`` successful webhook deliveries happened."""
        async with asyncio.timeout(5):
            while sum(200 <= d.status < 300 for d in self.webhook_deliveries) < count:  # noqa: ASYNC110 - the worker appends to a plain list
                await asyncio.sleep(0.01)


async def start_uvicorn(app: Any, port: int = 0) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """Serve an ASGI app on a loopback port (a free one for 0); return server, task and port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", port))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        ws="none",
        http="h11",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.005)
    return server, task, port


@contextlib.asynccontextmanager
async def serve_asgi(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app on loopback for the block; yield its base URL."""
    server, task, port = await start_uvicorn(app)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


# What Telegram's front end answers when the Bot API server behind it fails.
_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}

_ALL_UPDATES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "message_reaction",
    "message_reaction_count",
)
_OPT_IN_UPDATES = ("chat_member", "message_reaction", "message_reaction_count")
