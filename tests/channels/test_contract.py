"""The contract every channel adapter keeps, run over console, Telegram and WhatsApp.

Telegram runs python-telegram-bot against the fake Bot API and WhatsApp the real twilio client
against the fake Twilio API, so each case shows what the platform itself received.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot.channels import PLATFORMS
from bot.channels.console.adapter import ConsoleChannel
from bot.channels.console.platform import CONSOLE_CAPABILITIES
from bot.channels.platform import ChannelHooks, Platform
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.platform import TELEGRAM_CAPABILITIES
from bot.channels.whatsapp.adapter import WhatsAppChannel, WhatsAppTemplate
from bot.channels.whatsapp.platform import WHATSAPP_CAPABILITIES
from bot.config import build_config
from bot.core.channel import Capabilities, Channel
from bot.core.errors import ChannelError
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import (
    ChatKind,
    Choice,
    InboundMessage,
    OutboundMessage,
    Recipient,
    Span,
    text_message,
)
from bot.core.reports import DeliveryReport
from tests.fakes.telegram_api import FakeTelegramApi, RateLimits
from tests.fakes.twilio_api import DEFAULT_SENDER, FakeTwilioApi
from tests.service_config import service_data

TG_TOKEN = "7081234567:AAGk2q9Zr4TbWv8nLmPq3sYh6JdFe1cUo0w"
TG_GROUP = -1001700000001
TW_SID = "AC" + "5e" * 16
TW_TOKEN = "7b" * 16
WA_NUMBER = "+2348030000042"
TEMPLATE_SID = "HX" + "9a" * 16
CHOICES = (Choice("Umrah packages", data="pick:umrah"), Choice("Hajj packages", data="pick:hajj"))

DECLARED: dict[str, Capabilities] = {
    "console": CONSOLE_CAPABILITIES,
    "telegram": TELEGRAM_CAPABILITIES,
    "whatsapp": replace(WHATSAPP_CAPABILITIES, templates=frozenset({"broadcast"})),
}
"""What each platform declares; the adapter under test must report exactly this."""


async def _ignore(message: InboundMessage) -> None:
    """Drop inbound messages; the contract is about sending."""


@dataclass
class Case:
    """One adapter under the contract, and how to read what its platform received."""

    name: str
    channel: Channel
    recipient: Recipient
    received: Callable[[], list[str]]
    """Every message text the platform holds for the recipient, in order."""
    keyboard: Callable[[], list[str] | None]
    """Button labels of the last message as the platform shows them (None: no buttons)."""
    break_delivery: Callable[[], None]
    """Make the next send to the recipient fail the way the platform fails."""
    mend_delivery: Callable[[], None]
    """Undo ``break_delivery``."""


@contextlib.asynccontextmanager
async def _console_case() -> AsyncIterator[Case]:
    out = io.StringIO()
    broken: list[bool] = []

    class Output(io.StringIO):
        def write(self, text: str) -> int:
            if broken:
                raise OSError(28, "No space left on device")
            return out.write(text)

    channel = ConsoleChannel("console", on_message=_ignore, stream=Output())
    blocks = lambda: [b for b in out.getvalue().split("── console → ") if b]  # noqa: E731

    def keyboard() -> list[str] | None:
        last = blocks()[-1].splitlines()
        rows = [line for line in last if line.startswith("[ ")]
        return [label.strip(" []") for row in rows for label in row.split("  ")] or None

    yield Case(
        "console",
        channel,
        Recipient(ChannelName("console"), ChatId("console-admin")),
        received=lambda: ["\n".join(b.splitlines()[1:]) for b in blocks()],
        keyboard=keyboard,
        break_delivery=lambda: broken.append(True),
        mend_delivery=broken.clear,
    )


@contextlib.asynccontextmanager
async def _telegram_case() -> AsyncIterator[Case]:
    roomy = RateLimits(group_rate=50.0, group_burst=50.0)
    async with FakeTelegramApi.running(TG_TOKEN, limits=roomy, long_poll_cap=0.5) as fake:
        fake.add_group(TG_GROUP, "Contract", kind="supergroup")
        channel = TelegramChannel(TG_TOKEN, _ignore, base_url=fake.base_url)

        def keyboard() -> list[str] | None:
            markup = [m for m in fake.sent if m.chat_id == TG_GROUP][-1].reply_markup
            if markup is None:
                return None
            return [button["text"] for row in markup["inline_keyboard"] for button in row]

        def mend() -> None:
            fake.chats[TG_GROUP].kicked = False

        try:
            yield Case(
                "telegram",
                channel,
                Recipient(ChannelName("telegram"), ChatId(str(TG_GROUP)), ChatKind.GROUP),
                received=lambda: [m.text for m in fake.sent if m.chat_id == TG_GROUP],
                keyboard=keyboard,
                break_delivery=lambda: fake.kick_from(TG_GROUP),
                mend_delivery=mend,
            )
        finally:
            await channel.stop()


@contextlib.asynccontextmanager
async def _whatsapp_case() -> AsyncIterator[Case]:
    async with FakeTwilioApi.running(TW_SID, TW_TOKEN, templates={TEMPLATE_SID: 1}) as fake:
        fake.set_last_inbound(WA_NUMBER, fake.clock.now())
        channel = WhatsAppChannel(
            TW_SID,
            TW_TOKEN,
            DEFAULT_SENDER,
            _ignore,
            api_base_url=fake.base_url,
            templates={"broadcast": WhatsAppTemplate(TEMPLATE_SID, ("title",))},
        )

        def bodies() -> list[str]:
            to = f"whatsapp:{WA_NUMBER}"
            return [m.params["Body"] for m in fake.messages if m.params["To"] == to]

        try:
            yield Case(
                "whatsapp",
                channel,
                Recipient(ChannelName("whatsapp"), ChatId(WA_NUMBER)),
                received=bodies,
                keyboard=lambda: None,  # Twilio's Messages API carries no buttons for free text
                # A blocked number only fails later, by status callback; wrong credentials
                # are what Twilio refuses at once.
                break_delivery=lambda: setattr(fake, "auth_token", "0" * 32),
                mend_delivery=lambda: setattr(fake, "auth_token", TW_TOKEN),
            )
        finally:
            await channel.stop()


CASES = {"console": _console_case, "telegram": _telegram_case, "whatsapp": _whatsapp_case}
EDITING = [name for name, caps in DECLARED.items() if caps.edits]


@pytest.fixture(params=list(CASES))
async def case(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    """A started adapter of each platform, against its fake where it has one."""
    async with CASES[request.param]() as built:
        await built.channel.start()
        yield built


@pytest.fixture(params=EDITING)
async def editing_case(request: pytest.FixtureRequest) -> AsyncIterator[Case]:
    """A started adapter of each platform that declares edits."""
    async with CASES[request.param]() as built:
        await built.channel.start()
        yield built


def test_every_platform_has_a_contract_case() -> None:
    """Each registered platform is covered here, so a new one cannot skip the contract."""
    assert sorted(p.name for p in PLATFORMS) == sorted(CASES) == sorted(DECLARED)


async def test_it_is_a_channel_named_after_its_platform(case: Case) -> None:
    """The adapter satisfies the Channel protocol and registers under its platform's name."""
    assert isinstance(case.channel, Channel)
    assert case.channel.name == case.name
    assert case.recipient.channel == case.channel.name


