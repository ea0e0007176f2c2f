"""The Starlette app: health endpoints now, platform webhooks mounted by ``bot.app``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

logger = logging.getLogger(__name__)


class HealthSource(Protocol):
    """Answers the readiness questions."""

    async def database_ok(self) -> bool:
        """Return whether the database answers."""
        ...

    def channels_started(self) -> dict[str, bool]:
        """Return each channel's started flag."""
        ...


def create_web_app(health: HealthSource, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """Build the web app; ``extra_routes`` carries the webhooks of live channels."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        db_ok = await health.database_ok()
        channels = health.channels_started()
        ready = db_ok and all(channels.values())
        body = {"ready": ready, "database": db_ok, "channels": channels}
        return JSONResponse(body, status_code=200 if ready else 503)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        *extra_routes,
    ]
    return Starlette(routes=routes)
