"""`minbar chat`: a terminal conversation through the same handlers as the platforms."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.core.errors import ConfigError
from bot.core.ids import BoardId, ChannelName, ChatId, TopicId, UserId
from bot.core.messages import ChatKind, InboundMessage, OutboundMessage, Recipient, text_message
from bot.core.reports import DeliveryReport, DeliveryState
from bot.domain.inbox import InboxState
from bot.domain.outbox import NewOutboxItem
from bot.domain.topics import Topic
from bot.inbox.intake import InboxIntake
from bot.storage.db import Database
from bot.storage.migrate import upgrade_database
from bot.storage.models import OutboxRow
from bot.storage.repositories.inbox import InboxRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.topics import TopicRepo
from bot.tools.chat import CHAT_DATABASE_URL, run_chat
from tests.e2e.conftest import AUTH, SID, eventually, running_service
from tests.fakes.twilio_api import FakeTwilioApi
from tests.service_config import service_config

AMINA = "+2348030000001"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each chat in the test's directory, so its own var/chat.sqlite3 lands there."""
    monkeypatch.chdir(tmp_path)


async def test_a_conversation_gets_an_answer_to_every_line(tmp_path: Path) -> None:
    """/start, free text, an unknown command and /help each get their answer, in order."""
    config = service_config(tmp_path, web={"enabled": False})
    stdin = io.StringIO("/start\nsalaam alaikum\n/nonsense\n/help\n/quit\nnever read\n")
    stdout = io.StringIO()
    handled = await run_chat(
        config, language="en", user="amina", name="Amina", stdin=stdin, stdout=stdout
    )
    text = stdout.getvalue()
    assert handled == 4
    greeting = text.index("Assalamu alaikum, Amina!")
    pointer = text.index("Send /help to see what I can do.")
    unknown = text.index("Unknown command /nonsense. Send /help for the list.")
    listing = text.index("/chatid — Show this chat's id")
    assert greeting < pointer < unknown < listing
    assert "/status" not in text[listing:]  # not an admin


async def test_the_console_admin_may_ask_for_status(tmp_path: Path) -> None:
    """Chatting as the console admin, /status reports the database and channels."""
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    await run_chat(
        config, language="en", user="console-admin", stdin=io.StringIO("/status\n"), stdout=stdout
    )
    text = stdout.getvalue()
    assert "Database: ok" in text
    assert "Channels: console up, telegram up, whatsapp up" in text


@pytest.mark.parametrize("platform", ["telegram", "whatsapp"])
async def test_the_console_admin_is_admin_on_every_platform(tmp_path: Path, platform: str) -> None:
    """--admin with --platform telegram or whatsapp is still the admin: /status answers."""
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    await run_chat(
        config,
        language="en",
        user="console-admin",
        platform=platform,
        stdin=io.StringIO("/status\n"),
        stdout=stdout,
    )
    assert "Database: ok" in stdout.getvalue()


async def test_talking_as_a_whatsapp_person_shows_what_whatsapp_would(tmp_path: Path) -> None:
    """With --platform whatsapp the answers go to a WhatsApp chat and show bold as stars."""
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    await run_chat(
        config,
        language="en",
        name="Musa",
        platform="whatsapp",
        stdin=io.StringIO("/start\n"),
        stdout=stdout,
    )
    text = stdout.getvalue()
    assert "── whatsapp → console-user (private) ──" in text
    assert "*Assalamu alaikum, Musa!*" in text
    assert "── console →" not in text


async def test_an_unknown_platform_is_refused_with_the_choices(tmp_path: Path) -> None:
    """Asking to talk on a platform the build does not have names the ones it has."""
    config = service_config(tmp_path, web={"enabled": False})
    with pytest.raises(ConfigError, match=r"'signal'.*console, telegram, whatsapp"):
        await run_chat(
            config, language="en", platform="signal", stdin=io.StringIO(""), stdout=io.StringIO()
        )


