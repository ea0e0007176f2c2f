"""A Minbar process that acknowledges one signed Twilio webhook, then dies by SIGKILL.

Run as ``python tests/e2e/crash_after_ack.py`` with a JSON object on stdin: ``config`` (config
data), ``environ`` (its secrets), ``path`` (the webhook route) and ``form`` (the fields Twilio
posts). It builds the service on the configured database, migrates it, posts the form, signed
as Twilio signs it, through the service's own web app, prints the status it was answered and
kills itself at once: the inbox worker never ran, so only what was stored survives.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from bot.app import build_service
from bot.config import build_config
from bot.storage.migrate import upgrade_database
from bot.web import create_web_app


async def acknowledge_then_die(spec: dict[str, Any]) -> None:
    """Post the signed webhook, print the answer's status, then SIGKILL this process."""
    config = build_config(spec["config"], spec["environ"])
    await upgrade_database(config.database.url)
    service = build_service(config)
    app = create_web_app(service.status, service.web_routes())
    public_url = config.web.public_url
    form: dict[str, str] = spec["form"]
    validator = RequestValidator(spec["environ"]["MINBAR_TWILIO__AUTH_TOKEN"])
    signature = validator.compute_signature(public_url + spec["path"], form)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=public_url) as client:
        answer = await client.post(
            spec["path"], data=form, headers={"X-Twilio-Signature": signature}
        )
    print(answer.status_code, flush=True)
    # No shutdown, no worker, no dispose: as if the machine lost power after the answer.
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(acknowledge_then_die(json.loads(sys.stdin.read())))
