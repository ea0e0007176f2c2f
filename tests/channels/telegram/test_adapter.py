"""TelegramChannel at the transport seam (RecordingRequest) and against the fake Bot API server."""

from __future__ import annotations

import datetime as dtm
import re
from typing import Any

import pytest
from telegram.error import RetryAfter, TimedOut

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.errors import map_telegram_error
from bot.core.errors import (
    ChannelUnavailable,
    ConfigError,
    DestinationInvalid,
    DestinationMigrated,
    PermanentError,
    RateLimited,
    RecipientUnreachable,
    TransientError,
)
from bot.core.messages import (
    ChatKind,
    Choice,
    OutboundMessage,
    Span,
    text_message,
)
from tests.channels.telegram.helpers import HOOK, TOKEN, USER, Inbox, to
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.telegram_request import RecordingRequest


async def test_start_registers_the_webhook_with_secret_and_update_types(
    channel: TelegramChannel, transport: RecordingRequest
) -> None:
    """Webhook mode calls setWebhook with the url, the secret and the update types we handle."""
    [params] = transport.calls_to("setWebhook")
    assert params == {
        "url": HOOK,
        "secret_token": "s3cret",
        "allowed_updates": ["message", "callback_query", "my_chat_member"],
    }
    assert channel.check_webhook_secret("s3cret")
    assert not channel.check_webhook_secret("s3creT")
    assert not channel.check_webhook_secret(None)


def test_an_invalid_configured_secret_is_a_config_error(inbox: Inbox) -> None:
    """Telegram allows only A-Z a-z 0-9 _ - in the secret, so others are refused at startup."""
    with pytest.raises(ConfigError, match="webhook_secret"):
        TelegramChannel(TOKEN, inbox, webhook_secret="has space")


async def test_send_renders_html_with_thread_keyboard_and_preview(
    channel: TelegramChannel, transport: RecordingRequest
) -> None:
    """send() passes HTML, parse_mode, thread id, inline keyboard and preview options."""
    message = OutboundMessage(
        to("-100777", ChatKind.GROUP, thread=9),
        (Span("New "), Span("<topic>", bold=True)),
        choices=(Choice("Open", url="https://forum.example/t/1"),),
    )
    result = await channel.send(message)
    [params] = transport.calls_to("sendMessage")
    assert params == {
        "chat_id": -100777,
        "text": "New <b>&lt;topic&gt;</b>",
        "parse_mode": "HTML",
        "message_thread_id": 9,
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {
            "inline_keyboard": [[{"text": "Open", "url": "https://forum.example/t/1"}]]
        },
    }
    assert result.provider_message_id == "101"


async def test_long_messages_are_sent_in_parts_and_report_the_first_id(
    channel: TelegramChannel, transport: RecordingRequest
) -> None:
    """A 5000-character text becomes two sendMessage calls; the first id is returned."""
    result = await channel.send(
        text_message(to("42"), "word " * 1000, choices=[Choice("Yes", data="y")])
    )
    calls = transport.calls_to("sendMessage")
    assert len(calls) == 2
    assert "reply_markup" not in calls[0]
    assert "reply_markup" in calls[1]
    assert result.provider_message_id == "101"


async def test_image_messages_use_send_photo_with_caption(
    channel: TelegramChannel, transport: RecordingRequest
) -> None:
    """An image_url sends a photo with the HTML caption."""
    await channel.send(
        OutboundMessage(
            to("42"), (Span("Offer", italic=True),), image_url="https://forum.example/p.jpg"
        )
    )
    [params] = transport.calls_to("sendPhoto")
    assert (params["photo"], params["caption"], params["parse_mode"]) == (
        "https://forum.example/p.jpg",
        "<i>Offer</i>",
        "HTML",
    )


async def test_overlong_callback_data_is_a_permanent_error(channel: TelegramChannel) -> None:
    """Choice data over 64 bytes cannot be sent; the outbox gets a permanent error."""
    message = text_message(to("42"), "x", choices=[Choice("x", data="d" * 65)])
    with pytest.raises(PermanentError) as info:
        await channel.send(message)
    assert info.value.error_key == "invalid_message"


