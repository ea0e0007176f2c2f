"""WhatsApp through Twilio: send with the async twilio client, receive through signed webhooks."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import aiohttp
from starlette.routing import BaseRoute
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import AsyncHttpClient
from twilio.rest import Client

from bot.channels.whatsapp.errors import map_twilio_error
from bot.channels.whatsapp.platform import WHATSAPP_CAPABILITIES
from bot.channels.whatsapp.render import WhatsAppTemplate, content_variables, render_whatsapp
from bot.channels.whatsapp.transport import (
    HeaderAuthTwilioHttpClient,
    RetryAfterRecorder,
    Secret,
    retry_after_header,
)
from bot.channels.whatsapp.webhook import (
    CHANNEL_NAME,
    STATUS_PATH,
    twilio_routes,
    whatsapp_address,
)
from bot.core.channel import InboundHandler, ReportHandler
from bot.core.errors import PermanentError, TransientError
from bot.core.ids import ChannelName
from bot.core.messages import DeliveryResult, OutboundMessage
from bot.core.reports import DeliveryReport

__all__ = ["WHATSAPP_CAPABILITIES", "WhatsAppChannel", "WhatsAppTemplate"]

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.twilio.com"
DEFAULT_TIMEOUT = 15.0


class WhatsAppChannel:
    """The WhatsApp adapter: renders, sends through Twilio, maps Twilio errors and webhooks."""

    def __init__(
        self,
        account_sid: str,
        auth_token: Secret | str,
        from_number: str,
        on_message: InboundHandler,
        *,
        api_base_url: str = DEFAULT_API_BASE_URL,
        public_url: str = "",
        templates: Mapping[str, WhatsAppTemplate] | None = None,
        http_client: AsyncHttpClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        on_report: ReportHandler | None = None,
    ) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._from = whatsapp_address(from_number)
        self._on_message = on_message
        self._api_base_url = api_base_url
        self._public_url = public_url.rstrip("/")
        self._templates = dict(templates or {})
        self._injected_http = http_client
        self._timeout = timeout
        self._on_report = on_report or _ignore_report
        self._owned_http: HeaderAuthTwilioHttpClient | None = None
        self._client: Client | None = None
        self.capabilities = replace(WHATSAPP_CAPABILITIES, templates=frozenset(self._templates))

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
            self._owned_http = HeaderAuthTwilioHttpClient(timeout=self._timeout, max_retries=None)
            transport = self._owned_http
        client = Client(self._account_sid, self._token(), http_client=RetryAfterRecorder(transport))
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
        retry_after_header.set(None)
        try:
            created: Any = await self._client.messages.create_async(**kwargs)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise map_twilio_error(exc, retry_after_header.get()) from exc
        except TimeoutError as exc:  # asyncio.TimeoutError is this builtin since 3.11
            raise TransientError("timeout", type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            raise TransientError("network", type(exc).__name__) from exc
        sid = str(created.sid) if created.sid else None
        status = str(created.status) if created.status else "queued"
        return DeliveryResult(provider_message_id=sid, extra={"status": status})

    @property
    def status_callback_url(self) -> str | None:
        """Return where Twilio posts each message's delivery status (None without a URL)."""
        return f"{self._public_url}{STATUS_PATH}" if self._public_url else None

    def web_routes(self) -> Sequence[BaseRoute]:
        """Return the signed inbound and status-callback routes Twilio posts to."""
        return twilio_routes(
            auth_token=self._token(),
            public_url=self._public_url,
            on_inbound=self._on_message,
            on_report=self._on_report,
        )

    def _create_arguments(self, message: OutboundMessage) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "to": whatsapp_address(str(message.recipient.chat_id)),
            "from_": self._from,
        }
        if self.status_callback_url:
            kwargs["status_callback"] = self.status_callback_url
        if message.use_template:
            template = self._templates.get(message.kind)
            if template is None:
                raise PermanentError("no_template", f"no WhatsApp template for {message.kind!r}")
            sid, language = template.choose(message.language)
            if language != message.language:
                logger.info(
                    "WhatsApp template %s: no %s version, sending the %s one",
                    message.kind,
                    message.language,
                    language,
                )
            else:
                logger.debug("WhatsApp template %s in %s", message.kind, language)
            kwargs["content_sid"] = sid
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


async def _ignore_report(report: DeliveryReport) -> None:
    """Drop a report (an adapter built without a service, e.g. to send one message)."""
