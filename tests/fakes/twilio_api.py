"""An in-process fake of Twilio's Messages API for WhatsApp that keeps Twilio's rules.

It checks HTTP basic auth and the account in the path, validates parameters with Twilio's error
codes, rate-limits each sender with a token bucket (429 / 20429), tracks each user's 24-hour
customer-service window, and reports delivery through SIGNED status callbacks, as Twilio does:
a free-form message outside the window is accepted (201 queued) and then fails with 63016; a
blocked number fails with 63014. It also signs and posts inbound webhooks to the service.

Choices where Twilio's behaviour is not documented to the letter (marked so in the code):
an unknown ``ContentSid`` is 21655 and bad ``ContentVariables`` (not a JSON object, a missing
or empty variable) are 21656, both HTTP 400 at create time; another account's path is 20404;
the body limit counts UTF-16 code units (the stricter reading of "1600 characters"); a 429
carries ``Retry-After: 1``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp
from twilio.request_validator import RequestValidator

from bot.core.clock import Clock, SystemClock
from tests.fakes.twilio_http import message_resource, twilio_error

WINDOW = timedelta(hours=24)
DEFAULT_SENDER = "whatsapp:+14155238886"
_ADDRESS = re.compile(r"^whatsapp:\+[1-9]\d{6,14}$")
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
CallbackOrder = Literal["in_order", "reversed"]


@dataclass
class FakeMessage:
    """A Message resource the fake accepted."""

    resource: dict[str, Any]
    params: dict[str, str]
    status_callback: str | None
    planned: list[tuple[str, int | None]] = field(default_factory=list)

    @property
    def sid(self) -> str:
        """Return the SM… sid."""
        return str(self.resource["sid"])

    @property
    def status(self) -> str:
        """Return the latest status."""
        return str(self.resource["status"])


@dataclass(frozen=True)
class RecordedPost:
    """A signed form the fake posted (status callback or inbound webhook) and the answer."""

    url: str
    params: dict[str, str]
    signature: str | None
    status_code: int | None
    response_text: str = ""


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", ws="none", http="h11", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task  # surfaces the start-up error
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def _number(address: str) -> str:
    return address.removeprefix("whatsapp:").strip()


class FakeTwilioApi:
    """State and HTTP behaviour of the fake; start it with :meth:`running`."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        senders: tuple[str, ...] = (DEFAULT_SENDER,),
        templates: Mapping[str, int] | None = None,
        rate_per_second: float = 80.0,
        burst: int | None = None,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        callback_order: CallbackOrder = "in_order",
        duplicate_callbacks: bool = False,
        read_receipts: bool = False,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.senders = set(senders)
        self.templates: dict[str, int] = dict(templates or {})
        """Approved ContentSid → number of variables ({{1}}…{{n}})."""
        self.rate_per_second = rate_per_second
        self.burst = burst if burst is not None else max(1, int(rate_per_second))
        self.clock = clock or SystemClock()
        self.monotonic = monotonic
        self.callback_order: CallbackOrder = callback_order
        self.duplicate_callbacks = duplicate_callbacks
        self.read_receipts = read_receipts
        self.messages: list[FakeMessage] = []
        self.callbacks: list[RecordedPost] = []
        self.inbound: list[RecordedPost] = []
        self.base_url = ""
        self._blocked: set[str] = set()
        self._last_inbound: dict[str, datetime] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._callback_posted = asyncio.Condition()
        self._http: httpx.AsyncClient | None = None
        base = "/2010-04-01/Accounts/{account}"
        self.app = Starlette(
            routes=[
                Route(base + "/Messages.json", self._create, methods=["POST"]),
                Route(base + "/Messages/{sid}.json", self._fetch, methods=["GET"]),
            ]
        )

    @classmethod
    @asynccontextmanager
    async def running(
        cls, account_sid: str, auth_token: str, **options: Any
    ) -> AsyncIterator[FakeTwilioApi]:
        """Serve a fake on a free loopback port for the duration of the block."""
        fake = cls(account_sid, auth_token, **options)
        async with httpx.AsyncClient(timeout=5.0) as http, serving(fake.app) as base_url:
            fake._http = http
            fake.base_url = base_url
            yield fake
            fake._http = None

    # --- knobs -------------------------------------------------------------------------

    def block(self, number: str) -> None:
        """Make every later message to ``number`` fail with 63014 (user blocked us)."""
        self._blocked.add(_number(number))

    def set_last_inbound(self, number: str, when: datetime) -> None:
        """Pretend ``number`` last wrote to us at ``when`` (opens or ages the window)."""
        self._last_inbound[_number(number)] = when

    def in_window(self, number: str) -> bool:
        """Return whether ``number`` wrote to us less than 24 hours ago."""
        last = self._last_inbound.get(_number(number))
        return last is not None and self.clock.now() - last < WINDOW

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """Return the X-Twilio-Signature Twilio would send for this URL and form."""
        return str(RequestValidator(self.auth_token).compute_signature(url, params))

    def message(self, sid: str) -> FakeMessage:
        """Return the message with ``sid``."""
        return next(m for m in self.messages if m.sid == sid)

    # --- inbound -----------------------------------------------------------------------

    async def send_inbound(
        self, url: str, from_number: str, body: str, *, post_to: str | None = None, **extra: str
    ) -> httpx.Response:
        """Post a signed inbound message to our webhook, as Twilio does when a user writes.

        ``url`` is the public URL Twilio is configured with (what it signs); ``post_to`` is
        where the request really goes when the service sits behind a proxy.
        """
        form = self._inbound_form(from_number, body, extra)
        self.set_last_inbound(from_number, self.clock.now())
        return await self._post_inbound(url, post_to, form, self.sign(url, form))

    async def forge_inbound(
        self,
        url: str,
        from_number: str,
        body: str,
        *,
        signature: str | None = "forged",
        post_to: str | None = None,
        **extra: str,
    ) -> httpx.Response:
        """Post an inbound form with a wrong (or, with ``signature=None``, no) signature."""
        form = self._inbound_form(from_number, body, extra)
        return await self._post_inbound(url, post_to, form, signature)

    def _inbound_form(
        self, from_number: str, body: str, extra: Mapping[str, str]
    ) -> dict[str, str]:
        sid = "SM" + secrets.token_hex(16)
        number = _number(from_number)
        form = {
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ProfileName": "Test User",
            "MessageType": "text",
            "SmsSid": sid,
            "WaId": number.lstrip("+"),
            "SmsStatus": "received",
            "Body": body,
            "To": sorted(self.senders)[0],
            "NumSegments": "1",
            "ReferralNumMedia": "0",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "ChannelMetadata": json.dumps({"type": "whatsapp", "data": {"context": {}}}),
            "From": f"whatsapp:{number}",
            "ApiVersion": "2010-04-01",
        }
        form.update(extra)
        return form

    async def _post_inbound(
        self, url: str, post_to: str | None, form: dict[str, str], signature: str | None
    ) -> httpx.Response:
        headers = {"X-Twilio-Signature": signature} if signature is not None else {}
        response = await self._client().post(post_to or url, data=form, headers=headers)
        self.inbound.append(RecordedPost(url, form, signature, response.status_code, response.text))
        return response

    # --- status callbacks --------------------------------------------------------------

    async def wait_for_callbacks(self, count: int, within: float = 5.0) -> list[RecordedPost]:
        """Wait until ``count`` status callbacks were posted, then return them all."""
        async with asyncio.timeout(within), self._callback_posted:
            await self._callback_posted.wait_for(lambda: len(self.callbacks) >= count)
        return list(self.callbacks)

    async def _deliver(self, message: FakeMessage) -> None:
        steps = list(message.planned)
        for status, error_code in steps:
            message.resource["status"] = status
            message.resource["error_code"] = error_code
        if message.status_callback is None:
            return
        if self.callback_order == "reversed":
            steps.reverse()
        for status, error_code in steps:
            params = self._status_params(message, status, error_code)
            for _ in range(2 if self.duplicate_callbacks else 1):
                await self._post_callback(message.status_callback, params)

    def _status_params(self, message: FakeMessage, status: str, code: int | None) -> dict[str, str]:
        params = {
            "ChannelPrefix": "whatsapp",
            "ApiVersion": "2010-04-01",
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "ChannelInstallSid": "XE" + "0" * 32,
            "To": str(message.resource["to"]),
            "From": str(message.resource["from"]),
            "MessageSid": message.sid,
            "AccountSid": self.account_sid,
        }
        if code is not None:
            params["ErrorCode"] = str(code)
            params["ChannelToAddress"] = _number(str(message.resource["to"]))
        return params

    async def _post_callback(self, url: str, params: dict[str, str]) -> None:
        signature = self.sign(url, params)
        try:
            answer = await self._client().post(
                url, data=params, headers={"X-Twilio-Signature": signature}
            )
            code: int | None = answer.status_code
        except httpx.HTTPError:
            code = None  # Twilio logs a failed callback (error 11200) and moves on
        async with self._callback_posted:
            self.callbacks.append(RecordedPost(url, params, signature, code))
            self._callback_posted.notify_all()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("FakeTwilioApi is not running; use FakeTwilioApi.running()")
        return self._http

    # --- REST API ----------------------------------------------------------------------

    async def _create(self, request: Request) -> Response:
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        raw = (await request.body()).decode("utf-8")
        params = dict(parse_qsl(raw, keep_blank_values=True))
        media = [value for key, value in parse_qsl(raw) if key == "MediaUrl"]
        problem = self._validate(params, media)
        if problem is not None:
            return _error(*problem)
        if not self._take_token(params["From"]):
            return _error(20429, "Too Many Requests", 429, {"Retry-After": "1"})
        resource = message_resource(params, self.account_sid)
        stamp = self.clock.now().strftime("%a, %d %b %Y %H:%M:%S +0000")
        resource.update(date_created=stamp, date_updated=stamp, num_media=str(len(media)))
        if "ContentSid" in params:
            resource["body"] = f"[template {params['ContentSid']}]"
        message = FakeMessage(resource, params, params.get("StatusCallback"))
        message.planned = self._plan(params)
        self.messages.append(message)
        body = dict(resource)
        return JSONResponse(
            body, status_code=201, background=BackgroundTask(self._deliver, message)
        )

    async def _fetch(self, request: Request) -> Response:
        denied = self._check_auth(request)
        if denied is not None:
            return denied
        sid = request.path_params["sid"]
        found = [m for m in self.messages if m.sid == sid]
        if not found:
            return _error(20404, f"The requested resource {request.url.path} was not found", 404)
        return JSONResponse(found[0].resource)

    def _check_auth(self, request: Request) -> Response | None:
        pair = f"{self.account_sid}:{self.auth_token}".encode()
        expected = "Basic " + base64.b64encode(pair).decode()
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), expected.encode()):
            return _error(20003, "Authenticate", 401)
        if request.path_params["account"] != self.account_sid:
            # [unverified] Twilio answers another account's path with 20404.
            return _error(20404, f"The requested resource {request.url.path} was not found", 404)
        return None

    def _validate(self, params: Mapping[str, str], media: list[str]) -> tuple[int, str] | None:
        to, sender = params.get("To", ""), params.get("From", "")
        body, content_sid = params.get("Body"), params.get("ContentSid")
        if not to:
            return 21604, "A 'To' phone number is required."
        if not sender:
            return 21603, "A 'From' phone number is required."
        if not body and not content_sid and not media:
            return 21619, "A text message body or media urls must be specified."
        if not _ADDRESS.match(to):
            return 21211, f"Invalid 'To' Phone Number: {to}"
        if sender not in self.senders:
            return 63007, "Twilio could not find a Channel with the specified From address"
        if body is not None and len(body.encode("utf-16-le")) // 2 > 1600:
            return 21617, "The concatenated message body exceeds the 1600 character limit."
        callback = params.get("StatusCallback")
        if callback is not None and not _URL.match(callback):
            return 21609, "Invalid StatusCallback url"
        if "ContentVariables" in params and not content_sid:
            return 21654, "ContentSid Required"
        if content_sid is not None:
            return self._validate_template(content_sid, params.get("ContentVariables"))
        return None

    def _validate_template(self, content_sid: str, raw: str | None) -> tuple[int, str] | None:
        if content_sid not in self.templates:
            return 21655, "The ContentSid is Invalid"
        wanted = self.templates[content_sid]
        if raw is None:
            return None if wanted == 0 else (21656, "The ContentVariables Parameter is invalid")
        try:
            variables = json.loads(raw)
        except ValueError:
            return 21656, "The ContentVariables Parameter is invalid"
        if not isinstance(variables, dict) or not all(
            isinstance(v, str) for v in variables.values()
        ):
            return 21656, "The ContentVariables Parameter is invalid"
        if any(not variables.get(str(n), "").strip() for n in range(1, wanted + 1)):
            return 21656, "The ContentVariables Parameter is invalid"
        return None

    def _take_token(self, sender: str) -> bool:
        now = self.monotonic()
        tokens, last = self._buckets.get(sender, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_second)
        if tokens < 1.0:
            self._buckets[sender] = (tokens, now)
            return False
        self._buckets[sender] = (tokens - 1.0, now)
        return True

    def _plan(self, params: Mapping[str, str]) -> list[tuple[str, int | None]]:
        number = _number(params["To"])
        if number in self._blocked:
            return [("failed", 63014)]
        if "ContentSid" not in params and not self.in_window(number):
            return [("failed", 63016)]
        steps: list[tuple[str, int | None]] = [("sent", None), ("delivered", None)]
        if self.read_receipts:
            steps.append(("read", None))
        return steps


def _error(
    code: int, message: str, status: int = 400, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(twilio_error(code, message, status), status_code=status, headers=headers)
