"""Hausa, Yoruba and Arabic speakers from first message to chosen boards, on the fake platforms."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import Service
from bot.core.commands import CommandRegistry
from bot.i18n.catalog import shared_catalogs
from bot.i18n.speech import speech_in
from handlers import register_commands
from handlers.context import HandlerContext
from handlers.relay.poll import POLL_STATE_KEY
from handlers.settings import LAGOS
from tests.e2e.conftest import TOKEN, Harness, eventually, running_service
from tests.fakes.telegram_api import FakeTelegramApi, RateLimits
from tests.fakes.twilio_api import FakeTwilioApi

SID = "AC" + "5e" * 16
AUTH = "f" * 32
SECRETS = {"MINBAR_TWILIO__ACCOUNT_SID": SID, "MINBAR_TWILIO__AUTH_TOKEN": AUTH}
HAUSA_USER, ARABIC_USER, ADMIN = 601, 602, 603
YORUBA_NUMBER = "+2348055500001"
ASKING = {"ask_language": True}
ROOMY = RateLimits(group_rate=20.0, group_burst=20.0)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    """A fake Bot API with a Hausa speaker (English app), an Arabic app user and an admin."""
    async with FakeTelegramApi.running(TOKEN, limits=ROOMY, long_poll_cap=0.5) as api:
        api.add_private_chat(HAUSA_USER, "Bello", language_code="en")
        api.add_private_chat(ARABIC_USER, "Khadija", language_code="ar")
        api.add_private_chat(ADMIN, "Musa", language_code="en")
        yield api


def ctx_menu(language: str) -> dict[str, str]:
    """Return the command menu of a private chat in ``language``, as the service builds it."""
    registry: CommandRegistry[HandlerContext] = CommandRegistry()
    register_commands(registry)
    t = speech_in(language, shared_catalogs().translations(language), LAGOS)
    return registry.menu(t._)


def texts(fake: FakeTelegramApi, chat: int) -> list[str]:
    """Return what one Telegram chat received, in order."""
    return [m.text for m in fake.sent if m.chat_id == chat]


def buttons(fake: FakeTelegramApi, chat: int) -> list[tuple[str, str]]:
    """Return the (label, data) of the last message's buttons in one chat."""
    markup = [m for m in fake.sent if m.chat_id == chat][-1].reply_markup or {}
    return [
        (b["text"], b.get("callback_data", "")) for row in markup["inline_keyboard"] for b in row
    ]


async def press(h: Harness, fake: FakeTelegramApi, chat: int, data: str, count: int) -> None:
    """Press the button ``data`` under the chat's last message; wait for ``count`` messages."""
    last = [m for m in fake.sent if m.chat_id == chat][-1]
    fake.push_callback(chat, chat, data, last.message_id)
    await eventually(lambda: len(h.sent_to(chat)) >= count, what=f"{count} messages")


async def boards_known(h: Harness) -> bool:
    """Return whether the first forum poll has recorded the bundled feed's boards."""
    return bool(await h.service.ctx.repos.topics.boards_seen())


TELEGRAM_JOURNEY = {
    # language: (chosen, welcome start, subscribed start, board menu after the press, done label)
    "ha": (
        "Harshe: Hausa. Aika /language don canza shi.",
        "Assalamu alaikum, Bello!\nNi ne bot ɗin Minbar.",
        "An yi rajista: sababbin batutuwan dandali za su zo nan.",
        "Kana jin labarin: General News.\nTaɓa allo don kunna ko kashe shi",
        "An gama",
    ),
    "yo": (
        "Èdè: Yorùbá. Fi /language ránṣẹ́ láti yí i padà.",
        "Assalamu alaikum, Bello!\nÈmi ni bot Minbar.",
        "A ti forúkọ sílẹ̀: àwọn àkòrí tuntun àpéjọ yóò máa dé síbí.",
        "O ń gbọ́ nípa: General News.\nTẹ pátákó kan láti tàn án tàbí pa á",
        "Ó parí",
    ),
    "ar": (
        "اللغة: العربية. أرسل /language لتغييرها.",
        "السلام عليكم يا \u2068Bello\u2069!\nأنا بوت \u2068Minbar\u2069.",
        "تم الاشتراك: ستصل مواضيع المنتدى الجديدة إلى هنا.",
        "تصلك أخبار: \u2068General News\u2069.\nاضغط على قسم لتشغيله أو إيقافه",
        "تم",
    ),
}


