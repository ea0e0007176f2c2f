"""The whole service on live Telegram, against the fake Bot API: relay, commands, failures."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import Service
from bot.channels.telegram.render import utf16_len
from bot.domain.outbox import OutboxEntry
from bot.forum.smf_parse import parse_feed
from tests.e2e.conftest import (
    TOKEN,
    WEBHOOK_SECRET,
    eventually,
    running_service,
)
from tests.fakes.telegram_api import FakeTelegramApi, RateLimits, Rejected

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_FEED = ROOT / "bot" / "sample_data" / "feed_news_smf.xml"
CHANNEL_ID = -1001500000001
CHANNEL = {"channel": "telegram", "chat_id": "@attaqwaa_demo", "kind": "channel"}
ADMIN = 501
USER = 502
# Group limits roomy enough that relay tests are not about pacing.
ROOMY = RateLimits(group_rate=20.0, group_burst=20.0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    """A fake Bot API with the demo channel, an admin and a user who started the bot."""
    async with FakeTelegramApi.running(TOKEN, limits=ROOMY, long_poll_cap=0.5) as api:
        api.add_group(CHANNEL_ID, "Attaqwaa demo", kind="channel", username="attaqwaa_demo")
        api.add_private_chat(ADMIN, "Musa")
        api.add_private_chat(USER, "Amina")
        yield api


def _texts(fake: FakeTelegramApi, chat_id: int) -> list[str]:
    return [m.text for m in fake.sent if m.chat_id == chat_id]


def _refused_sends(fake: FakeTelegramApi) -> list[Rejected]:
    # At shutdown PTB's last getUpdates ends the pending long poll with a 409, as on Telegram.
    return [r for r in fake.rejected if r.method != "getUpdates"]


async def test_the_bundled_feed_reaches_the_channel_as_html_telegram_accepts(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """Every bundled topic arrives with a bold title, a forum button and no link preview."""
    topics = parse_feed(BUNDLED_FEED.read_bytes())[:5]
    async with running_service(tmp_path, telegram=fake, relay={"destinations": [CHANNEL]}) as h:
        await eventually(lambda: len(h.sent_to(CHANNEL_ID)) == 5, what="5 topic alerts")
        await eventually(h.settled, what="outbox settled")
        rows = await h.rows_for("@attaqwaa_demo")
        destination = await h.destination("telegram", "@attaqwaa_demo")
    assert _refused_sends(fake) == []
    sent = h.sent_to(CHANNEL_ID)
    # Oldest first, so the channel reads in forum order.
    for message, topic in zip(sent, reversed(topics), strict=True):
        assert message.text.startswith(topic.subject)
        assert message.entities[0] == {
            "type": "bold",
            "offset": 0,
            "length": utf16_len(topic.subject),
        }
        assert message.reply_markup == {
            "inline_keyboard": [[{"text": "Read on forum", "url": topic.link}]]
        }
        assert message.link_preview_options == {"is_disabled": True}
    assert sorted((r.kind, r.status) for r in rows) == [("topic_alert", "sent")] * 5
    assert {r.provider_message_id for r in rows} == {str(m.message_id) for m in sent}
    assert destination is not None
    assert destination.error_key is None
    assert destination.last_ok_at is not None


async def test_start_in_a_private_chat_is_answered_and_the_chat_remembered(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """A /start received by long polling is greeted by name; the chat's last message is kept."""
    async with running_service(tmp_path, telegram=fake) as h:
        fake.push_message(USER, USER, "/start")
        await eventually(lambda: bool(h.sent_to(USER)), what="a reply to /start")
        subscriber = await h.subscriber("telegram", str(USER))
    assert "Assalamu alaikum, Amina!" in _texts(fake, USER)[0]
    assert _refused_sends(fake) == []
    assert subscriber is not None
    assert subscriber.last_inbound_at is not None


