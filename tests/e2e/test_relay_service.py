"""The relay end to end: a feed server replaying the captures, the service, the fake platforms."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Service
from bot.tools.bench_relay import FeedServer, _sample, _serving
from handlers.relay.poll import POLL_STATE_KEY
from tests.e2e.conftest import AUTH, SID, TOKEN, eventually, running_service
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import FakeTwilioApi

CHANNEL, UMRAH_GROUP, MEMBER = -1001000000001, -1001000000004, 2002
WA_MEMBER = "+2348000000077"


def _alerts(sent: list[object]) -> list[str]:
    return [str(getattr(m, "text", "")).split("\n", 1)[0] for m in sent]


@pytest.fixture
async def telegram() -> FakeTelegramApi:
    """The fake Bot API with a channel, the Umrah group and one member."""
    async with FakeTelegramApi.running(TOKEN) as fake:
        fake.add_group(CHANNEL, "Attaqwaa", kind="channel")
        fake.add_group(UMRAH_GROUP, "Umrah & Hajj", kind="supergroup")
        fake.add_private_chat(MEMBER, first_name="Aisha")
        yield fake  # type: ignore[misc]


async def test_late_approval_reaches_every_channel_and_subscriber_exactly_once(
    tmp_path: Path, telegram: FakeTelegramApi
) -> None:
    """before → after relays topics 11 and 13 to the right chats once, and never again."""
    server = FeedServer(_sample("feed_news_smf_before.xml"))

    async def subscribers(service: Service) -> None:
        now = datetime.now(UTC)
        await service.ctx.repos.subscribers.subscribe(
            "telegram", str(MEMBER), "private", "test", now
        )
        await service.ctx.repos.subscribers.subscribe("whatsapp", WA_MEMBER, "private", "test", now)
        await service.ctx.repos.subscribers.upsert_inbound(
            "whatsapp", WA_MEMBER, "private", None, now
        )

    async with (
        _serving(server) as port,
        FakeTwilioApi.running(SID, AUTH) as twilio,
    ):
        twilio.set_last_inbound(WA_MEMBER, datetime.now(UTC))
        sections = {
            "forum": {
                "feed_url": f"http://127.0.0.1:{port}/index.php?action=.xml;sa=news;type=smf",
                "backfill": 0,
                "limit": 5,
            },
            "relay": {
                "destinations": [
                    {"channel": "telegram", "chat_id": str(CHANNEL), "kind": "channel"},
                    {
                        "channel": "telegram",
                        "chat_id": str(UMRAH_GROUP),
                        "kind": "group",
                        "boards": [4],
                    },
                ]
            },
        }
        async with running_service(
            tmp_path,
            telegram=telegram,
            twilio=twilio,
            prepare=subscribers,
            **sections,
        ) as h:
            # The first scheduled poll must have finished (marked the "before" topics seen)
            # before the next one, or both would find a fresh database.
            await eventually(
                lambda: h.service.ctx.repos.state.get(POLL_STATE_KEY), what="the first poll done"
            )
            server.body = _sample("feed_news_smf.xml")
            await h.run_job("forum:poll")
            await eventually(
                lambda: (
                    len(h.sent_to(CHANNEL)) == 2
                    and len(h.sent_to(MEMBER)) == 2
                    and len(h.twilio_to(WA_MEMBER)) == 2
                ),
                what="topics 11 and 13 delivered",
            )
            await h.run_job("forum:poll")  # the same feed again
            await eventually(h.settled, what="outbox settled")
    channel_titles = _alerts(h.sent_to(CHANNEL))
    assert channel_titles[0].startswith("December Umrah Promo")  # 11, older, goes first
    assert channel_titles[1].startswith("Nigeria & Saudi Arabia Discuss")  # 13
    assert _alerts(h.sent_to(UMRAH_GROUP)) == channel_titles[:1]  # board 4 only
    assert _alerts(h.sent_to(MEMBER)) == channel_titles
    bodies = [p["Body"] for p in h.twilio_to(WA_MEMBER)]
    assert bodies[0].startswith("*December Umrah Promo")
    assert "http://127.0.0.1:8181/index.php?topic=11.0" in bodies[0]
    assert telegram.rejected == [] or all(r.method == "getUpdates" for r in telegram.rejected)
    assert telegram.count_429 == 0
