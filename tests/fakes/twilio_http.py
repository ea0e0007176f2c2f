"""A Holodeck-style twilio transport: records requests and answers from a queue of responses.

Passed as ``WhatsAppChannel(http_client=...)`` it sits under the real twilio SDK, so tests see
exactly what the SDK would put on the wire without any network.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from twilio.http import AsyncHttpClient
from twilio.http.response import Response

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the SDK made."""

    method: str
    url: str
    data: Mapping[str, Any]
    headers: Mapping[str, str]
    auth: tuple[str, str] | None
    timeout: float | None


@dataclass
class _Planned:
    status: int = 201
    payload: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    error: BaseException | None = None


def message_resource(data: Mapping[str, Any], account_sid: str) -> dict[str, Any]:
    """Return the Message JSON Twilio answers a successful create with."""
    sid = "SM" + secrets.token_hex(16)
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": data.get("Body", ""),
        "date_created": "Thu, 27 Nov 2025 10:00:00 +0000",
        "date_sent": None,
        "date_updated": "Thu, 27 Nov 2025 10:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": data.get("From"),
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {},
        "to": data.get("To"),
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
    }


def twilio_error(code: int, message: str, status: int = 400) -> dict[str, Any]:
    """Return Twilio's JSON error body."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class FakeTwilioHttp(AsyncHttpClient):  # type: ignore[misc]  # twilio is untyped
    """Answer each request with the next planned response; default to a queued Message."""

    def __init__(self, account_sid: str = "AC" + "0" * 32) -> None:
        super().__init__(_logger, is_async=True)
        self.account_sid = account_sid
        self.requests: list[RecordedRequest] = []
        self._plan: list[_Planned] = []
        self.closed = False

    def respond(
        self, status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the next request with this status, JSON payload and headers."""
        self._plan.append(_Planned(status, payload, dict(headers or {})))

    def respond_error(
        self, code: int, status: int = 400, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the next request with a Twilio error body."""
        self.respond(status, twilio_error(code, f"fake error {code}", status), headers)

    def raise_next(self, error: BaseException) -> None:
        """Make the next request fail with ``error`` (a timeout, a connection reset)."""
        self._plan.append(_Planned(error=error))

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
        """Record the request and return the planned response."""
        body = dict(data or {})
        self.requests.append(RecordedRequest(method, uri, body, dict(headers or {}), auth, timeout))
        planned = self._plan.pop(0) if self._plan else _Planned()
        if planned.error is not None:
            raise planned.error
        payload = planned.payload
        if payload is None:
            payload = message_resource(body, self.account_sid)
        return Response(planned.status, json.dumps(payload), dict(planned.headers))

    async def close(self) -> None:
        """Note that the owner closed the transport."""
        self.closed = True

    @property
    def last(self) -> RecordedRequest:
        """Return the most recent request."""
        return self.requests[-1]
