"""The whole service on live WhatsApp, against the fake Twilio API and its signed webhooks."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import Service
from bot.channels.whatsapp.webhook import EMPTY_TWIML, STATUS_PATH
from bot.forum.smf_parse import parse_feed
from tests.e2e.conftest import AUTH, SID, Harness, eventually, running_service
from tests.fakes.twilio_api import DEFAULT_SENDER, FakeTwilioApi

ROOT = Path(__file__).resolve().parents[2]
NEWEST_TOPIC = parse_feed((ROOT / "bot" / "sample_data" / "feed_news_smf.xml").read_bytes())[0]
AMINA = "+2348030000001"
MUSA = "+2348030000002"
TEMPLATE_SID = "HX" + "7c1e9a3b5d2f4e6a8b0c1d2e3f4a5b6c"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilioApi]:
    """A fake Twilio account that knows the topic_alert template."""
    async with FakeTwilioApi.running(SID, AUTH, templates={TEMPLATE_SID: 2}) as api:
        yield api


def _to_one(number: str) -> dict[str, Any]:
    """Return the relay config for one WhatsApp destination (backfill: the newest topic)."""
    destination = {"channel": "whatsapp", "chat_id": number, "kind": "private"}
    return {"relay": {"destinations": [destination]}, "forum": {"backfill": 1}}


def _reports_applied(h: Harness) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await h.service.ctx.repos.inbox.counts()).pending == 0

    return check


async def _provider_status(h: Harness, number: str, status: str) -> bool:
    """Return whether the first message to ``number`` has reached ``status`` at the provider."""
    rows = await h.rows_for(number)
    return bool(rows) and rows[0].provider_status == status


async def test_a_signed_inbound_message_is_answered_through_the_api(
    tmp_path: Path, fake: FakeTwilioApi
) -> None:
    """Twilio gets empty TwiML at once; the reply is created over basic auth and delivered."""
    async with running_service(tmp_path, twilio=fake) as h:
        answer = await fake.send_inbound(h.inbound_url, AMINA, "hello")
        await eventually(lambda: bool(h.twilio_to(AMINA)), what="a reply")
        await eventually(lambda: _provider_status(h, AMINA, "delivered"), what="delivered")
        subscriber = await h.subscriber("whatsapp", AMINA)
    assert (answer.status_code, answer.text) == (200, EMPTY_TWIML)
    assert answer.headers["content-type"].startswith("application/xml")
    # The fake only creates messages for requests with the account's basic auth.
    [reply] = h.twilio_to(AMINA)
    assert reply["From"] == DEFAULT_SENDER
    assert reply["Body"] == "Salaam! I am the Minbar bot. Send HELP to see what I can do."
    assert reply["StatusCallback"] == f"{h.public_url}{STATUS_PATH}"
    assert [c.status_code for c in fake.callbacks] == [204, 204]
    assert subscriber is not None
    assert subscriber.last_inbound_at is not None


async def test_a_forged_inbound_message_is_refused_and_leaves_no_trace(
    tmp_path: Path, fake: FakeTwilioApi
) -> None:
    """A wrong or missing signature gets 403; nothing is answered, stored or remembered."""
    async with running_service(tmp_path, twilio=fake) as h:
        wrong = await fake.forge_inbound(h.inbound_url, MUSA, "/status")
        missing = await fake.forge_inbound(h.inbound_url, MUSA, "/status", signature=None)
        # A genuine message afterwards proves the service was listening all along.
        await fake.send_inbound(h.inbound_url, AMINA, "hello")
        await eventually(lambda: bool(h.twilio_to(AMINA)), what="the genuine reply")
        subscriber = await h.subscriber("whatsapp", MUSA)
        forged_refs = [f"whatsapp:msg:{post.params['MessageSid']}" for post in fake.inbound[:2]]
        inbox = h.service.ctx.repos.inbox
        never_seen = [await inbox.state_of("whatsapp", ref) is None for ref in forged_refs]
        rows = await h.outbox_rows()
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert h.twilio_to(MUSA) == []
    assert subscriber is None
    assert never_seen == [True, True]
    assert [r.recipient.chat_id for r in rows] == [AMINA]


async def test_a_duplicate_message_sid_is_answered_once(
    tmp_path: Path, fake: FakeTwilioApi
) -> None:
    """Twilio retrying the same MessageSid produces one reply, not two."""
    sid = "SM" + secrets.token_hex(16)
    async with running_service(tmp_path, twilio=fake) as h:
        first = await fake.send_inbound(h.inbound_url, AMINA, "hello", MessageSid=sid)
        again = await fake.send_inbound(h.inbound_url, AMINA, "hello", MessageSid=sid)
        await fake.send_inbound(h.inbound_url, AMINA, "/chatid")
        await eventually(lambda: len(h.twilio_to(AMINA)) >= 2, what="two replies")
        await eventually(h.settled, what="outbox settled")
    assert (first.status_code, again.status_code) == (200, 200)
    bodies = [m["Body"] for m in h.twilio_to(AMINA)]
    assert bodies[0].startswith("Salaam!")
    assert bodies[1:] == [f"This chat is *whatsapp:{AMINA}* (private)."]


async def test_a_topic_alert_outside_the_window_without_template_is_skipped(
    tmp_path: Path, fake: FakeTwilioApi
) -> None:
    """With no inbound in 24 h and no template the alert is not sent: skipped "outside_window"."""
    async with running_service(tmp_path, twilio=fake, **_to_one(MUSA)) as h:
        await eventually(lambda: h.rows_for(MUSA), what="the alert row")
        await eventually(h.settled, what="outbox settled")
        rows = await h.rows_for(MUSA)
    assert [(r.kind, r.status, r.error_key) for r in rows] == [
        ("topic_alert", "skipped", "outside_window")
    ]
    assert fake.messages == []


async def test_a_topic_alert_outside_the_window_goes_as_the_approved_template(
    tmp_path: Path, fake: FakeTwilioApi
) -> None:
    """A configured topic_alert template is sent as ContentSid plus ContentVariables, no Body."""
    template = {"content_sid": TEMPLATE_SID, "variables": ["title", "link"]}
    async with running_service(
        tmp_path, twilio=fake, whatsapp={"templates": {"topic_alert": template}}, **_to_one(MUSA)
    ) as h:
        await eventually(lambda: bool(h.twilio_to(MUSA)), what="the template message")
        await eventually(lambda: _provider_status(h, MUSA, "delivered"), what="delivered")
        rows = await h.rows_for(MUSA)
    [params] = h.twilio_to(MUSA)
    assert "Body" not in params
    assert params["ContentSid"] == TEMPLATE_SID
    assert json.loads(params["ContentVariables"]) == {
        "1": NEWEST_TOPIC.subject,
        "2": NEWEST_TOPIC.link,
    }
    assert [(r.kind, r.status) for r in rows] == [("topic_alert", "sent")]


async def test_a_63016_callback_fails_the_row_and_closes_the_window(
    tmp_path: Path, fake: FakeTwilioApi
) -> None:
    """Twilio's signed 63016 callback marks the row failed and forgets the person's window."""

    async def wrote_an_hour_ago(service: Service) -> None:
        # We believe the window is open; Twilio (the fake) has no record of the message.
        at = service.clock.now() - timedelta(hours=1)
        await service.ctx.repos.subscribers.upsert_inbound("whatsapp", MUSA, "private", "Musa", at)

    async with running_service(
        tmp_path, twilio=fake, prepare=wrote_an_hour_ago, **_to_one(MUSA)
    ) as h:
        await eventually(lambda: _provider_status(h, MUSA, "failed"), what="failed by callback")
        await eventually(lambda: len(fake.callbacks) == 1, what="the callback")

        async def resent_and_settled() -> bool:
            return len(await h.outbox_rows()) == 2 and bool(await h.settled())

        # The failure is learnt from right after the report is stored: wait for its resend.
        await eventually(resent_and_settled, what="the resend settled")
        rows = await h.outbox_rows()
        subscriber = await h.subscriber("whatsapp", MUSA)
    [callback] = fake.callbacks
    assert (callback.params["MessageStatus"], callback.params["ErrorCode"]) == ("failed", "63016")
    assert callback.status_code == 204
    assert callback.signature == fake.sign(callback.url, callback.params)
    assert len(fake.messages) == 1
    first, again = rows
    # The row keeps the neutral reason of Twilio's 63016, not Twilio's code.
    assert (first.status, first.provider_status, first.error_key) == (
        "sent",
        "failed",
        "outside_window",
    )
    # One more try goes through the window check again: no template, so it is skipped.
    assert again.idempotency_key == f"{first.idempotency_key}:after-window"
    assert (again.status, again.error_key) == ("skipped", "outside_window")
    assert subscriber is not None
    assert subscriber.last_inbound_at is None


async def test_status_callbacks_out_of_order_never_move_a_status_backwards(
    tmp_path: Path,
) -> None:
    """ "delivered" then "sent", each posted twice, leave the row at "delivered"."""
    async with (
        FakeTwilioApi.running(
            SID, AUTH, callback_order="reversed", duplicate_callbacks=True
        ) as fake,
        running_service(tmp_path, twilio=fake) as h,
    ):
        await fake.send_inbound(h.inbound_url, AMINA, "hello")
        await fake.wait_for_callbacks(4)
        # Reports are stored, then applied in batches; wait until none is left pending.
        await eventually(_reports_applied(h), what="reports applied")
        await eventually(lambda: _provider_status(h, AMINA, "delivered"), what="delivered")
        rows = await h.rows_for(AMINA)
    assert [c.params["MessageStatus"] for c in fake.callbacks] == [
        "delivered",
        "delivered",
        "sent",
        "sent",
    ]
    assert [c.status_code for c in fake.callbacks] == [204] * 4
    assert [r.provider_status for r in rows] == ["delivered"]
