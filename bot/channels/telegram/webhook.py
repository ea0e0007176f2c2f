"""Telegram's webhook route: check the secret header first, store the update, then answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.http import read_limited_body

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name, not a secret


def telegram_route(
    check_secret: Callable[[str | None], bool],
    process: Callable[[dict[str, Any]], Awaitable[None]],
) -> Route:
    """Return the route Telegram posts updates to (403 without the right secret)."""

    async def telegram_webhook(request: Request) -> Response:
        if not check_secret(request.headers.get(SECRET_HEADER)):
            logger.warning("Refused a Telegram webhook without the right secret")
            return Response(status_code=403)
        body = await read_limited_body(request)
        if body is None:
            return Response(status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return Response("not JSON", status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response("not a Telegram update", status_code=400)
        try:
            await process(data)  # stored (or recorded as unreadable) before Telegram hears 200
        except Exception:
            logger.exception(
                "Could not store Telegram update %s; Telegram will resend it", data["update_id"]
            )
            return Response(status_code=503)
        return Response(status_code=200)

    return Route(WEBHOOK_PATH, telegram_webhook, methods=["POST"])


def derived_webhook_secret(token: str) -> str:
    """Return the webhook secret derived from a bot token (HMAC: the token cannot be recovered).

    Every process of a cluster derives the same one, so each registers and checks the same
    secret; the log redactor derives it too, so it never appears in a log line.
    """
    digest = hmac.new(token.encode(), b"minbar webhook secret", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
