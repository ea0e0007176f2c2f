"""Twilio's HTTP transport, adapted: Retry-After remembered, basic auth sent as a header."""

from __future__ import annotations

import base64
import logging
from contextvars import ContextVar
from typing import Protocol

from twilio.http import AsyncHttpClient
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response

logger = logging.getLogger(__name__)

# The SDK drops response headers when it raises, so the transport notes Retry-After here.
# A ContextVar keeps concurrent sends (one task each) from reading each other's value.
retry_after_header: ContextVar[str | None] = ContextVar("twilio_retry_after", default=None)


class Secret(Protocol):
    def get_secret_value(self) -> str: ...


class RetryAfterRecorder(AsyncHttpClient):  # type: ignore[misc]  # twilio is untyped
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
        retry_after_header.set(found)
        return response


class HeaderAuthTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # untyped
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
