"""The fake Telegram Bot API answers like the real server, so tests built on it mean something."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.telegram_api import FakeTelegramApi, RateLimits, serve_asgi
from tests.fakes.telegram_html import EntityParseError, parse_html
from tests.fakes.telegram_methods import ApiError, check_text

USER = 42
GROUP = -100200


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTelegramApi]:
    async with FakeTelegramApi.running(clock=clock, long_poll_cap=2.0) as api:
        api.add_private_chat(USER, "Amina")
        api.add_group(GROUP, "Travellers", kind="supergroup")
        yield api


async def call(
    fake: FakeTelegramApi, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{fake.base_url}{token or fake.token}/{method}", json=params, timeout=10
        )
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<x>hi</x>", 'Unsupported start tag "x" at byte offset 0'),
        ("é ü <br>", 'Unsupported start tag "br" at byte offset 6'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        (
            "<b>bold<i>both</b></i>",
            'Unmatched end tag at byte offset 14, expected "</i>", found "</b>"',
        ),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<blockquote>a<blockquote>b</blockquote></blockquote>",
            "Blockquote can't be nested at byte offset 13",
        ),
        (
            "<b foo>x</b>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
    ],
)
def test_parser_refuses_bad_html_with_the_server_wording(html: str, error: str) -> None:
    """Malformed or unsupported HTML fails with Telegram's message and a UTF-8 byte offset."""
    with pytest.raises(EntityParseError) as info:
        parse_html(html)
    assert str(info.value) == error


def test_parser_decodes_only_the_four_named_entities_and_all_numeric_ones() -> None:
    """&nbsp; stays literal text (as on the server); &amp; and &#127769; are decoded."""
    parsed = parse_html("&nbsp;&amp;&lt;&gt;&quot;&#127769;&#x1F319; & x")
    assert parsed.text == '&nbsp;&<>"🌙🌙 & x'


def test_parser_reports_entities_in_utf16_units() -> None:
    """Entity offsets count a surrogate pair as two units."""
    parsed = parse_html(
        '🌙<b>x</b><a href="https://e.example/?a=1&amp;b">l</a>'
        '<blockquote expandable>q</blockquote><a href="javascript:x">j</a>'
    )
    assert parsed.entities == [
        {"type": "bold", "offset": 2, "length": 1},
        {"type": "text_link", "offset": 3, "length": 1, "url": "https://e.example/?a=1&b"},
        {"type": "expandable_blockquote", "offset": 4, "length": 1},
    ]


def test_length_is_counted_in_utf16_after_entity_parsing() -> None:
    """4096 '&amp;' pass; 2048 emoji pass; 2049 emoji (4098 units) are too long."""
    assert len(check_text("&amp;" * 4096, "HTML").text) == 4096
    check_text("🌙" * 2048, "HTML")
    with pytest.raises(ApiError, match=r"^Bad Request: message is too long$"):
        check_text("🌙" * 2049, "HTML")
    with pytest.raises(ApiError, match=r"^Bad Request: message text is empty$"):
        check_text(" <b> </b>\n", "HTML")


async def test_send_message_returns_a_message_and_records_it(fake: FakeTelegramApi) -> None:
    """An accepted message gets increasing ids per chat and is recorded with its entities."""
    status, body = await call(
        fake, "sendMessage", chat_id=USER, text="<b>Hi</b>", parse_mode="HTML"
    )
    _, second = await call(fake, "sendMessage", chat_id=USER, text="again")
    assert status == 200
    assert body["result"]["text"] == "Hi"
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    assert second["result"]["message_id"] == body["result"]["message_id"] + 1
    assert [(m.chat_id, m.html) for m in fake.sent] == [(USER, "<b>Hi</b>"), (USER, "again")]