@pytest.mark.parametrize(
    ("code", "description", "parameters", "error_type", "key"),
    [
        pytest.param(
            429,
            "Too Many Requests: retry after 7",
            {"retry_after": 7},
            RateLimited,
            "rate_limited",
            id="retry-after",
        ),
        pytest.param(
            400,
            "Bad Request: not enough rights to send text messages to the chat",
            None,
            DestinationInvalid,
            "cannot_post",
            id="no-rights",
        ),
        pytest.param(
            403,
            "Forbidden: need administrator rights in the channel chat",
            None,
            DestinationInvalid,
            "cannot_post",
            id="channel-not-admin",
        ),
        pytest.param(
            403,
            "Forbidden: bot was blocked by the user",
            None,
            RecipientUnreachable,
            "blocked",
            id="blocked",
        ),
        pytest.param(
            403,
            "Forbidden: user is deactivated",
            None,
            RecipientUnreachable,
            "deactivated",
            id="deactivated",
        ),
        pytest.param(
            403,
            "Forbidden: bot was kicked from the supergroup chat",
            None,
            RecipientUnreachable,
            "kicked",
            id="kicked",
        ),
        pytest.param(
            403,
            "Forbidden: bot is not a member of the channel chat",
            None,
            RecipientUnreachable,
            "not_member",
            id="not-member",
        ),
        pytest.param(
            400,
            "Bad Request: chat not found",
            None,
            DestinationInvalid,
            "chat_not_found",
            id="chat-not-found",
        ),
        pytest.param(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": -1001234},
            DestinationMigrated,
            "migrated",
            id="migrated",
        ),
        pytest.param(
            400,
            'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
            None,
            PermanentError,
            "bad_request",
            id="bad-html",
        ),
        pytest.param(
            401, "Unauthorized", None, ChannelUnavailable, "channel_unavailable", id="token"
        ),
        pytest.param(502, "Bad Gateway", None, TransientError, "network", id="bad-gateway"),
    ],
)
async def test_telegram_errors_map_to_neutral_errors(
    channel: TelegramChannel,
    transport: RecordingRequest,
    code: int,
    description: str,
    parameters: dict[str, Any] | None,
    error_type: type[Exception],
    key: str,
) -> None:
    """Each Bot API failure becomes the neutral error the outbox acts on."""
    transport.plan_error("sendMessage", code, description, parameters)
    with pytest.raises(error_type) as info:
        await channel.send(text_message(to("42"), "hi"))
    assert getattr(info.value, "error_key", None) == key
    if isinstance(info.value, ChannelUnavailable):
        assert (info.value.retry_after, info.value.scope) == (300.0, "channel")
    elif isinstance(info.value, RateLimited):
        # The first send to the chat: its own pace cannot explain the 429, so the bot waits.
        assert (info.value.retry_after, info.value.scope) == (7.0, "channel")
    if isinstance(info.value, DestinationMigrated):
        assert info.value.new_chat_id == "-1001234"


async def test_timeouts_are_transient(
    channel: TelegramChannel, transport: RecordingRequest
) -> None:
    """A transport timeout (a NetworkError subclass) is retried, not dropped."""
    transport.plan_exception("sendMessage", TimedOut())
    with pytest.raises(TransientError) as info:
        await channel.send(text_message(to("42"), "hi"))
    assert info.value.error_key == "network"


@pytest.mark.parametrize("retry_after", [12, dtm.timedelta(seconds=12)], ids=["int", "timedelta"])
def test_retry_after_is_read_as_seconds_in_both_shapes(retry_after: int | dtm.timedelta) -> None:
    """RetryAfter given as int or timedelta yields 12.0 seconds without a warning."""
    error = map_telegram_error(RetryAfter(retry_after))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 12.0


