"""WhatsApp through Twilio: send with the async twilio client, receive through the webhook."""

from __future__ import annotations

import base64
import email.utils
import logging
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import AsyncHttpClient
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.channels.twilio_webhooks import (
    CHANNEL_NAME,
    UNREACHABLE_CODES,
    parse_inbound_form,
    whatsapp_address,
)
from bot.channels.whatsapp_render import WhatsAppTemplate, content_variables, render_whatsapp
from bot.core.channel import InboundHandler
from bot.core.errors import (
    ChannelError,
    ChannelUnavailable,
    DestinationInvalid,
    PermanentError,
    RateLimited,
    RecipientUnreachable,
    TransientError,
)
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, OutboundMessage

__all__ = ["WhatsAppChannel", "WhatsAppTemplate"]

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.twilio.com"
DEFAULT_RETRY_AFTER = 1.0
DEFAULT_TIMEOUT = 15.0

_RATE_LIMITS = {63018, 63017, 20429}
_INVALID_DESTINATION = {21211: "invalid_number", 21614: "not_mobile"}
_PERMANENT = {21617: "body_too_long", 63007: "invalid_sender"}
_UNAUTHORIZED = 20003
_OUTSIDE_WINDOW = 63016

# The SDK drops response headers when it raises, so the transport notes Retry-After here.
# A ContextVar keeps concurrent sends (one task each) from reading each other's value.
_retry_after: ContextVar[str | None] = ContextVar("twilio_retry_after", default=None)


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class _RetryAfterRecorder(AsyncHttpClient):  # type: ignore[misc]  # twilio is untyped
    """Delegate to the real transport and remember the last Retry-After header."""

    def __init__(self, inner: AsyncHttpClient) -> None:
        super().__init__(logger, True, inner.timeout)
        self.inner = inner

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - twilio's transport interface
        allow_redirects: bool = False,
    ) -> Response:
        # AsyncTwilioHttpClient ignores its own timeout unless one is passed per request.
        effective = timeout if timeout is not None else self.timeout
        response = await self.inner.request(
            method, uri, params, data, headers, auth, effective, allow_redirects
        )
        found = None
        for key, value in dict(response.headers or {}).items():
            if str(key).lower() == "retry-after":
                found = str(value)
        _retry_after.set(found)
        return response


class _HeaderAuthTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # untyped
    """Twilio's aiohttp transport, sending basic auth as a header.

    aiohttp 3.14 deprecates ``BasicAuth``, which the SDK passes for every request; building the
    header ourselves avoids the warning. The SDK's request log already skips this header.
    """

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - twilio's transport interface
        allow_redirects: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if auth is not None:
            pair = f"{auth[0]}:{auth[1]}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        response: Response = await super().request(
            method, uri, params, data, headers, None, timeout, allow_redirects
        )
        return response