async def test_bad_html_over_http_uses_the_telegram_envelope(fake: FakeTelegramApi) -> None:
    """A 400 carries ok=false, error_code and the exact description."""
    status, body = await call(fake, "sendMessage", chat_id=USER, text="é<x>", parse_mode="HTML")
    assert (status, body) == (
        400,
        {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: can't parse entities: Unsupported start tag "
            '"x" at byte offset 2',
        },
    )
    assert fake.rejected[0].description.endswith("byte offset 2")


@pytest.mark.parametrize(
    ("setup", "status", "description", "parameters"),
    [
        ("block", 403, "Forbidden: bot was blocked by the user", None),
        ("deactivate", 403, "Forbidden: user is deactivated", None),
        ("kick", 403, "Forbidden: bot was kicked from the supergroup chat", None),
        ("unknown", 400, "Bad Request: chat not found", None),
        (
            "migrate",
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": -1009999},
        ),
    ],
)
async def test_unreachable_chats_fail_with_telegram_errors(
    fake: FakeTelegramApi,
    setup: str,
    status: int,
    description: str,
    parameters: dict[str, Any] | None,
) -> None:
    """Blocked, deactivated, kicked, unknown and migrated chats answer like Telegram."""
    target = {"block": USER, "deactivate": USER, "kick": GROUP, "unknown": 777, "migrate": -555}[
        setup
    ]
    if setup == "block":
        fake.block(USER)
    elif setup == "deactivate":
        fake.deactivate(USER)
    elif setup == "kick":
        fake.kick_from(GROUP)
    elif setup == "migrate":
        fake.add_group(-555, "Old group")
        fake.migrate(-555, -1009999)
    got_status, body = await call(fake, "sendMessage", chat_id=target, text="x")
    assert (got_status, body["description"], body.get("parameters")) == (
        status,
        description,
        parameters,
    )


async def test_unauthorized_token_and_unknown_method(fake: FakeTelegramApi) -> None:
    """A wrong token is 401 Unauthorized; an unknown method is 404 Not Found."""
    assert await call(fake, "getMe", token="1:wrong") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (await call(fake, "sendTelepathy"))[0] == 404


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "x", "callback_data": "b" * 65}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "x", "callback_data": "ب" * 33}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "x", "url": "javascript:alert(1)"}, "Bad Request: BUTTON_URL_INVALID"),
    ],
)
async def test_inline_keyboards_are_validated(
    fake: FakeTelegramApi, button: dict[str, str], description: str
) -> None:
    """callback_data over 64 bytes and non-http(s)/tg urls are refused."""
    status, body = await call(
        fake, "sendMessage", chat_id=USER, text="x", reply_markup={"inline_keyboard": [[button]]}
    )
    assert (status, body["description"]) == (400, description)


async def test_thread_ids_only_in_forum_supergroups(fake: FakeTelegramApi) -> None:
    """message_thread_id is stored for forums and refused elsewhere."""
    fake.add_group(-300, "Forum", kind="supergroup", forum=True)
    status, _ = await call(fake, "sendMessage", chat_id=-300, text="x", message_thread_id=7)
    refused, body = await call(fake, "sendMessage", chat_id=GROUP, text="x", message_thread_id=7)
    assert status == 200
    assert fake.sent[0].thread_id == 7
    assert (refused, body["description"]) == (400, "Bad Request: message thread not found")