async def test_publish_commands_sets_the_menu(
    channel: TelegramChannel, transport: RecordingRequest
) -> None:
    """publish_commands sends setMyCommands with every name and description."""
    await channel.publish_commands({"start": "Begin", "packages": "Travel offers"})
    [params] = transport.calls_to("setMyCommands")
    assert params["commands"] == [
        {"command": "start", "description": "Begin"},
        {"command": "packages", "description": "Travel offers"},
    ]


# -- the real PTB HTTP client against the fake Bot API server ------------------------------


async def test_real_client_sends_html_the_fake_accepts(
    live: TelegramChannel, server: FakeTelegramApi
) -> None:
    """A hostile text goes through PTB to the fake and arrives as typed."""
    text = '<script>&nbsp; 1 < 2 & "q"'
    result = await live.send(text_message(to("42"), [Span(text, bold=True)]))
    assert [m.text for m in server.sent] == [text]
    assert result.provider_message_id == str(server.sent[0].message_id)


async def test_real_client_maps_rate_limit_with_retry_after(
    live: TelegramChannel, server: FakeTelegramApi
) -> None:
    """The second message within a second to a private chat is RateLimited(retry_after=1)."""
    await live.send(text_message(to("42"), "one"))
    with pytest.raises(RateLimited) as info:
        await live.send(text_message(to("42"), "two"))
    assert (info.value.retry_after, info.value.scope) == (1.0, "recipient")
    assert server.count_429 == 1


@pytest.mark.parametrize(
    ("setup", "error_type", "key"),
    [
        ("block", RecipientUnreachable, "blocked"),
        ("unknown", DestinationInvalid, "chat_not_found"),
        ("migrate", DestinationMigrated, "migrated"),
    ],
)
async def test_real_client_maps_unreachable_chats(
    live: TelegramChannel,
    server: FakeTelegramApi,
    setup: str,
    error_type: type[Exception],
    key: str,
) -> None:
    """Blocked users, unknown chats and migrated groups raise the matching neutral errors."""
    target = "42"
    if setup == "block":
        server.block(USER)
    elif setup == "unknown":
        target = "777"
    else:
        server.add_group(-555, "Old")
        server.migrate(-555, -100555)
        target = "-555"
    with pytest.raises(error_type) as info:
        await live.send(text_message(to(target), "x"))
    assert getattr(info.value, "error_key", None) == key
    if isinstance(info.value, DestinationMigrated):
        assert info.value.new_chat_id == "-100555"


async def test_long_polling_receives_a_pushed_message(
    live: TelegramChannel, server: FakeTelegramApi, inbox: Inbox
) -> None:
    """With no webhook URL the channel long-polls and hands pushed messages on."""
    update_id = server.push_message(USER, USER, "/start promo2025")
    got = await inbox.next()
    assert (got.command, got.message_ref) == (
        ("start", "promo2025"),
        f"telegram:update:{update_id}",
    )


# -- edits ---------------------------------------------------------------------------------


async def test_an_edit_calls_edit_message_text_with_html_and_keyboard(
    channel: TelegramChannel, transport: RecordingRequest
) -> None:
    """edit_of becomes editMessageText on that message id; nothing new is sent."""
    message = OutboundMessage(
        to("-100777", ChatKind.GROUP),
        (Span("Review: "), Span("<topic>", bold=True), Span("\nApproved by A")),
        choices=(Choice("Open", url="https://forum.example/t/1"),),
        kind="review",
        edit_of="55",
    )
    result = await channel.send(message)
    [params] = transport.calls_to("editMessageText")
    assert params == {
        "chat_id": -100777,
        "message_id": 55,
        "text": "Review: <b>&lt;topic&gt;</b>\nApproved by A",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {
            "inline_keyboard": [[{"text": "Open", "url": "https://forum.example/t/1"}]]
        },
    }
    assert transport.calls_to("sendMessage") == []
    assert result.provider_message_id == "55"
    assert channel.capabilities.edits is True