class WhatsAppChannel:
    """The WhatsApp adapter: renders, sends through Twilio and maps Twilio errors."""

    supports_buttons = False

    def __init__(
        self,
        account_sid: str,
        auth_token: _Secret | str,
        from_number: str,
        on_message: InboundHandler,
        *,
        api_base_url: str = DEFAULT_API_BASE_URL,
        status_callback_url: str | None = None,
        templates: Mapping[str, WhatsAppTemplate] | None = None,
        http_client: AsyncHttpClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._from = whatsapp_address(from_number)
        self._on_message = on_message
        self._api_base_url = api_base_url
        self._status_callback_url = status_callback_url
        self._templates = dict(templates or {})
        self._injected_http = http_client
        self._timeout = timeout
        self._owned_http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    def __repr__(self) -> str:
        return f"WhatsAppChannel(account_sid={self._account_sid!r}, from={self._from!r})"

    @property
    def name(self) -> ChannelName:
        """Return the registry name."""
        return CHANNEL_NAME

    async def start(self) -> None:
        """Build the Twilio client inside the running loop (aiohttp binds to it)."""
        if self._client is not None:
            return
        transport = self._injected_http
        if transport is None:
            # No SDK retries: a retried POST /Messages can deliver the message twice;
            # the outbox retries with its own idempotency instead.
            self._owned_http = _HeaderAuthTwilioHttpClient(timeout=self._timeout, max_retries=None)
            transport = self._owned_http
        client = Client(
            self._account_sid, self._token(), http_client=_RetryAfterRecorder(transport)
        )
        # TWILIO_EDGE / TWILIO_REGION in the environment would rewrite the host and bypass
        # api_base_url, so the configured URL is the only thing that decides where we go.
        client.edge = None
        client.region = None
        client.api.base_url = self._api_base_url
        self._client = client

    async def stop(self) -> None:
        """Close the HTTP session this channel opened (an injected one belongs to its owner)."""
        self._client = None
        if self._owned_http is not None:
            owned, self._owned_http = self._owned_http, None
            await owned.close()

    async def send(self, message: OutboundMessage) -> DeliveryResult:
        """Send one message; free-form text, or the approved template when the outbox asks."""
        if self._client is None:
            raise RuntimeError("WhatsAppChannel.send() called before start()")
        kwargs = self._create_arguments(message)
        _retry_after.set(None)
        try:
            created: Any = await self._client.messages.create_async(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _map_twilio_error(exc, _retry_after.get()) from exc
        except TimeoutError as exc:  # asyncio.TimeoutError is this builtin since 3.11
            raise TransientError("timeout", type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            raise TransientError("network", type(exc).__name__) from exc
        sid = str(created.sid) if created.sid else None
        status = str(created.status) if created.status else "queued"
        return DeliveryResult(provider_message_id=sid, extra={"status": status})

    async def process_inbound(self, form: Mapping[str, str]) -> None:
        """Parse a verified inbound webhook form and hand the message to the handler."""
        await self._on_message(parse_inbound_form(form, received_at=datetime.now(UTC)))

    def _create_arguments(self, message: OutboundMessage) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "to": whatsapp_address(str(message.recipient.chat_id)),
            "from_": self._from,
        }
        if self._status_callback_url:
            kwargs["status_callback"] = self._status_callback_url
        if message.use_template:
            template = self._templates.get(message.kind)
            if template is None:
                raise PermanentError("no_template", f"no WhatsApp template for {message.kind!r}")
            kwargs["content_sid"] = template.content_sid
            if template.variables:
                kwargs["content_variables"] = content_variables(template, message.template_values)
            return kwargs
        kwargs["body"] = render_whatsapp(message).body
        if message.image_url:
            kwargs["media_url"] = [message.image_url]
        return kwargs

    def _token(self) -> str:
        token = self._auth_token
        return token if isinstance(token, str) else token.get_secret_value()


def _map_twilio_error(
    exc: TwilioRestException | TwilioServiceException, retry_after: str | None
) -> ChannelError:
    """Translate a Twilio API error into a neutral one, by Twilio code first, then HTTP status."""
    code = exc.code if isinstance(exc.code, int) else None
    status = int(exc.status) if exc.status else 0
    detail = f"twilio {code or status}"
    if code == _UNAUTHORIZED or status == 401:
        # Wrong credentials are the operator's to fix; no message or recipient is at fault.
        return ChannelUnavailable(f"unauthorized: {detail}")
    if code == _OUTSIDE_WINDOW:
        # The window is ours to track (the preflight); the person stays subscribed.
        return PermanentError("outside_window", detail)
    if code is not None and code in UNREACHABLE_CODES:
        return RecipientUnreachable(UNREACHABLE_CODES[code], detail)
    if code in _RATE_LIMITS or status == 429:
        return RateLimited(_retry_seconds(retry_after), detail, scope="channel")
    if code in _INVALID_DESTINATION:
        return DestinationInvalid(_INVALID_DESTINATION[code], detail)
    if code in _PERMANENT:
        return PermanentError(_PERMANENT[code], detail)
    if status >= 500:
        return TransientError("server_error", detail)
    if 400 <= status < 500:
        return PermanentError(f"twilio_{code or status}", detail)
    return TransientError("unexpected_status", detail)


def _retry_seconds(header: str | None) -> float:
    """Read Retry-After as seconds or an HTTP date; fall back to a short pause."""
    if not header:
        return DEFAULT_RETRY_AFTER
    header = header.strip()
    try:
        return max(float(header), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