async def test_form_and_multipart_bodies_are_accepted(fake: FakeTelegramApi) -> None:
    """PTB sends form-encoded and multipart bodies; both are understood."""
    url = f"{fake.base_url}{fake.token}"
    markup = json.dumps({"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]})
    async with httpx.AsyncClient() as client:
        form = await client.post(
            f"{url}/sendMessage", data={"chat_id": str(USER), "text": "f", "reply_markup": markup}
        )
        multi = await client.post(
            f"{url}/sendPhoto",
            data={"chat_id": str(USER), "caption": "<i>c</i>", "parse_mode": "HTML"},
            files={"photo": ("p.jpg", b"\xff\xd8", "image/jpeg")},
        )
    assert form.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"
    assert multi.json()["result"]["caption"] == "c"
    assert fake.sent[1].photo == "upload:p.jpg"


async def test_private_chat_bucket_gives_retry_after_and_counts_violations(
    fake: FakeTelegramApi, clock: ManualClock
) -> None:
    """Burst 3 then 429 retry_after 1; sending during the wait is a violation; later it works."""
    statuses = [(await call(fake, "sendMessage", chat_id=USER, text="m"))[0] for _ in range(3)]
    status, body = await call(fake, "sendMessage", chat_id=USER, text="m")
    assert statuses == [200, 200, 200]
    assert (status, body["description"], body["parameters"]) == (
        429,
        "Too Many Requests: retry after 1",
        {"retry_after": 1},
    )
    assert (await call(fake, "sendMessage", chat_id=USER, text="m"))[0] == 429
    assert (fake.count_429, fake.violations) == (2, 1)
    clock.now += 1.0
    assert (await call(fake, "sendMessage", chat_id=USER, text="m"))[0] == 200


async def test_group_bucket_is_20_per_minute(fake: FakeTelegramApi, clock: ManualClock) -> None:
    """After the group burst the next token is 3 s away, so retry_after is 3."""
    for _ in range(3):
        assert (await call(fake, "sendMessage", chat_id=GROUP, text="g"))[0] == 200
    _, body = await call(fake, "sendMessage", chat_id=GROUP, text="g")
    assert body["parameters"] == {"retry_after": 3}
    clock.now += 3.0
    assert (await call(fake, "sendMessage", chat_id=GROUP, text="g"))[0] == 200


async def test_overall_bucket_is_30_per_second(clock: ManualClock) -> None:
    """The 31st message in one second, to 31 different users, is refused."""
    async with FakeTelegramApi.running(clock=clock, limits=RateLimits()) as api:
        for user in range(1, 32):
            api.add_private_chat(user)
        statuses = [(await call(api, "sendMessage", chat_id=u, text="b"))[0] for u in range(1, 32)]
    assert statuses == [200] * 30 + [429]


async def test_an_exhausted_overall_bucket_refuses_every_chat(clock: ManualClock) -> None:
    """After the overall 429 another user is refused too; sending late counts as a violation."""
    async with FakeTelegramApi.running(clock=clock, limits=RateLimits()) as api:
        for user in range(1, 33):
            api.add_private_chat(user)
        for u in range(1, 31):
            await call(api, "sendMessage", chat_id=u, text="b")
        status, body = await call(api, "sendMessage", chat_id=31, text="b")
        assert (status, body["parameters"]) == (429, {"retry_after": 1})
        clock.now += 0.5
        assert (await call(api, "sendMessage", chat_id=32, text="b"))[0] == 429
        assert api.violations == 1
        clock.now += 0.5
        assert (await call(api, "sendMessage", chat_id=32, text="b"))[0] == 200


async def test_an_imposed_bot_wide_429_spares_requests_already_in_flight(
    clock: ManualClock,
) -> None:
    """A send within the in-flight grace of a bot-wide 429 is refused but not counted."""
    async with FakeTelegramApi.running(clock=clock, limits=RateLimits()) as api:
        api.add_private_chat(1)
        api.add_private_chat(2)
        api.flood.impose_bot_wide(4)
        status, body = await call(api, "sendMessage", chat_id=1, text="x")
        assert (status, body["parameters"]) == (429, {"retry_after": 4})
        assert (await call(api, "sendMessage", chat_id=2, text="x"))[0] == 429
        assert api.violations == 0
        clock.now += 1.0
        assert (await call(api, "sendMessage", chat_id=2, text="x"))[0] == 429
        assert (api.violations, api.count_429) == (1, 3)
        clock.now += 3.0
        assert (await call(api, "sendMessage", chat_id=2, text="x"))[0] == 200


async def test_get_updates_offsets_confirm_and_limit(fake: FakeTelegramApi) -> None:
    """Updates stay until an offset above their id confirms them; negative offsets keep the tail."""
    ids = [fake.push_message(USER, USER, f"m{i}") for i in range(4)]
    _, first = await call(fake, "getUpdates", limit=2)
    assert [u["update_id"] for u in first["result"]] == ids[:2]
    _, again = await call(fake, "getUpdates", offset=ids[1])
    assert [u["update_id"] for u in again["result"]] == ids[1:]
    _, tail = await call(fake, "getUpdates", offset=-1)
    assert [u["message"]["text"] for u in tail["result"]] == ["m3"]
    _, empty = await call(fake, "getUpdates", offset=ids[3] + 1)
    assert empty["result"] == []


async def test_long_poll_waits_then_returns_a_pushed_update(fake: FakeTelegramApi) -> None:
    """A getUpdates with timeout blocks until an update arrives, not until the timeout."""
    poll = asyncio.create_task(call(fake, "getUpdates", timeout=30))
    await asyncio.sleep(0.1)
    assert not poll.done()
    fake.push_message(USER, USER, "/start abc")
    async with asyncio.timeout(3):
        _, body = await poll
    assert body["result"][0]["message"]["entities"][0]["type"] == "bot_command"


async def test_webhook_secret_is_validated(fake: FakeTelegramApi) -> None:
    """secret_token allows only A-Z a-z 0-9 _ - and at most 256 characters."""
    bad = await call(fake, "setWebhook", url="http://127.0.0.1:9/hook", secret_token="a b")
    long = await call(fake, "setWebhook", url="http://127.0.0.1:9/hook", secret_token="a" * 257)
    assert bad[1]["description"] == "Bad Request: secret token contains unallowed characters"
    assert long[1]["description"] == "Bad Request: secret token is too long"


async def test_webhook_delivery_sends_secret_retries_and_redelivers(
    fake: FakeTelegramApi,
) -> None:
    """Pushed updates are POSTed with the secret header, retried after a 500, and duplicable."""
    seen: list[tuple[int, str | None]] = []

    async def hook(request: Request) -> Response:
        body = await request.json()
        seen.append((body["update_id"], request.headers.get("x-telegram-bot-api-secret-token")))
        return Response(status_code=500 if len(seen) == 1 else 200)

    async with serve_asgi(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as base:
        status, _ = await call(fake, "setWebhook", url=f"{base}/hook", secret_token="s3cr3t_-")
        conflict = await call(fake, "getUpdates")
        update_id = fake.push_message(USER, USER, "hello")
        await fake.wait_for_deliveries(1)
        assert await fake.redeliver_last() == 200
    assert status == 200
    assert conflict[0] == 409
    assert conflict[1]["description"].startswith(
        "Conflict: can't use getUpdates method while webhook is active"
    )
    assert seen == [(update_id, "s3cr3t_-")] * 3
    _, info = await call(fake, "getWebhookInfo")
    assert info["result"]["last_error_message"] == "Wrong response from the webhook: 500"


async def test_callback_answers_only_for_open_queries(fake: FakeTelegramApi) -> None:
    """answerCallbackQuery works once per pushed query; unknown ids are 'too old'."""
    fake.push_callback(USER, USER, "book:1", message_id=5)
    _, body = await call(fake, "getUpdates")
    query_id = body["result"][0]["callback_query"]["id"]
    assert (await call(fake, "answerCallbackQuery", callback_query_id=query_id))[0] == 200
    status, again = await call(fake, "answerCallbackQuery", callback_query_id=query_id)
    assert (status, again["description"]) == (
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )


# -- editMessageText and getChatMember --------------------------------------------------------


async def test_edit_replaces_text_and_keyboard_of_a_sent_message(fake: FakeTelegramApi) -> None:
    """An edit parses HTML like a send, keeps the id and drops the keyboard it was not given."""
    keyboard = {"inline_keyboard": [[{"text": "Approve", "callback_data": "rv:a:1"}]]}
    _, sent = await call(fake, "sendMessage", chat_id=GROUP, text="Review", reply_markup=keyboard)
    message_id = sent["result"]["message_id"]
    status, body = await call(
        fake,
        "editMessageText",
        chat_id=GROUP,
        message_id=message_id,
        text="Review\n<b>Approved</b>",
        parse_mode="HTML",
    )
    assert status == 200
    assert body["result"]["message_id"] == message_id
    assert body["result"]["text"] == "Review\nApproved"
    assert "edit_date" in body["result"]
    assert "reply_markup" not in body["result"]
    [stored] = fake.sent
    assert (stored.text, stored.reply_markup) == ("Review\nApproved", None)
    assert [e.html for e in fake.edits] == ["Review\n<b>Approved</b>"]


@pytest.mark.parametrize(
    ("chat_id", "message_id", "text", "description"),
    [
        pytest.param(GROUP, 1, "<b>x</b>", "Bad Request: message is not modified", id="same"),
        pytest.param(GROUP, 99, "new", "Bad Request: message to edit not found", id="unknown"),
        pytest.param(USER, 1, "new", "Bad Request: message to edit not found", id="other-chat"),
        pytest.param(
            GROUP,
            1,
            "<b>open",
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            '"b"',
            id="bad-html",
        ),
        pytest.param(GROUP, 1, "x" * 4097, "Bad Request: message is too long", id="too-long"),
        pytest.param(
            GROUP, None, "new", "Bad Request: message identifier is not specified", id="no-id"
        ),
    ],
)
async def test_edits_are_refused_like_telegram_refuses_them(
    fake: FakeTelegramApi,
    chat_id: int,
    message_id: int | None,
    text: str,
    description: str,
) -> None:
    """Identical content, a message of another chat or unknown, bad HTML and overlength fail."""
    await call(fake, "sendMessage", chat_id=GROUP, text="<b>x</b>", parse_mode="HTML")
    params: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
    if message_id is not None:
        params["message_id"] = message_id
    status, body = await call(fake, "editMessageText", **params)
    assert status == 400
    assert body["description"].startswith(description)
    assert fake.edits == []
    assert fake.sent[0].text == "x"


async def test_an_edit_with_only_a_new_keyboard_is_a_change(fake: FakeTelegramApi) -> None:
    """Removing the buttons of an otherwise identical message is accepted."""
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    await call(fake, "sendMessage", chat_id=GROUP, text="Card", reply_markup=keyboard)
    status, _ = await call(fake, "editMessageText", chat_id=GROUP, message_id=1, text="Card")
    assert status == 200
    assert fake.sent[0].reply_markup is None


async def test_get_chat_member_reports_the_status_set_by_the_test(fake: FakeTelegramApi) -> None:
    """Everyone is a member unless set; set statuses come back with PTB's required fields."""
    fake.set_member_status(GROUP, 7, "administrator")
    fake.set_member_status(GROUP, 8, "creator")
    _, plain_member = await call(fake, "getChatMember", chat_id=GROUP, user_id=9)
    _, admin = await call(fake, "getChatMember", chat_id=GROUP, user_id=7)
    _, owner = await call(fake, "getChatMember", chat_id=GROUP, user_id=8)
    assert plain_member["result"]["status"] == "member"
    assert plain_member["result"]["user"]["id"] == 9
    assert (admin["result"]["status"], admin["result"]["can_manage_chat"]) == (
        "administrator",
        True,
    )
    assert (owner["result"]["status"], owner["result"]["is_anonymous"]) == ("creator", False)
    with pytest.raises(ValueError, match="unsupported status"):
        fake.set_member_status(GROUP, 7, "boss")


async def test_get_chat_member_of_an_unknown_chat_fails(fake: FakeTelegramApi) -> None:
    """Asking about a chat the bot does not know is 'chat not found'."""
    status, body = await call(fake, "getChatMember", chat_id=-100999, user_id=7)
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
