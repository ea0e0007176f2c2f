"""The Starlette app: health endpoints now, platform webhooks mounted by ``bot.app``.

``/readyz`` means "this process can accept and store inbound": its database answers (and, by
answering at all, its web server is up). A platform that is down does not make it unready:
the other platforms' webhooks must keep arriving, and a process taken out of its load balancer
would receive none. The body names the channels that are down and since when.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core.status import ChannelOutage

logger = logging.getLogger(__name__)


class HealthSource(Protocol):
    """Answers the readiness questions."""

    async def database_ok(self) -> bool:
        """Return whether the database answers."""
        ...

    def channels_started(self) -> dict[str, bool]:
        """Return each channel's started flag."""
        ...

    def channels_down(self) -> Mapping[str, ChannelOutage]:
        """Return the channels that could not start yet (retried in the background)."""
        ...


def create_web_app(health: HealthSource, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """Build the web app; ``extra_routes`` carries the webhooks of live channels."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        db_ok = await health.database_ok()
        body = {
            "ready": db_ok,
            "database": db_ok,
            "channels": health.channels_started(),
            "channels_down": {
                name: _outage_json(outage) for name, outage in health.channels_down().items()
            },
        }
        return JSONResponse(body, status_code=200 if db_ok else 503)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        *extra_routes,
    ]
    return Starlette(routes=routes)


def _outage_json(outage: ChannelOutage) -> dict[str, object]:
    next_at = outage.next_attempt_at
    return {
        "since": outage.since.isoformat(),
        "error": outage.error_key,
        "attempts": outage.attempts,
        "next_attempt_at": next_at.isoformat() if next_at is not None else None,
    }