async def test_a_chat_on_a_live_config_never_touches_the_platforms(tmp_path: Path) -> None:
    """With live Telegram and WhatsApp configured, chat still uses console channels only."""
    from bot.config import build_config
    from tests.service_config import service_data

    data = service_data(tmp_path, web={"enabled": False})
    data["telegram"] = {"mode": "live", "base_url": "http://127.0.0.1:9/bot"}
    data["whatsapp"] = {"mode": "live"}
    data["twilio"] = {"api_base_url": "http://127.0.0.1:9"}
    environ = {
        "MINBAR_TELEGRAM__TOKEN": "7350917461:" + "A" * 35,
        "MINBAR_TWILIO__ACCOUNT_SID": "AC" + "1" * 32,
        "MINBAR_TWILIO__AUTH_TOKEN": "t" * 32,
    }
    config = build_config(data, environ)
    stdout = io.StringIO()
    await run_chat(
        config, language="en", platform="telegram", stdin=io.StringIO("/start\n"), stdout=stdout
    )
    # Port 9 (discard) is closed: a real adapter would have failed to start.
    text = stdout.getvalue()
    assert "── telegram → console-user (private) ──" in text
    assert "Assalamu alaikum" in text


async def stored_rows(url: str) -> list[OutboxRow]:
    """Return every outbox row of a database, oldest first."""
    db = Database(url)
    try:
        async with db.read() as session:
            return list((await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())
    finally:
        await db.dispose()


async def queue_real_traffic(config: Config) -> None:
    """Queue what a live service leaves behind: a channel post, a card edit, a DM, and in its
    inbox a real person's message and a delivery report not handled yet."""
    await upgrade_database(config.database.url)
    db = Database(config.database.url)
    post = Recipient(ChannelName("telegram"), ChatId("@attaqwaa_demo"), ChatKind.CHANNEL)
    admin = Recipient(ChannelName("telegram"), ChatId("1001"), ChatKind.PRIVATE)
    other = Recipient(ChannelName("console"), ChatId("console-other"), ChatKind.PRIVATE)
    card = OutboundMessage(recipient=admin, spans=text_message(admin, "x").spans, edit_of="77")
    try:
        await OutboxRepo(db).enqueue(
            [
                NewOutboxItem("topic:1:dest:1", text_message(post, "Ramadan timetable")),
                NewOutboxItem("review:1:edit", card),
                NewOutboxItem("dm:other", text_message(other, "for someone else")),
            ]
        )
        intake = InboxIntake(InboxRepo(db))
        await intake.accept(
            InboundMessage(
                channel=ChannelName("telegram"),
                chat_id=ChatId("555"),
                sender_id=UserId("555"),
                text="/start",
                received_at=datetime.now(UTC),
                message_ref="telegram:update:4242",
            )
        )
        await intake.accept_report(DeliveryReport("SMreal", DeliveryState.DELIVERED))
    finally:
        await db.dispose()


async def test_by_default_chat_never_opens_the_configured_database(tmp_path: Path) -> None:
    """Without a database option chat uses var/chat.sqlite3; the configured file is not created."""
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    await run_chat(config, language="en", stdin=io.StringIO("/start\n"), stdout=stdout)
    assert "Assalamu alaikum" in stdout.getvalue()
    assert "on sqlite+aiosqlite:///var/chat.sqlite3." in stdout.getvalue()
    assert not (tmp_path / "minbar.db").exists()
    assert {r.status for r in await stored_rows(CHAT_DATABASE_URL)} == {"sent"}


async def test_on_the_configured_database_chat_leaves_real_rows_pending(tmp_path: Path) -> None:
    """With --use-config-database a queued channel post, card edit and DM stay pending, unsent."""
    config = service_config(tmp_path, web={"enabled": False})
    await queue_real_traffic(config)
    stdout = io.StringIO()
    await run_chat(
        config,
        language="en",
        use_config_database=True,
        stdin=io.StringIO("/start\n"),
        stdout=stdout,
    )
    text = stdout.getvalue()
    assert "Assalamu alaikum" in text
    assert "Ramadan timetable" not in text
    assert "for someone else" not in text
    assert "(edit of 77)" not in text
    rows = {r.idempotency_key: r for r in await stored_rows(config.database.url)}
    real = ["topic:1:dest:1", "review:1:edit", "dm:other"]
    assert [(rows[k].status, rows[k].attempts, rows[k].claimed_by) for k in real] == [
        ("pending", 0, None)
    ] * 3
    mine = [r for k, r in rows.items() if k not in real]
    assert mine
    assert {(r.channel, r.chat_id, r.status) for r in mine} == {("console", "console-user", "sent")}
    db = Database(config.database.url)
    try:
        inbox = InboxRepo(db)
        untouched = await inbox.counts()
        real_state = await inbox.state_of("telegram", "telegram:update:4242")
    finally:
        await db.dispose()
    assert (untouched.pending, real_state) == (2, InboxState.PENDING)  # left to the service
    assert not (tmp_path / "var").exists()  # chat's own database was not needed


async def test_on_a_shared_database_chat_talks_only_as_a_console_identity(
    tmp_path: Path,
) -> None:
    """Away from its own database a --user that could be a real person is refused up front."""
    config = service_config(tmp_path, web={"enabled": False})
    refused = r"console identity.*'\+2348030000001'"
    with pytest.raises(ConfigError, match=refused):
        await run_chat(
            config, language="en", user=AMINA, use_config_database=True, stdin=io.StringIO("")
        )
    with pytest.raises(ConfigError, match=refused):
        await run_chat(
            config, language="en", user=AMINA, database=config.database.url, stdin=io.StringIO("")
        )
    assert not (tmp_path / "minbar.db").exists()


async def test_the_database_options_are_checked(tmp_path: Path) -> None:
    """Both options at once, a bad URL, or a configured database that is chat's own: refused."""
    config = service_config(tmp_path, web={"enabled": False})
    with pytest.raises(ConfigError, match="exclude each other"):
        await run_chat(
            config, language="en", database="sqlite+aiosqlite:///x.db", use_config_database=True
        )
    with pytest.raises(ConfigError, match=r"--database: .*must start with"):
        await run_chat(config, language="en", database="mysql://db/minbar")
    own = service_config(
        tmp_path, database={"url": f"sqlite+aiosqlite:///{tmp_path}/var/chat.sqlite3"}
    )
    with pytest.raises(ConfigError, match="configured database is chat's own"):
        await run_chat(own)
    assert not (tmp_path / "var").exists()


def _topic(topic_id: int, board: int, name: str) -> Topic:
    return Topic(
        topic_id=TopicId(topic_id),
        board_id=BoardId(board),
        board_name=name,
        subject=f"Topic {topic_id}",
        link=f"https://forum.test/index.php?topic={topic_id}.0",
        posted_at=datetime(2026, 3, 1, tzinfo=UTC),
        author="admin",
        body_html="",
    )


TOPICS = [_topic(11, 1, "General News"), _topic(12, 2, "Hajj and Umrah")]
"""Two topics on two boards, so BOARDS has a numbered menu to show."""


class SeenFeed:
    """A forum feed listing only the topics already recorded: the poll finds nothing new."""

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return the seeded topics."""
        return TOPICS[:limit]

    async def aclose(self) -> None:
        """Nothing to close."""


async def seed_boards(url: str) -> None:
    """Record ``TOPICS`` in a migrated database, as a poll before this session would have."""
    await upgrade_database(url)
    db = Database(url)
    try:
        for topic in TOPICS:
            await TopicRepo(db).record(topic, decision="relayed")
    finally:
        await db.dispose()


def messages_to(rows: Sequence[OutboxRow], chat_id: str) -> list[OutboundMessage]:
    """Return the neutral messages queued for one WhatsApp chat, in order."""
    return [
        OutboundMessage.from_payload(
            Recipient(ChannelName("whatsapp"), ChatId(chat_id), ChatKind.PRIVATE), r.payload
        )
        for r in rows
        if (r.channel, r.chat_id) == ("whatsapp", chat_id)
    ]


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilioApi]:
    """A fake Twilio account for the live WhatsApp channel."""
    async with FakeTwilioApi.running(SID, AUTH) as api:
        yield api


WHATSAPP_SCRIPT = ["JOIN", "BOARDS", "2", "DONE", "STOP"]


async def test_whatsapp_chat_answers_keywords_as_the_whatsapp_channel(
    tmp_path: Path, twilio: FakeTwilioApi
) -> None:
    """JOIN, BOARDS, a numbered pick, DONE and STOP get the live WhatsApp channel's answers."""
    live_dir = tmp_path / "live"
    live_dir.mkdir()
    live_url = f"sqlite+aiosqlite:///{live_dir / 'minbar.db'}"

    async def prepare(service: object) -> None:
        await seed_boards(live_url)

    async with running_service(live_dir, twilio=twilio, prepare=prepare, source=SeenFeed()) as h:
        for n, text in enumerate(WHATSAPP_SCRIPT, start=1):
            await twilio.send_inbound(h.inbound_url, AMINA, text)
            await eventually(lambda n=n: len(h.twilio_to(AMINA)) >= n, what=f"reply {n}")
        live = messages_to(await stored_rows(live_url), AMINA)

    await seed_boards(CHAT_DATABASE_URL)
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    script = io.StringIO("".join(f"{line}\n" for line in WHATSAPP_SCRIPT))
    await run_chat(
        config, language="en", user=AMINA, platform="whatsapp", stdin=script, stdout=stdout
    )
    chat_rows = await stored_rows(CHAT_DATABASE_URL)
    assert len(live) == len(WHATSAPP_SCRIPT)
    assert messages_to(chat_rows, AMINA) == live
    assert {r.status for r in chat_rows} == {"sent"}
    text = stdout.getvalue()
    assert "1. ✅ All boards\n2. ▫️ General News\n3. ▫️ Hajj and Umrah\n4. Done" in text
    assert "1. ▫️ All boards\n2. ✅ General News" in text
    assert "Saved. You hear about: General News." in text
    assert "You will get no more messages. Send START to opt back in." in text


async def test_a_new_person_is_offered_the_language_first_and_then_answered_in_it(
    tmp_path: Path,
) -> None:
    """Without --language the menu comes first; "2" picks Hausa and /start is then answered."""
    config = service_config(tmp_path, web={"enabled": False})
    stdin = io.StringIO("/start\n2\n/help\n")
    stdout = io.StringIO()
    await run_chat(config, name="Bello", platform="whatsapp", stdin=stdin, stdout=stdout)
    text = stdout.getvalue()
    menu = text.index("Choose your language · Zaɓi harshenka · Yan èdè rẹ · اختر لغتك")
    chosen = text.index("Harshe: Hausa. Aika HARSHE don canza shi.")
    welcome = text.index("*Assalamu alaikum, Bello!*")
    words = text.index("Aika ɗaya daga cikin waɗannan kalmomi:")
    assert menu < chosen < welcome < words
    assert "2. Hausa" in text[menu:chosen]
    assert "Amsa da lamba" in text[menu:chosen]


@pytest.mark.parametrize(
    ("language", "greeting"),
    [("yo", "Ẹ káàbọ̀ àti"), ("ar", "أنا بوت"), ("ha", "Ni ne bot ɗin")],
)
async def test_language_speaks_from_the_first_line(
    tmp_path: Path, language: str, greeting: str
) -> None:
    """--language skips the menu: the first answer is already in that language."""
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    await run_chat(config, language=language, stdin=io.StringIO("/start\n/help\n"), stdout=stdout)
    text = stdout.getvalue()
    assert "Choose your language" not in text
    assert greeting in text


async def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    """--language accepts the four languages only."""
    config = service_config(tmp_path, web={"enabled": False})
    with pytest.raises(ConfigError, match="--language 'fr'"):
        await run_chat(config, language="fr", stdin=io.StringIO(""), stdout=io.StringIO())


async def test_a_chat_on_its_own_database_knows_the_forums_boards(tmp_path: Path) -> None:
    """The forum is read once, relaying nothing, so BOARDS lists the bundled feed's boards."""
    config = service_config(tmp_path, web={"enabled": False})
    stdout = io.StringIO()
    stdin = io.StringIO("JOIN\nBOARDS\n")
    await run_chat(config, language="ha", platform="whatsapp", stdin=stdin, stdout=stdout)
    text = stdout.getvalue()
    assert "2. ▫️ General News" in text
    assert "Kana jin labarin: duk allunan." in text
    rows = await stored_rows(CHAT_DATABASE_URL)
    assert {r.kind for r in rows} == {"reply"}  # the topics were seen, none was sent
