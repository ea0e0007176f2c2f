"""Every hostile text, as a forum topic and as a name in a reply, through the running service.

Telegram must accept every message (no 400 from the fake's entity parser and length checks),
Twilio every Body (at most 1600 characters), and no text may be lost on the way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import Service
from bot.channels.whatsapp.render import body_length
from bot.core.ids import BoardId, TopicId
from bot.forum.source import Topic
from tests.channels.hostile_corpus import HOSTILE_CORPUS
from tests.e2e.conftest import AUTH, SID, TOKEN, Harness, eventually, running_service
from tests.fakes.telegram_api import FakeTelegramApi, RateLimits
from tests.fakes.twilio_api import FakeTwilioApi

CHANNEL_ID = -1001500000001
CHANNEL = {"channel": "telegram", "chat_id": "@attaqwaa_demo", "kind": "channel"}
ADMIN = 501
WA_DESTINATION = "+2348030009999"
POSTED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
FORUM = {"backfill": 50}
TEXTS = [text for _, text in HOSTILE_CORPUS]


class HostileFeed:
    """A forum whose topics carry one hostile text each, as title and as teaser."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.topics = [
            Topic(
                topic_id=TopicId(100 + n),
                board_id=BoardId(2),
                board_name="General News",
                subject=text,
                link=f"http://127.0.0.1:8181/index.php?topic={100 + n}.0",
                posted_at=POSTED + timedelta(minutes=n),
                author="admin",
                body_html=text,
                guid=None,
            )
            for n, text in enumerate(texts)
        ]

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return the topics newest first, as a feed does."""
        return list(reversed(self.topics))[:limit]

    async def aclose(self) -> None:
        """Nothing to release."""


def _squeezed(text: str) -> str:
    # Messages are split and blank runs folded at whitespace, so compare without it.
    return "".join(text.split())


async def _decisions(h: Harness, feed: HostileFeed) -> dict[int, str]:
    """Return each topic's relay decision ("relayed", or "spam" when held for review)."""
    found: dict[int, str] = {}
    for topic in feed.topics:
        row = await h.service.ctx.repos.topics.get(topic.topic_id)
        if row is not None:
            found[topic.topic_id] = row.decision
    return found


def _messages_by_link(fake: FakeTelegramApi, chat_id: int) -> dict[str, str]:
    """Join the parts of each message to a chat, keyed by the URL button on its last part."""
    by_link: dict[str, str] = {}
    text = ""
    for message in fake.sent:
        if message.chat_id != chat_id:
            continue
        text += message.text
        if message.reply_markup is not None:
            url = next(
                b["url"]
                for row in message.reply_markup["inline_keyboard"]
                for b in row
                if "url" in b
            )
            by_link[url] = text
            text = ""
    return by_link


async def test_hostile_texts_reach_telegram_without_a_single_400(tmp_path: Path) -> None:
    """Each hostile title, teaser and sender name is accepted by Telegram and arrives whole.

    A topic the spam filter holds (the seed's Cyrillic spam) reaches the admin as a review card
    instead, through the same renderer.
    """
    feed = HostileFeed(TEXTS)
    users = {700 + n: text for n, text in enumerate(TEXTS)}
    roomy = RateLimits(group_rate=50.0, group_burst=50.0)
    async with FakeTelegramApi.running(TOKEN, limits=roomy, long_poll_cap=0.5) as fake:
        fake.add_group(CHANNEL_ID, "Attaqwaa demo", kind="channel", username="attaqwaa_demo")
        fake.add_private_chat(ADMIN, "Musa")
        for user_id, name in users.items():
            fake.add_private_chat(user_id, name)
        async with running_service(
            tmp_path,
            telegram=fake,
            source=feed,
            admins={"telegram": [ADMIN]},
            relay={"destinations": [CHANNEL]},
            forum=FORUM,
        ) as h:
            for user_id in users:
                fake.push_message(user_id, user_id, "/start")

            async def all_settled() -> bool:
                # One row per reply, and per topic one alert or one review card.
                rows = await h.outbox_rows()
                decided = len(await _decisions(h, feed)) == len(feed.topics)
                return decided and len(rows) == len(users) + len(feed.topics) and await h.settled()

            await eventually(all_settled, within=15, what="every alert, card and reply settled")
            rows = await h.outbox_rows()
            decisions = await _decisions(h, feed)
    assert [r for r in fake.rejected if r.method != "getUpdates"] == []
    assert {r.status for r in rows} == {"sent"}
    alerts = _messages_by_link(fake, CHANNEL_ID)
    cards = _messages_by_link(fake, ADMIN)
    for topic in feed.topics:
        relayed = decisions[topic.topic_id] == "relayed"
        where = alerts if relayed else cards
        assert _squeezed(topic.subject) in _squeezed(where[topic.link]), topic.topic_id
    for user_id, name in users.items():
        reply = "".join(m.text for m in fake.sent if m.chat_id == user_id)
        assert _squeezed(f"Assalamu alaikum, {name}!") in _squeezed(reply), user_id