async def test_an_edit_that_changes_nothing_counts_as_done(
    channel: TelegramChannel, transport: RecordingRequest
) -> None:
    """'message is not modified' means a retried edit already landed: success, not an error."""
    transport.plan_error(
        "editMessageText",
        400,
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message",
    )
    result = await channel.send(text_message(to("42"), "same"))
    assert result.provider_message_id == "101"  # a plain send is unaffected by the plan
    edit = OutboundMessage(to("42"), (Span("same"),), edit_of="101")
    assert (await channel.send(edit)).provider_message_id == "101"


@pytest.mark.parametrize(
    ("edit_of", "text", "key"),
    [
        pytest.param("7", "x", "edit_target_missing", id="deleted-message"),
        pytest.param("abc", "x", "invalid_edit", id="not-an-id"),
        pytest.param("7", "word " * 1000, "invalid_edit", id="two-parts"),
    ],
)
async def test_edits_that_cannot_apply_are_permanent_errors(
    channel: TelegramChannel, transport: RecordingRequest, edit_of: str, text: str, key: str
) -> None:
    """A vanished message, a non-numeric id or a text needing two messages fail for good."""
    transport.plan_error("editMessageText", 400, "Bad Request: message to edit not found")
    with pytest.raises(PermanentError) as info:
        await channel.send(OutboundMessage(to("42"), (Span(text),), edit_of=edit_of))
    assert info.value.error_key == key


async def test_real_client_edits_a_card_on_the_fake_server(
    live: TelegramChannel, server: FakeTelegramApi
) -> None:
    """Send with buttons, edit without them, repeat the edit: one message, final text, no keys."""
    server.add_group(-100300, "Admins", kind="supergroup")
    admins = to("-100300", ChatKind.GROUP)
    card = text_message(admins, "Review: topic", choices=[Choice("Approve", data="rv:a:1")])
    sent = await live.send(card)
    assert sent.provider_message_id is not None
    edit = OutboundMessage(
        admins,
        (Span("Review: topic\n"), Span("Approved", bold=True)),
        edit_of=sent.provider_message_id,
    )
    first = await live.send(edit)
    again = await live.send(edit)
    assert first.provider_message_id == again.provider_message_id == sent.provider_message_id
    [message] = server.sent
    assert (message.text, message.reply_markup) == ("Review: topic\nApproved", None)
    assert len(server.edits) == 1
    assert server.rejected[-1].description.startswith("Bad Request: message is not modified")


async def test_link_previews_follow_the_configured_kind(inbox: Inbox) -> None:
    """telegram.link_preview turns previews on for broadcasts and off for topic alerts."""
    transport = RecordingRequest()
    tg = TelegramChannel(
        TOKEN,
        inbox,
        webhook_url=HOOK,
        webhook_secret="s3cret",
        request=transport,
        get_updates_request=RecordingRequest(),
        link_preview={"broadcast": True, "topic_alert": False},
    )
    await tg.start()
    try:
        for kind in ("broadcast", "topic_alert"):
            await tg.send(OutboundMessage(to("-100777", ChatKind.CHANNEL), (Span("x"),), kind=kind))
    finally:
        await tg.stop()
    previews = [p["link_preview_options"] for p in transport.calls_to("sendMessage")]
    assert previews == [{"is_disabled": False}, {"is_disabled": True}]


def test_without_a_configured_secret_every_process_derives_the_same_one(inbox: Inbox) -> None:
    """Two processes with one token check the same webhook secret; it does not reveal the token."""
    first = TelegramChannel(TOKEN, inbox, webhook_url=HOOK)
    second = TelegramChannel(TOKEN, inbox, webhook_url=HOOK)
    other = TelegramChannel("7350917461:" + "B" * 35, inbox, webhook_url=HOOK)
    assert first.webhook_secret == second.webhook_secret != other.webhook_secret
    assert TOKEN.split(":")[1] not in first.webhook_secret
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", first.webhook_secret)
