"""Run a fake platform in its own process for ``minbar bench telegram|whatsapp``.

``python -m tests.fakes.bench_server telegram --port P --recipients N --token T`` serves the fake
Bot API with Telegram's limits and N private chats; ``… whatsapp --sid S --auth A --rate R``
serves the fake Twilio API with N numbers inside their 24-hour window. ``GET /_bench/stats``
reports what the fake accepted, refused and saw twice. The fake runs in a separate process so
the service's memory and event loop are measured alone.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_limits import RateLimits
from tests.fakes.twilio_api import FakeTwilioApi

FIRST_CHAT = 500_000_000
"""Private chat ids are FIRST_CHAT + 0 … N-1; WhatsApp numbers +23480 followed by 8 digits."""


def whatsapp_number(index: int) -> str:
    """Return the E.164 number of bench recipient ``index``."""
    return f"+23480{index:08d}"


def summarise(times: Sequence[float], keys: Sequence[str], limit: float) -> dict[str, Any]:
    """Return counts, duplicates and the steady rate (after the first second's burst)."""
    ordered = sorted(times)
    duplicates = sum(n - 1 for n in Counter(keys).values() if n > 1)
    out: dict[str, Any] = {"accepted": len(ordered), "duplicates": duplicates, "limit": limit}
    if len(ordered) >= 2:
        first, last = ordered[0], ordered[-1]
        steady = [t for t in ordered if t >= first + 1.0]
        out["seconds"] = last - first
        out["overall_rate"] = (len(ordered) - 1) / (last - first) if last > first else 0.0
        if len(steady) >= 2 and steady[-1] > steady[0]:
            out["steady_rate"] = (len(steady) - 1) / (steady[-1] - steady[0])
        gaps = [b - a for a, b in itertools.pairwise(ordered)]
        out["median_gap_ms"] = statistics.median(gaps) * 1000 if gaps else 0.0
    return out


async def serve_telegram(port_file: str, recipients: int, token: str) -> None:
    """Serve the fake Bot API with Telegram's published limits until SIGTERM."""
    fake = FakeTelegramApi(token, limits=RateLimits())
    for index in range(recipients):
        fake.add_private_chat(FIRST_CHAT + index, first_name=f"Member {index}")

    async def stats(request: Request) -> JSONResponse:
        body = summarise(
            [m.time for m in fake.sent], [f"{m.chat_id}:{m.html}" for m in fake.sent], 30.0
        )
        body.update(
            count_429=fake.count_429, violations=fake.violations, rejected=len(fake.rejected)
        )
        return JSONResponse(body)

    fake.app.router.routes.append(Route("/_bench/stats", stats))
    await fake.start()
    await _announce_and_wait(port_file, fake.port)
    await fake.stop()


async def serve_whatsapp(port_file: str, recipients: int, sid: str, auth: str, rate: float) -> None:
    """Serve the fake Twilio API at ``rate`` messages/s until SIGTERM."""
    refused = Counter[int]()

    async with FakeTwilioApi.running(sid, auth, rate_per_second=rate) as fake:
        now = datetime.now(UTC)
        for index in range(recipients):
            fake.set_last_inbound(whatsapp_number(index), now)
        original_take = fake._take_token

        def counting_take(sender: str) -> bool:
            allowed = original_take(sender)
            if not allowed:
                refused[429] += 1
            return allowed

        fake._take_token = counting_take  # type: ignore[method-assign]
        created = TimedList()
        fake.messages = created

        async def stats(request: Request) -> JSONResponse:
            keys = [f"{m.params.get('To')}:{m.params.get('Body')}" for m in created]
            body = summarise(created.times, keys, rate)
            body.update(count_429=refused[429], violations=0, rejected=0)
            return JSONResponse(body)

        fake.app.router.routes.append(Route("/_bench/stats", stats))
        port = int(fake.base_url.rsplit(":", 1)[1])
        await _announce_and_wait(port_file, port)


class TimedList(list[Any]):
    """The fake's message list, noting when each message was created."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        """Record the time, then store the message."""
        self.times.append(time.monotonic())
        super().append(item)


async def _announce_and_wait(port_file: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with open(port_file, "w", encoding="utf-8") as out:  # noqa: ASYNC230 - a few bytes, once
        out.write(str(port))
    await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve the chosen fake."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("platform", choices=["telegram", "whatsapp"])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--token", default="123456:BENCH-fake-token")
    parser.add_argument("--sid", default="AC" + "0" * 32)
    parser.add_argument("--auth", default="bench-auth-token")
    parser.add_argument("--rate", type=float, default=80.0)
    args = parser.parse_args(argv)
    if args.platform == "telegram":
        asyncio.run(serve_telegram(args.port_file, args.recipients, args.token))
    else:
        asyncio.run(serve_whatsapp(args.port_file, args.recipients, args.sid, args.auth, args.rate))


if __name__ == "__main__":
    main()
