"""Twilio's webhook routes: verify the signature first, store what came, then answer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.http import read_limited_body
from bot.channels.whatsapp.forms import (
    CHANNEL_NAME,
    InvalidWebhookForm,
    is_valid_twilio_signature,
    parse_inbound_form,
    parse_status_form,
    whatsapp_address,
)
from bot.core.channel import InboundHandler, ReportHandler

__all__ = ["CHANNEL_NAME", "INBOUND_PATH", "STATUS_PATH", "twilio_routes", "whatsapp_address"]

logger = logging.getLogger(__name__)

INBOUND_PATH = "/webhooks/twilio/inbound"
STATUS_PATH = "/webhooks/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_routes(
    *,
    auth_token: str,
    public_url: str,
    on_inbound: InboundHandler,
    on_report: ReportHandler,
) -> list[Route]:
    """Return the signed Twilio routes: inbound messages and delivery status callbacks."""

    async def signed_form(request: Request) -> FormData | Response:
        body = await read_limited_body(request)
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
            message = parse_inbound_form(fields, received_at=datetime.now(UTC))
        except InvalidWebhookForm as exc:
            return Response(f"bad inbound message: {exc}", status_code=400)
        try:
            await on_inbound(message)  # stored before Twilio hears 200: it never resends
        except Exception:
            logger.exception("Could not store inbound %s; Twilio is told 503", message.message_ref)
            return Response(status_code=503)
        return Response(EMPTY_TWIML, media_type="application/xml")

    async def status(request: Request) -> Response:
        form = await signed_form(request)
        if isinstance(form, Response):
            return form
        try:
            report = parse_status_form({key: str(value) for key, value in form.items()})
        except InvalidWebhookForm as exc:
            return Response(f"bad status callback: {exc}", status_code=400)
        if report is not None:
            try:
                await on_report(report)  # stored now, applied in batches by the inbox worker
            except Exception:
                logger.exception("Could not store a status callback; Twilio is told 503")
                return Response(status_code=503)
        return Response(status_code=204)

    return [
        Route(INBOUND_PATH, inbound, methods=["POST"]),
        Route(STATUS_PATH, status, methods=["POST"]),
    ]