@pytest.mark.parametrize("language", list(TELEGRAM_JOURNEY))
async def test_a_speaker_on_telegram_subscribes_and_chooses_boards_in_their_language(
    tmp_path: Path, fake: FakeTelegramApi, language: str
) -> None:
    """Menu first, their language pressed, then /start, /subscribe and the board menu in it."""
    chosen, welcome, subscribed, menu_text, done = TELEGRAM_JOURNEY[language]
    async with running_service(tmp_path, telegram=fake, display=ASKING) as h:
        await eventually(lambda: boards_known(h), what="boards from the first poll")
        fake.push_message(HAUSA_USER, HAUSA_USER, "/start")
        await eventually(lambda: len(h.sent_to(HAUSA_USER)) == 1, what="the language menu")
        assert buttons(fake, HAUSA_USER)[0] == ("✅ English", "lang:en")
        await press(h, fake, HAUSA_USER, f"lang:{language}", 3)
        fake.push_message(HAUSA_USER, HAUSA_USER, "/subscribe")
        await eventually(lambda: len(h.sent_to(HAUSA_USER)) == 4, what="subscribed")
        fake.push_message(HAUSA_USER, HAUSA_USER, "/boards")
        await eventually(lambda: len(h.sent_to(HAUSA_USER)) == 5, what="the board menu")
        labels = [label for label, _ in buttons(fake, HAUSA_USER)]
        board = next(data for _, data in buttons(fake, HAUSA_USER) if data[3:].isdigit())
        await press(h, fake, HAUSA_USER, board, 5)
        # The menu is edited in place: its text and ticks change, no new message comes.
        await eventually(lambda: "✅" in str(buttons(fake, HAUSA_USER)[1:]), what="a board ticked")
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{fake.base_url}{TOKEN}/getMyCommands",
                json={"scope": {"type": "chat", "chat_id": HAUSA_USER}},
            )
        sub = await h.subscriber("telegram", str(HAUSA_USER))
    said = texts(fake, HAUSA_USER)
    assert said[1] == chosen
    assert said[2].startswith(welcome)
    assert said[3].startswith(subscribed)
    assert said[4].startswith(menu_text)
    assert labels[-1] == done
    menu = {c["command"]: c["description"] for c in answer.json()["result"]}
    expected = ctx_menu(language)
    assert menu == expected  # the chat's own menu, in its language
    assert "status" not in menu  # admin commands only in admins' chats
    assert sub is not None
    assert (sub.active, sub.settings.language, len(sub.settings.boards)) == (True, language, 1)
    assert [r for r in fake.rejected if r.method != "getUpdates"] == []


