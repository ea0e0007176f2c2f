"""The examples in docs/ run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.core.clock import FrozenClock
from bot.core.commands import CommandRegistry
from bot.core.ids import ChannelName, ChatId, UserId
from bot.core.messages import ChatKind, Choice, InboundMessage
from bot.storage.db import Database
from bot.storage.migrate import upgrade_database
from handlers import flow_table, register_commands
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.feature import Feature
from handlers.flows import Answer, Ask, Done, Flow, Next
from tests.handlers.conftest import START, drain, make_context

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
_refs = iter(range(1, 1000))


def _example(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {name} -->\s*```python\n(.*?)```", text, re.DOTALL)
    assert found is not None, f"docs/architecture.md has no example {name!r}"
    return found.group(1)


def _trip_feature() -> Feature:
    namespace: dict[str, Any] = {
        "Any": Any,
        "Answer": Answer,
        "Ask": Ask,
        "Choice": Choice,
        "Done": Done,
        "Feature": Feature,
        "Flow": Flow,
        "HandlerContext": HandlerContext,
        "Next": Next,
    }
    exec(compile(_example("two-step-flow"), str(DOC), "exec"), namespace)  # noqa: S102 - our own doc
    feature = namespace["FEATURE"]
    assert isinstance(feature, Feature)
    return feature


def _message(channel: str, text: str = "", choice: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel=ChannelName(channel),
        chat_id=ChatId("555"),
        sender_id=UserId("555"),
        text=text,
        received_at=START,
        chat_kind=ChatKind.PRIVATE,
        message_ref=f"doc:{next(_refs)}",
        choice_data=choice,
    )


async def _setup(tmp_path: Path) -> tuple[Database, HandlerContext, Dispatcher]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'doc.db'}")
    await upgrade_database(db)
    feature = _trip_feature()
    ctx = make_context(db, FrozenClock(START))
    ctx.commands = CommandRegistry()
    register_commands(ctx.commands, [feature])
    ctx.flows = flow_table([feature])
    return db, ctx, Dispatcher(ctx, [feature])


async def _said(ctx: HandlerContext) -> list[str]:
    return [item.message.plain_text for item in await drain(ctx)]


async def test_two_step_flow_works_with_buttons(tmp_path: Path) -> None:
    """On a platform with buttons, /trip and two presses finish the documented flow."""
    db, ctx, dispatcher = await _setup(tmp_path)
    try:
        await dispatcher.handle(_message("telegram", "/trip"))
        first = await drain(ctx)
        assert [c.data for c in first[0].message.choices] == ["trip:ramadan", "trip:december"]
        await dispatcher.handle(_message("telegram", choice="trip:december"))
        assert await _said(ctx) == ["How many travellers?"]
        await dispatcher.handle(_message("telegram", choice="trip:2-4"))
        assert await _said(ctx) == ["Noted: december, 2-4 travelling."]
        assert await ctx.repos.dialogs.get("telegram", "555") is None
    finally:
        await db.dispose()


async def test_two_step_flow_works_with_typed_numbers(tmp_path: Path) -> None:
    """On a platform without buttons, TRIP and two typed numbers finish the same flow."""
    db, ctx, dispatcher = await _setup(tmp_path)
    try:
        await dispatcher.handle(_message("whatsapp", "TRIP"))
        first = await drain(ctx)
        assert first[0].message.plain_text == "Which month would you travel?"
        await dispatcher.handle(_message("whatsapp", "2"))
        assert await _said(ctx) == ["How many travellers?"]
        await dispatcher.handle(_message("whatsapp", "hello"))
        assert await _said(ctx) == ["Please pick one of the options."]
        await dispatcher.handle(_message("whatsapp", "3"))
        assert await _said(ctx) == ["Noted: december, 5+ travelling."]
    finally:
        await db.dispose()