async def test_it_reports_the_capabilities_its_platform_declares(case: Case) -> None:
    """What the adapter says it can do is what bot.app declares for the platform."""
    assert case.channel.capabilities == DECLARED[case.name]


async def test_send_returns_a_distinct_provider_id_and_the_text_arrives(case: Case) -> None:
    """Each send returns its own non-empty provider id, and the platform holds the text."""
    first = await case.channel.send(text_message(case.recipient, "Salaam, first"))
    second = await case.channel.send(text_message(case.recipient, "Salaam, second"))
    assert first.provider_message_id
    assert second.provider_message_id
    assert first.provider_message_id != second.provider_message_id
    assert [t.strip() for t in case.received()] == ["Salaam, first", "Salaam, second"]


async def test_choices_follow_the_declared_buttons_capability(case: Case) -> None:
    """With buttons the choices are tappable (no numbers); without, numbered in the text."""
    await case.channel.send(text_message(case.recipient, "Which offer?", choices=CHOICES))
    [text] = case.received()
    if case.channel.capabilities.buttons:
        assert case.keyboard() == ["Umrah packages", "Hajj packages"]
        assert "1. Umrah packages" not in text
    else:
        assert case.keyboard() is None
        assert "1. Umrah packages\n2. Hajj packages" in text
    assert text.strip().startswith("Which offer?")