async def test_status_from_an_admin_lists_channels_and_the_outbox(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """An admin's /status reports the live Telegram channel and the outbox counts."""
    async with running_service(tmp_path, telegram=fake, admins={"telegram": [ADMIN]}) as h:
        fake.push_message(ADMIN, ADMIN, "/status")
        await eventually(lambda: bool(h.sent_to(ADMIN)), what="a /status reply")
    text = _texts(fake, ADMIN)[0]
    assert text.startswith("Minbar status")
    lines = dict(line.split(": ", 1) for line in text.splitlines()[1:])
    assert "telegram up" in lines["Channels"].split(", ")
    assert lines["Outbox"].startswith("failed 0, pending 0")
    assert "Role: leader" in text


async def test_status_is_refused_to_someone_who_is_not_an_admin(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """/status from a user outside the admin list gets a refusal, not the report."""
    async with running_service(tmp_path, telegram=fake, admins={"telegram": [ADMIN]}) as h:
        fake.push_message(USER, USER, "/status")
        await eventually(lambda: bool(h.sent_to(USER)), what="a refusal")
    assert _texts(fake, USER) == ["Sorry, only the forum's admins can use /status."]


async def test_the_command_menu_is_published_at_start(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """After start getMyCommands returns the public commands with their descriptions."""
    async with running_service(tmp_path, telegram=fake), httpx.AsyncClient() as client:
        answer = await client.post(f"{fake.base_url}{TOKEN}/getMyCommands", json={})
    menu = {c["command"]: c["description"] for c in answer.json()["result"]}
    assert {"start", "help", "chatid"} <= set(menu)
    assert menu["start"] == "Welcome and what this bot does"


async def test_a_blocked_subscriber_is_stopped_and_their_start_brings_them_back(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """A 403 "blocked" marks the subscriber inactive; their next /start makes them active."""

    async def subscribe(service: Service) -> None:
        await service.ctx.repos.subscribers.subscribe(
            "telegram", str(USER), "private", "test", service.clock.now()
        )

    fake.block(USER)
    async with running_service(
        tmp_path, telegram=fake, prepare=subscribe, forum={"backfill": 1}
    ) as h:

        async def blocked() -> bool:
            sub = await h.subscriber("telegram", str(USER))
            return sub is not None and sub.inactive_reason == "blocked"

        await eventually(blocked, what="subscriber marked blocked")
        stopped = await h.subscriber("telegram", str(USER))
        rows = await h.rows_for(str(USER))
        fake.chats[USER].blocked = False  # the user unblocks the bot and sends /start
        fake.push_message(USER, USER, "/start")
        await eventually(lambda: bool(h.sent_to(USER)), what="a reply to /start")
        back = await h.subscriber("telegram", str(USER))
    assert stopped is not None
    assert stopped.active is False
    assert [(r.kind, r.status, r.error_key) for r in rows] == [("topic_alert", "failed", "blocked")]
    assert [r.description for r in _refused_sends(fake)] == [
        "Forbidden: bot was blocked by the user"
    ]
    assert back is not None
    assert (back.active, back.inactive_reason) == (True, None)


async def test_being_kicked_from_a_group_deactivates_its_destination(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """A my_chat_member update saying "kicked" switches the group's destination off."""
    group = -1001500000077
    fake.add_group(group, "Travellers", kind="supergroup")
    destination = {"channel": "telegram", "chat_id": str(group), "kind": "group"}
    async with running_service(
        tmp_path, telegram=fake, relay={"destinations": [destination]}, forum={"backfill": 0}
    ) as h:
        fake.push_my_chat_member(group, ADMIN, "kicked")

        async def switched_off() -> bool:
            row = await h.destination("telegram", str(group))
            return row is not None and not row.active

        await eventually(switched_off, what="destination inactive")
        row = await h.destination("telegram", str(group))
    assert row is not None
    assert row.error_key == "kicked"


async def test_an_unknown_chat_is_marked_invalid_and_shown_in_status(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """A 400 "chat not found" records the destination's error, which /status then lists."""
    missing = "-1001500000404"
    destination = {"channel": "telegram", "chat_id": missing, "kind": "group"}
    async with running_service(
        tmp_path,
        telegram=fake,
        admins={"telegram": [ADMIN]},
        relay={"destinations": [destination]},
        forum={"backfill": 1},
    ) as h:

        async def invalid() -> bool:
            row = await h.destination("telegram", missing)
            return row is not None and row.error_key == "chat_not_found"

        await eventually(invalid, what="destination marked chat_not_found")
        row = await h.destination("telegram", missing)
        fake.push_message(ADMIN, ADMIN, "/status")
        await eventually(lambda: bool(h.sent_to(ADMIN)), what="a /status reply")
    assert row is not None
    assert row.active is False
    assert [r.description for r in _refused_sends(fake)] == ["Bad Request: chat not found"]
    assert f"  telegram:{missing} off (chat_not_found)" in _texts(fake, ADMIN)[0]


async def test_a_migrated_group_gets_its_new_id_and_the_message(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """After "upgraded to a supergroup" the destination holds the new id and the alert arrives."""
    old, new = -4001, -1001500004001
    fake.add_group(old, "Pilgrims", kind="group")
    fake.migrate(old, new)
    destination = {"channel": "telegram", "chat_id": str(old), "kind": "group"}
    async with running_service(
        tmp_path, telegram=fake, relay={"destinations": [destination]}, forum={"backfill": 1}
    ) as h:
        await eventually(lambda: bool(h.sent_to(new)), what="the alert at the new id")
        await eventually(h.settled, what="outbox settled")
        destinations = [(d.chat_id, d.active) for d in await h.service.ctx.repos.destinations.all()]
        rows = await h.outbox_rows()
    assert destinations == [(str(new), True)]
    assert [(r.recipient.chat_id, r.status) for r in rows] == [(str(new), "sent")]
    assert [r.parameters for r in _refused_sends(fake)] == [{"migrate_to_chat_id": new}]
    assert h.sent_to(old) == []


async def test_a_429_is_waited_out_and_nothing_is_sent_inside_retry_after(
    tmp_path: Path,
) -> None:
    """Tiny group limits on the fake give 429s; every alert still arrives, none early."""
    tight = RateLimits(group_rate=2.0, group_burst=2.0)
    async with FakeTelegramApi.running(TOKEN, limits=tight) as fake:
        fake.add_group(CHANNEL_ID, "Attaqwaa demo", kind="channel", username="attaqwaa_demo")
        async with running_service(tmp_path, telegram=fake, relay={"destinations": [CHANNEL]}) as h:
            await eventually(lambda: len(h.sent_to(CHANNEL_ID)) == 5, what="5 alerts")
            await eventually(h.settled, what="outbox settled")
            rows: list[OutboxEntry] = await h.outbox_rows()
    assert fake.count_429 >= 1
    assert fake.violations == 0
    assert {r.description for r in _refused_sends(fake)} == {"Too Many Requests: retry after 1"}
    assert [r.parameters for r in _refused_sends(fake)] == [{"retry_after": 1}] * fake.count_429
    assert [r.status for r in rows] == ["sent"] * 5
    sent = h.sent_to(CHANNEL_ID)
    gaps = [later.time - earlier.time for earlier, later in itertools.pairwise(sent)]
    # Two fit in the burst; the third waited out the 1 s retry_after.
    assert gaps[1] >= 0.9


async def test_server_errors_are_retried_until_the_reply_goes_through(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """Two 502s from the Bot API are transient: the reply is sent on the third attempt."""
    async with running_service(tmp_path, telegram=fake) as h:
        fake.fail_next("sendMessage", times=2)
        fake.push_message(USER, USER, "/start")
        await eventually(lambda: bool(h.sent_to(USER)), what="the reply after retries")
        await eventually(h.settled, what="outbox settled")
        rows = await h.rows_for(str(USER))
    assert [(r.error_code, r.description) for r in _refused_sends(fake)] == [
        (502, "Bad Gateway")
    ] * 2
    assert [(r.status, r.attempts) for r in rows] == [("sent", 3)]
    assert len(h.sent_to(USER)) == 1


async def test_webhook_mode_registers_the_secret_and_handles_each_update_once(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """setWebhook carries the secret; updates with it are handled once; others get 403."""
    async with running_service(
        tmp_path,
        telegram=fake,
        telegram_webhook=True,
        environ={"MINBAR_TELEGRAM__WEBHOOK_SECRET": WEBHOOK_SECRET},
    ) as h:
        registered = (fake.webhook_url, fake.webhook_secret)
        first = fake.push_message(USER, USER, "/start")
        await eventually(lambda: bool(h.sent_to(USER)), what="a reply to /start")
        assert await fake.redeliver_last() == 200
        forged = {"update_id": first + 100, "message": {"text": "/chatid"}}
        async with httpx.AsyncClient() as client:
            no_secret = await client.post(h.telegram_webhook_url, json=forged)
            wrong_secret = await client.post(
                h.telegram_webhook_url,
                json=forged,
                headers={"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"},
            )
        # A later update is handled after the redelivered one (PTB handles them in order).
        fake.push_message(USER, USER, "/chatid")
        await eventually(lambda: len(h.sent_to(USER)) >= 2, what="a reply to /chatid")
        await eventually(h.settled, what="outbox settled")
    assert registered == (h.telegram_webhook_url, WEBHOOK_SECRET)
    assert [d.secret_header for d in fake.webhook_deliveries] == [WEBHOOK_SECRET] * 3
    assert [d.update_id for d in fake.webhook_deliveries][:2] == [first, first]
    assert [d.status for d in fake.webhook_deliveries] == [200, 200, 200]
    assert (no_secret.status_code, wrong_secret.status_code) == (403, 403)
    texts = _texts(fake, USER)
    assert len(texts) == 2
    assert "Assalamu alaikum, Amina!" in texts[0]
    assert texts[1] == f"This chat is telegram:{USER} (private)."
    assert "getUpdates" not in [method for method, _ in fake.requests]