async def test_hostile_texts_reach_whatsapp_within_twilio_s_body_limit(tmp_path: Path) -> None:
    """Each hostile topic and profile name gives one accepted Body of at most 1600 characters."""
    feed = HostileFeed(TEXTS)
    names = {f"+23480300{n:05d}": text for n, text in enumerate(TEXTS)}
    async with FakeTwilioApi.running(SID, AUTH) as fake:

        async def open_window(service: Service) -> None:
            now = service.clock.now()
            await service.ctx.repos.subscribers.upsert_inbound(
                "whatsapp", WA_DESTINATION, "private", None, now
            )
            fake.set_last_inbound(WA_DESTINATION, now)

        destination = {"channel": "whatsapp", "chat_id": WA_DESTINATION, "kind": "private"}
        async with running_service(
            tmp_path,
            twilio=fake,
            source=feed,
            prepare=open_window,
            relay={"destinations": [destination]},
            forum=FORUM,
        ) as h:
            for number, name in names.items():
                answer = await fake.send_inbound(h.inbound_url, number, "/start", ProfileName=name)
                assert answer.status_code == 200

            async def all_settled() -> bool:
                decisions = await _decisions(h, feed)
                relayed = sum(d == "relayed" for d in decisions.values())
                rows = await h.outbox_rows()
                return (
                    len(decisions) == len(feed.topics)
                    and len(rows) == len(names) + relayed
                    and await h.settled()
                )

            await eventually(all_settled, within=15, what="every alert and reply settled")
            rows = await h.outbox_rows()
            decisions = await _decisions(h, feed)
    assert {r.status for r in rows} == {"sent"}
    bodies = [m.params["Body"] for m in fake.messages]
    assert len(bodies) == len(rows)
    assert max(body_length(b) for b in bodies) <= 1600
    alerts = h.twilio_to(WA_DESTINATION)
    for topic in feed.topics:
        found = [a["Body"] for a in alerts if topic.link in a["Body"]]
        if decisions[topic.topic_id] != "relayed":
            assert found == [], topic.topic_id  # held for review: never sent to WhatsApp
            continue
        # A title too long for one Body is cut, never dropped: its start is always there.
        assert _squeezed(topic.subject)[:300] in _squeezed(found[0].replace("*", "")), (
            topic.topic_id
        )
        assert len(found) == 1
    for number, name in names.items():
        [reply] = [m["Body"] for m in h.twilio_to(number)]
        # Bold is re-opened on every line (WhatsApp never pairs markers across lines).
        assert _squeezed(name)[:300] in _squeezed(reply.replace("*", "")), number


async def test_with_the_spam_filter_off_the_cyrillic_seed_is_relayed(tmp_path: Path) -> None:
    """relay.spam.enabled = false relays the seed's Cyrillic spam like any topic, as valid HTML."""
    spam = dict(HOSTILE_CORPUS)["cyrillic-spam"]
    feed = HostileFeed([spam])
    async with FakeTelegramApi.running(TOKEN, long_poll_cap=0.5) as fake:
        fake.add_group(CHANNEL_ID, "Attaqwaa demo", kind="channel", username="attaqwaa_demo")
        async with running_service(
            tmp_path,
            telegram=fake,
            source=feed,
            relay={"destinations": [CHANNEL], "spam": {"enabled": False}},
            forum=FORUM,
        ) as h:
            await eventually(lambda: _decisions(h, feed), what="the topic decided")
            await eventually(h.settled, what="outbox settled")
            decisions = await _decisions(h, feed)
    assert decisions == {feed.topics[0].topic_id: "relayed"}
    alerts = _messages_by_link(fake, CHANNEL_ID)
    assert _squeezed(spam) in _squeezed(alerts[feed.topics[0].link])
    assert [r for r in fake.rejected if r.method != "getUpdates"] == []
