"""What every webhook route shares: a request body read with a size limit."""

from __future__ import annotations

from starlette.requests import Request

MAX_BODY = 256 * 1024
"""Webhook bodies are small; anything bigger is refused before parsing."""


async def read_limited_body(request: Request, limit: int = MAX_BODY) -> bytes | None:
    """Return the request body, or None once it grows past ``limit`` bytes."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
