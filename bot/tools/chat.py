"""``minbar chat``: a terminal conversation through the same handlers as the platforms."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import TextIO

from bot.app import build_service
from bot.channels.console.adapter import ConsoleChannel
from bot.config import Config
from bot.core.errors import ConfigError
from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import ChatKind, InboundMessage
from bot.runtime import Runtime

REPLY_WAIT = 3.0
"""Seconds to wait for the bot's answer before prompting again."""


async def run_chat(
    config: Config,
    *,
    user: str = "console-user",
    name: str = "Guest",
    platform: str = "console",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Read lines until EOF or /quit, dispatch each, print the replies; return lines handled."""
    reader = stdin or sys.stdin
    writer = stdout or sys.stdout
    # Every platform is a console here (console_only): a chat session must never reach real
    # chats, even when pointed at a production config, whichever platforms the build has.
    service = build_service(config, console_stream=writer, console_only=True)
    console = service.channels.get(platform)
    if not isinstance(console, ConsoleChannel):
        known = ", ".join(service.channels.names())
        await service.db.dispose()
        raise ConfigError(f"no platform called {platform!r} here; choose one of: {known}")
    runtime = Runtime(service, serve_web=False, lead=False)
    handled = 0
    await runtime.start()
    try:
        writer.write(f"Chatting with {config.service.name} as {name} ({user}). /quit to leave.\n")
        while True:
            writer.write("you> ")
            writer.flush()
            line = await asyncio.to_thread(reader.readline)
            if not line or line.strip() in {"/quit", "/exit"}:
                break
            if not line.strip():
                continue
            before = len(console.sent)
            await service.dispatch(
                InboundMessage(
                    channel=ChannelName(platform),
                    chat_id=ChatId(user),
                    sender_id=UserId(user),
                    text=line.rstrip("\n"),
                    received_at=service.clock.now(),
                    chat_kind=ChatKind.PRIVATE,
                    sender_name=name,
                    message_ref=f"console:{uuid.uuid4().hex}",
                )
            )
            handled += 1
            await _wait_for_reply(console, before)
    finally:
        await runtime.stop()
    return handled


async def _wait_for_reply(console: ConsoleChannel, before: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLY_WAIT
    # The console keeps a plain list of what it sent; polling it briefly is simplest.
    while len(console.sent) == before and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
