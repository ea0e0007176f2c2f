"""``minbar chat``: a terminal conversation through the same handlers as the platforms.

A chat session is a rehearsal and must never take a real chat's messages. Two rules hold that:

* it runs on its own database (``CHAT_DATABASE_URL``) unless told otherwise, so by default it
  never opens the configured one;
* whatever the database, its outbox worker claims only rows addressed to the person chatting
  (``claim_only``, enforced in the claim statement). On any database but its own that person
  must be a console identity (``console-…``), so no real person's messages can be taken.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from bot.app import Service, build_service
from bot.channels.console.adapter import ConsoleChannel
from bot.config import Config
from bot.config_schema import DatabaseSettings
from bot.core.errors import ConfigError, ForumError
from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import ChatKind, InboundMessage
from bot.i18n import LANGUAGES
from bot.runtime import Runtime
from handlers.relay.poll import relay_new_topics

REPLY_WAIT = 3.0
REPLY_QUIET = 0.2
"""Seconds without a new reply after which a line counts as answered."""
"""Seconds to wait for the bot's answer before prompting again."""
CHAT_DATABASE_URL = "sqlite+aiosqlite:///var/chat.sqlite3"
"""The chat's own database: kept between sessions (subscriptions, settings), relative to the
working directory as the shipped config's ``var/minbar.db`` is."""
CONSOLE_IDENTITY_PREFIX = "console-"
"""User ids no platform gives a real person; the only ones chat uses on a shared database."""


async def run_chat(
    config: Config,
    *,
    user: str = "console-user",
    name: str = "Guest",
    platform: str = "console",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    database: str | None = None,
    use_config_database: bool = False,
    language: str | None = None,
) -> int:
    """Read lines until EOF or /quit, dispatch each, print the replies; return lines handled.

    ``database`` names the database to use instead of the chat's own; ``use_config_database``
    uses the configured one (the one ``minbar run`` uses). ``language`` is chosen for the
    person up front; without it a new chat is offered the language menu, as on the platforms.
    """
    if language is not None and language not in LANGUAGES:
        raise ConfigError(f"--language {language!r}: choose one of {', '.join(LANGUAGES)}")
    reader = stdin or sys.stdin
    writer = stdout or sys.stdout
    chat_config = with_chat_database(config, database, use_config_database=use_config_database)
    shared = database is not None or use_config_database
    if shared and not user.startswith(CONSOLE_IDENTITY_PREFIX):
        raise ConfigError(
            f"on a database other than chat's own, chat only talks as a console identity "
            f"(a --user starting with {CONSOLE_IDENTITY_PREFIX!r}), so it can never take a real "
            f"person's messages; got {user!r}"
        )
    # Every platform is a console here (console_only): a chat session must never reach real
    # chats, even when pointed at a production config, whichever platforms the build has.
    # claim_only: the worker leases only this person's rows, never a channel post, a review
    # card or anyone else's message sitting in the same outbox.
    service = build_service(
        chat_config,
        console_stream=writer,
        console_only=True,
        claim_only=frozenset({(platform, user)}),
    )
    console = service.channels.get(platform)
    if not isinstance(console, ConsoleChannel):
        known = ", ".join(service.channels.names())
        await service.db.dispose()
        raise ConfigError(f"no platform called {platform!r} here; choose one of: {known}")
    runtime = Runtime(service, serve_web=False, lead=False)
    handled = 0
    await runtime.start()
    try:
        if language is not None:
            await service.ctx.repos.subscribers.set_language(platform, user, "private", language)
        if not shared:
            await _learn_the_boards(service, writer)
        where = chat_config.database.display_url
        writer.write(
            f"Chatting with {config.service.name} as {name} ({user}) on {where}. /quit to leave.\n"
        )
        while True:
            writer.write("you> ")
            writer.flush()
            line = await asyncio.to_thread(reader.readline)
            if not line or line.strip() in {"/quit", "/exit"}:
                break
            if not line.strip():
                continue
            before = len(console.sent)
            await service.receive(
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


def with_chat_database(
    config: Config, database: str | None, *, use_config_database: bool = False
) -> Config:
    """Return ``config`` on the database the chat should use (its own unless told otherwise)."""
    if use_config_database:
        if database is not None:
            raise ConfigError("--database and --use-config-database exclude each other")
        return config
    url = database or CHAT_DATABASE_URL
    if database is None and same_database(url, config.database.url):
        # Only when the configured database *is* var/chat.sqlite3: refuse rather than share it
        # silently, since "its own database" is the promise.
        raise ConfigError(
            f"the configured database is chat's own ({CHAT_DATABASE_URL}); "
            "pass --database URL for another one, or --use-config-database to share it"
        )
    try:
        # A database chat owns (or was handed for the session) is always brought to head.
        own = DatabaseSettings(url=url, migrate_on_start=True, echo=config.database.echo)
    except ValidationError as exc:
        raise ConfigError(f"--database: {exc.errors()[0]['msg']}") from None
    return config.model_copy(update={"database": own})


def same_database(first: str, second: str) -> bool:
    """Return whether two database URLs name the same database (SQLite files by path)."""
    a, b = _sqlite_file(first), _sqlite_file(second)
    if a is not None or b is not None:
        return a == b
    return first == second and not first.startswith(_SQLITE)  # in-memory ones never match


_SQLITE = "sqlite+aiosqlite://"


def _sqlite_file(url: str) -> Path | None:
    # Parsed by hand: outside bot/storage nothing imports SQLAlchemy (tests/test_layers.py).
    if not url.startswith(_SQLITE + "/"):
        return None
    path = url[len(_SQLITE) + 1 :].split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path).resolve()


async def _wait_for_reply(console: ConsoleChannel, before: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLY_WAIT
    # The console keeps a plain list of what it sent; polling it briefly is simplest.
    while len(console.sent) == before and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    # One line may get several answers (the language, then the kept first message): wait
    # until the replies stop coming, so each shows before the next prompt.
    seen = len(console.sent)
    quiet_until = loop.time() + REPLY_QUIET
    while loop.time() < min(quiet_until, deadline):
        await asyncio.sleep(0.02)
        if len(console.sent) != seen:
            seen, quiet_until = len(console.sent), loop.time() + REPLY_QUIET


async def _learn_the_boards(service: Service, writer: TextIO) -> None:
    """Read the forum once, relaying nothing, so a new chat's board menu has boards.

    Only on chat's own database: there the scheduler never polls (a chat never leads).
    """
    ctx = service.ctx
    if ctx.forum is None or await ctx.repos.topics.boards_seen():
        return
    relay = replace(ctx.settings.relay, backfill=0)  # every topic seen, none sent
    try:
        await relay_new_topics(ctx.forum, replace(ctx, settings=replace(ctx.settings, relay=relay)))
    except ForumError as exc:
        writer.write(f"(The forum could not be read, so the board menu is empty: {exc})\n")
