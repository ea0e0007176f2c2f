"""Webhook routes: authenticate first, answer fast, hand the work to a tracked task."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.twilio_webhooks import (
    InvalidWebhookForm,
    StatusUpdate,
    is_valid_twilio_signature,
    parse_inbound_form,
    parse_status_form,
)

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_BODY = 256 * 1024
"""Webhook bodies are small; anything bigger is refused before parsing."""


class TelegramWebhookTarget(Protocol):
    """What the Telegram webhook route needs from the Telegram channel."""

    def check_webhook_secret(self, header_value: str | None) -> bool:
        """Return whether the secret header matches."""
        ...

    async def process_webhook(self, data: dict[str, Any]) -> None:
        """Queue one update."""
        ...


class BackgroundWork:
    """Tasks started by webhooks after answering; awaited at shutdown so nothing is dropped."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``work`` in the background, logging its failure once."""
        task = asyncio.create_task(self._guard(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except Exception:
            logger.exception("Webhook work %s failed", name)

    async def drain(self) -> None:
        """Wait for every background task still running."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def _read_body(request: Request) -> bytes | None:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def telegram_route(target: TelegramWebhookTarget) -> Route:
    """Return the route Telegram posts updates to (403 without the right secret)."""

    async def telegram_webhook(request: Request) -> Response:
        if not target.check_webhook_secret(request.headers.get("x-telegram-bot-api-secret-token")):
            logger.warning("Refused a Telegram webhook without the right secret")
            return Response(status_code=403)
        body = await _read_body(request)
        if body is None:
            return Response(status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return Response("not JSON", status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response("not a Telegram update", status_code=400)
        await target.process_webhook(data)
        return Response(status_code=200)

    return Route("/webhooks/telegram", telegram_webhook, methods=["POST"])


def twilio_routes(
    *,
    auth_token: str,
    public_url: str,
    on_inbound: Callable[[Mapping[str, str]], Coroutine[Any, Any, None]],
    on_status: Callable[[StatusUpdate], None],
    work: BackgroundWork,
) -> list[Route]:
    """Return the signed Twilio routes: inbound messages and delivery status callbacks."""

    async def signed_form(request: Request) -> FormData | Response:
        body = await _read_body(request)
        if body is None:
            return Response(status_code=413)
        pairs: list[tuple[str, str | UploadFile]] = list(
            parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        )
        form = FormData(pairs)
        # Behind a proxy the Host header lies; Twilio signed the public URL it called.
        url = public_url + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        signature = request.headers.get("x-twilio-signature")
        if not is_valid_twilio_signature(auth_token, url, form, signature):
            logger.warning("Refused a Twilio webhook with a missing or wrong signature")
            return Response(status_code=403)
        return form

    async def inbound(request: Request) -> Response:
        form = await signed_form(request)
        if isinstance(form, Response):
            return form
        fields = {key: str(value) for key, value in form.items()}
        try:
            parse_inbound_form(fields)
        except InvalidWebhookForm as exc:
            return Response(f"bad inbound message: {exc}", status_code=400)
        work.spawn(on_inbound(fields), name=f"twilio-inbound:{fields.get('MessageSid', '?')}")
        return Response(EMPTY_TWIML, media_type="application/xml")

    async def status(request: Request) -> Response:
        form = await signed_form(request)
        if isinstance(form, Response):
            return form
        try:
            update = parse_status_form({key: str(value) for key, value in form.items()})
        except InvalidWebhookForm as exc:
            return Response(f"bad status callback: {exc}", status_code=400)
        on_status(update)  # queued and applied in batches: callbacks come two or three a message
        return Response(status_code=204)

    return [
        Route("/webhooks/twilio/inbound", inbound, methods=["POST"]),
        Route("/webhooks/twilio/status", status, methods=["POST"]),
    ]
