"""Built-in commands: /help, /chatid, /status."""

from __future__ import annotations

from datetime import timedelta

from bot.core.messages import ChatKind
from handlers.admin import render_status
from handlers.context import HandlerContext, StatusSnapshot
from handlers.dispatch import Dispatcher
from tests.handlers.conftest import ADMIN_ID, START, drain, inbound


async def test_help_hides_admin_commands_from_members(ctx: HandlerContext) -> None:
    """/help lists public commands to a member and never /status."""
    await Dispatcher(ctx).handle(inbound("/help"))
    (sent,) = await drain(ctx)
    text = sent.message.plain_text
    assert "/start" in text
    assert "/chatid" in text
    assert "/status" not in text


async def test_help_shows_admin_commands_to_admins(ctx: HandlerContext) -> None:
    """/help for an admin includes the admin commands, marked as such."""
    await Dispatcher(ctx).handle(inbound("/help", sender=ADMIN_ID))
    (sent,) = await drain(ctx)
    assert "/status — Service health" in sent.message.plain_text
    assert "(admin)" in sent.message.plain_text


async def test_chatid_tells_a_group_its_id(ctx: HandlerContext) -> None:
    """/chatid@botname in a group answers with the group's channel-qualified id."""
    await Dispatcher(ctx).handle(inbound("/chatid@AttaqwaaBot", kind=ChatKind.GROUP, chat="-1009"))
    (sent,) = await drain(ctx)
    assert sent.message.plain_text == "This chat is telegram:-1009 (group)."
    assert sent.message.recipient.chat_id == "-1009"


def test_status_text_reports_every_part() -> None:
    """The status report names uptime, database, role, channels, outbox and the last poll."""
    snap = StatusSnapshot(
        started_at=START,
        database_ok=False,
        channels={"telegram": True, "whatsapp": False},
        outbox_depth={"failed": 1, "pending": 3},
        last_poll={
            "at": "t1",
            "result": "failed",
            "last_error": "timeout",
            "last_success_at": "t0",
        },
        unhealthy_destinations=("telegram:@x chat_not_found",),
        is_leader=False,
    )
    text = render_status(snap, START + timedelta(hours=2, minutes=5))
    assert text.splitlines() == [
        "Uptime: 2h 5m",
        "Database: UNREACHABLE",
        "Role: follower",
        "Channels: telegram up, whatsapp DOWN",
        "Outbox: failed 1, pending 3",
        "Last forum poll: t1 (failed)",
        "Last successful poll: t0",
        "Last poll error: timeout",
        "Destinations with errors: telegram:@x chat_not_found",
    ]