async def test_a_text_of_the_declared_length_arrives_whole(case: Case) -> None:
    """A text exactly max_text characters long is accepted and arrives whole in one message."""
    text = "a" * case.channel.capabilities.max_text
    await case.channel.send(text_message(case.recipient, text))
    assert [t.strip() for t in case.received()] == [text]


async def test_a_platform_failure_is_a_channel_error_and_the_channel_recovers(
    case: Case,
) -> None:
    """A refused send raises a ChannelError subclass with a reason; the next send works."""
    case.break_delivery()
    with pytest.raises(ChannelError) as caught:
        await case.channel.send(text_message(case.recipient, "lost"))
    assert type(caught.value) is not ChannelError  # always a specific subclass
    assert caught.value.error_key
    assert isinstance(caught.value.retryable, bool)
    case.mend_delivery()
    result = await case.channel.send(text_message(case.recipient, "after the failure"))
    assert result.provider_message_id
    assert [t.strip() for t in case.received()] == ["after the failure"]


async def test_stop_is_safe_to_repeat_and_a_restarted_channel_sends(case: Case) -> None:
    """stop() twice does no harm, and start() after stop() gives a channel that sends again."""
    await case.channel.stop()
    await case.channel.stop()
    await case.channel.start()
    result = await case.channel.send(text_message(case.recipient, "back again"))
    assert result.provider_message_id
    assert [t.strip() for t in case.received()] == ["back again"]


@pytest.mark.parametrize("name", list(CASES))
async def test_stop_before_start_is_harmless(name: str) -> None:
    """Stopping an adapter that never started does nothing, and it can still start and send."""
    async with CASES[name]() as case:
        await case.channel.stop()
        await case.channel.start()
        result = await case.channel.send(text_message(case.recipient, "first words"))
    assert result.provider_message_id
    assert [t.strip() for t in case.received()] == ["first words"]


async def test_an_edit_replaces_the_message_on_platforms_that_declare_edits(
    editing_case: Case,
) -> None:
    """With edits declared, edit_of changes the earlier message and returns its id."""
    case = editing_case
    sent = await case.channel.send(text_message(case.recipient, "Pending", choices=CHOICES))
    assert sent.provider_message_id is not None
    edit = OutboundMessage(case.recipient, (Span("Approved"),), edit_of=sent.provider_message_id)
    edited = await case.channel.send(edit)
    assert edited.provider_message_id == sent.provider_message_id
    assert case.received()[-1].strip().endswith("Approved")
    assert case.keyboard() is None


@pytest.mark.parametrize(
    "platform", [p for p in PLATFORMS if p.build_live is not None], ids=lambda p: p.name
)
def test_the_live_adapter_built_from_config_reports_the_declared_capabilities(
    tmp_path: Path, platform: Platform
) -> None:
    """A platform's build_live gives an adapter whose name and capabilities bot.app declares."""
    assert platform.build_live is not None
    data = service_data(
        tmp_path,
        telegram={"mode": "live"},
        whatsapp={
            "mode": "live",
            "templates": {"broadcast": {"content_sid": TEMPLATE_SID, "variables": ["title"]}},
        },
        web={"public_url": "https://minbar.attaqwaa.ng"},
    )
    config = build_config(
        data,
        {
            "MINBAR_TELEGRAM__TOKEN": TG_TOKEN,
            "MINBAR_TWILIO__ACCOUNT_SID": TW_SID,
            "MINBAR_TWILIO__AUTH_TOKEN": TW_TOKEN,
        },
    )
    reports: list[DeliveryReport] = []
    channel = platform.build_live(config, ChannelHooks(_ignore, reports.append))
    assert channel.name == platform.name
    assert channel.capabilities == platform.capabilities(config) == DECLARED[platform.name]
