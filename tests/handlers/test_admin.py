"""Built-in commands: /start, /help by role, /chatid, /status."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FrozenClock
from bot.core.messages import ChatKind
from bot.core.status import DestinationHealth, InboxStatus, IntakeStatus
from bot.storage.db import Database
from handlers.admin import render_status
from handlers.context import HandlerContext, StatusSnapshot
from handlers.dispatch import Dispatcher
from tests.fakes.channel import whatsapp_like
from tests.handlers.conftest import (
    ADMIN_ID,
    EN,
    START,
    GroupChannel,
    drain,
    inbound,
    make_context,
    texts,
    wa,
)

GROUP = "-100555"
GROUP_ADMIN = "3003"


def listed(text: str) -> set[str]:
    """Return the command names a /help answer lists."""
    return {line.split()[0] for line in text.splitlines() if line.startswith("/")}


async def test_start_points_at_help_where_there_are_commands(ctx: HandlerContext) -> None:
    """On a platform without keywords the welcome names the sender and points at /help."""
    await Dispatcher(ctx).handle(inbound("/start"))
    (text,) = await texts(ctx)
    assert text == (
        "Assalamu alaikum, Aisha!\nI am the Attaqwaa bot. I bring new forum topics to Telegram "
        "and WhatsApp. Send /help to see the commands."
    )


async def test_start_says_help_as_a_word_where_people_talk_in_words(ctx: HandlerContext) -> None:
    """On a keywords platform the welcome points at the word HELP, never at /help."""
    await Dispatcher(ctx).handle(wa("/start"))
    (text,) = await texts(ctx)
    assert text.endswith("Send HELP to see the words you can send.")
    assert "/help" not in text


async def test_help_lists_what_a_member_may_run_in_their_own_chat(ctx: HandlerContext) -> None:
    """/help in private lists the public and own-chat commands, never an admin's."""
    await Dispatcher(ctx).handle(inbound("/help"))
    (sent,) = await drain(ctx)
    names = listed(sent.message.plain_text)
    assert {"/start", "/help", "/chatid", "/subscribe", "/unsubscribe", "/boards"} <= names
    assert "/settings" in names
    assert "/status" not in names
    assert "(admin)" not in sent.message.plain_text


async def test_help_shows_admin_commands_to_admins(ctx: HandlerContext) -> None:
    """/help for an admin includes the admin commands, marked as such."""
    await Dispatcher(ctx).handle(inbound("/help", sender=ADMIN_ID))
    (sent,) = await drain(ctx)
    assert "/status — Service health: uptime, database, channels, outbox, forum (admin)" in (
        sent.message.plain_text.splitlines()
    )


async def test_help_in_a_group_hides_what_a_member_may_not_run(
    db: Database, clock: FrozenClock
) -> None:
    """A group member's /help lists no command that manages the group."""
    channel = GroupChannel(chat_admins={GROUP: {GROUP_ADMIN}})
    ctx = make_context(db, clock, channels=(channel, whatsapp_like()))
    await Dispatcher(ctx).handle(inbound("/help", sender="4004", chat=GROUP, kind=ChatKind.GROUP))
    (sent,) = await drain(ctx)
    names = listed(sent.message.plain_text)
    assert {"/start", "/help", "/chatid"} <= names
    assert names.isdisjoint({"/subscribe", "/unsubscribe", "/boards", "/settings", "/status"})


async def test_help_in_a_group_lists_the_group_admins_commands(
    db: Database, clock: FrozenClock
) -> None:
    """A group's admin (as the platform reports) sees the commands that manage the group."""
    channel = GroupChannel(chat_admins={GROUP: {GROUP_ADMIN}})
    ctx = make_context(db, clock, channels=(channel, whatsapp_like()))
    await Dispatcher(ctx).handle(
        inbound("/help", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP)
    )
    (sent,) = await drain(ctx)
    names = listed(sent.message.plain_text)
    assert {"/subscribe", "/unsubscribe", "/boards", "/settings"} <= names
    assert "/status" not in names
    assert channel.asked == [(GROUP, GROUP_ADMIN)]


async def test_chatid_tells_a_group_its_id(ctx: HandlerContext) -> None:
    """/chatid@botname in a group answers with the group's channel-qualified id."""
    await Dispatcher(ctx).handle(inbound("/chatid@AttaqwaaBot", kind=ChatKind.GROUP, chat="-1009"))
    (sent,) = await drain(ctx)
    assert sent.message.plain_text == "This chat is telegram:-1009 (group)."
    assert sent.message.recipient.chat_id == "-1009"


async def test_status_reports_to_an_admin(ctx: HandlerContext) -> None:
    """/status from an admin answers with the rendered snapshot under a bold title."""
    await Dispatcher(ctx).handle(inbound("/status", sender=ADMIN_ID))
    (sent,) = await drain(ctx)
    assert sent.message.spans[0].bold
    assert sent.message.plain_text.splitlines()[:3] == [
        "Attaqwaa status",
        "Uptime: 0h 0m",
        "Database: ok",
    ]


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
        destinations=(
            DestinationHealth("telegram:@x", "off", "chat_not_found"),
            DestinationHealth("telegram:-100", "ok"),
            DestinationHealth("whatsapp:+234", "paused"),
        ),
        is_leader=False,
        inbox=InboxStatus(pending=2, dead=1, unreadable=4),
        intake={"telegram": IntakeStatus(False, "no poll answered for 5 min", "t2")},
    )
    text = render_status(snap, START + timedelta(hours=2, minutes=5), EN)
    assert text.splitlines() == [
        "Uptime: 2h 5m",
        "Database: UNREACHABLE",
        "Role: follower",
        "Channels: telegram up, whatsapp DOWN",
        "Outbox: failed 1, pending 3",
        "Inbox: 2 waiting, 1 DEAD-LETTERED, 4 unreadable updates skipped",
        "Intake telegram: STALLED (no poll answered for 5 min)",
        "Last forum poll: t1 (failed)",
        "Last successful poll: t0",
        "Last poll error: timeout",
        "Destinations: 1 ok, 1 paused, 1 off",
        "  telegram:@x off (chat_not_found)",
        "  whatsapp:+234 paused",
    ]


def test_status_text_before_the_first_poll() -> None:
    """Without a poll yet, or channels, or rows, the report says so instead of leaving gaps."""
    snap = StatusSnapshot(
        started_at=START, database_ok=True, channels={}, outbox_depth={}, last_poll=None
    )
    text = render_status(snap, START, EN)
    assert text.splitlines()[1:] == [
        "Database: ok",
        "Role: leader (scheduler and forum poller)",
        "Channels: none",
        "Outbox: empty",
        "Inbox: 0 waiting",
        "Last forum poll: not yet",
        "Destinations: none",
    ]