async def test_an_arabic_app_user_gets_arabic_with_links_and_numbers_intact(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """Arabic is preselected from the app and, once pressed, the replies keep /commands whole."""
    async with running_service(tmp_path, telegram=fake, display=ASKING) as h:
        fake.push_message(ARABIC_USER, ARABIC_USER, "/start")
        await eventually(lambda: len(h.sent_to(ARABIC_USER)) == 1, what="the language menu")
        first = buttons(fake, ARABIC_USER)[0]
        await press(h, fake, ARABIC_USER, "lang:ar", 3)
        fake.push_message(ARABIC_USER, ARABIC_USER, "/help")
        await eventually(lambda: len(h.sent_to(ARABIC_USER)) == 4, what="the help")
    said = texts(fake, ARABIC_USER)
    assert first == ("✅ العربية", "lang:ar")
    assert said[1] == "اللغة: العربية. أرسل /language لتغييرها."
    # The Latin name is isolated, so it cannot flip the Arabic line's direction.
    assert said[2].startswith("السلام عليكم يا \u2068Khadija\u2069!\nأنا بوت \u2068Minbar\u2069.")
    assert "/help" in said[2]
    assert said[3].startswith("الأوامر\n")
    assert "/boards — اختر أقسام المنتدى التي تصلك أخبارها" in said[3]
    assert [r for r in fake.rejected if r.method != "getUpdates"] == []


WHATSAPP_JOURNEY = {
    # language: (number on the menu, chosen, joined start, board menu start, saved start)
    "ha": (
        "2",
        "Harshe: Hausa. Aika HARSHE don canza shi.",
        "An yi rajista: za ka sami sababbin batutuwan dandali a nan.",
        "Kana jin labarin: duk allunan.",
        "An adana. Kana jin labarin:",
    ),
    "yo": (
        "3",
        "Èdè: Yorùbá. Fi ÈDÈ ránṣẹ́ láti yí i padà.",
        "A ti forúkọ sílẹ̀: wàá máa rí àwọn àkòrí tuntun àpéjọ gbà níbí.",
        "O ń gbọ́ nípa: gbogbo pátákó.",
        "A ti fi pamọ́. O ń gbọ́ nípa:",
    ),
    "ar": (
        "4",
        "اللغة: العربية. أرسل لغة لتغييرها.",
        "تم الاشتراك: ستصلك مواضيع المنتدى الجديدة هنا.",
        "تصلك أخبار: كل الأقسام.",
        "تم الحفظ. تصلك أخبار:",
    ),
}


@pytest.mark.parametrize("language", list(WHATSAPP_JOURNEY))
async def test_a_speaker_on_whatsapp_joins_and_chooses_boards_in_their_language(
    tmp_path: Path, language: str
) -> None:
    """JOIN from a new number: numbered menu, their number, then JOIN and BOARDS in it."""
    number, chosen, joined, menu_text, saved = WHATSAPP_JOURNEY[language]
    async with (
        FakeTwilioApi.running(SID, AUTH) as twilio,
        running_service(tmp_path, twilio=twilio, environ=SECRETS, display=ASKING) as h,
    ):
        await eventually(lambda: boards_known(h), what="boards from the first poll")

        async def say(text: str, count: int) -> None:
            answer = await twilio.send_inbound(h.inbound_url, YORUBA_NUMBER, text)
            assert answer.status_code == 200
            await eventually(
                lambda: len(h.twilio_to(YORUBA_NUMBER)) >= count, what=f"{count} replies"
            )

        await say("JOIN", 1)
        await say(number, 3)
        await say("BOARDS", 4)
        await say("2", 5)
        await say("DONE", 6)
        sub = await h.subscriber("whatsapp", YORUBA_NUMBER)
    bodies = [m["Body"] for m in h.twilio_to(YORUBA_NUMBER)]
    assert re.search(r"1\W+English", bodies[0])
    assert re.search(r"3\W+Yorùbá", bodies[0])
    assert "Amsa da lamba" in bodies[0]  # the number prompt in every language, before a choice
    assert bodies[1] == chosen
    assert bodies[2].startswith(joined)
    assert bodies[3].startswith(menu_text)
    assert bodies[5].startswith(saved)
    assert sub is not None
    assert (sub.active, sub.settings.language, len(sub.settings.boards)) == (True, language, 1)


async def test_an_admins_status_reads_in_lagos_time(tmp_path: Path, fake: FakeTelegramApi) -> None:
    """/status shows the last poll as a local date and time, never a UTC ISO string."""
    admins = {"telegram": [ADMIN]}
    async with running_service(tmp_path, telegram=fake, admins=admins) as h:

        async def polled() -> bool:
            return bool(await h.service.ctx.repos.state.get(POLL_STATE_KEY))

        await eventually(polled, what="the first poll recorded")
        fake.push_message(ADMIN, ADMIN, "/status")
        await eventually(lambda: bool(h.sent_to(ADMIN)), what="a /status reply")
    [status] = texts(fake, ADMIN)
    poll = next(line for line in status.splitlines() if line.startswith("Last forum poll:"))
    assert re.fullmatch(r"Last forum poll: \w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d \(\w+\)", poll)
    assert "+00:00" not in status


async def test_the_command_menus_are_published_per_language_and_per_admin_chat(
    tmp_path: Path, fake: FakeTelegramApi
) -> None:
    """At start: a default menu, one per language_code, and each admin's own with /status."""

    async def admin_reads_yoruba(service: Service) -> None:
        await service.ctx.repos.subscribers.set_language("telegram", str(ADMIN), "private", "yo")

    admins = {"telegram": [ADMIN]}
    async with running_service(
        tmp_path, telegram=fake, admins=admins, prepare=admin_reads_yoruba
    ) as h:
        await eventually(lambda: len(fake.commands) >= 6, what="every menu published")
        assert h.service is not None
    menus = {
        key: {c["command"]: c["description"] for c in cmds} for key, cmds in fake.commands.items()
    }
    assert set(menus) == {
        ("default", "", ""),
        ("default", "", "en"),
        ("default", "", "ha"),
        ("default", "", "yo"),
        ("default", "", "ar"),
        ("chat", str(ADMIN), ""),
    }
    assert menus[("default", "", "")] == ctx_menu("en")
    for code in ("ha", "yo", "ar"):
        assert menus[("default", "", code)] == ctx_menu(code)
        assert "status" not in menus[("default", "", code)]
    admin_menu = menus[("chat", str(ADMIN), "")]
    assert admin_menu["status"] == (
        "Ìlera iṣẹ́: àkókò iṣẹ́, ibi ìpamọ́ dátà, àwọn ìkànnì, àpótí ìfiránṣẹ́, àpéjọ"
    )
    assert set(ctx_menu("yo")) < set(admin_menu)
