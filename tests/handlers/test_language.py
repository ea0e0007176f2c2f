"""A language per chat: offered first, chosen by button, number or name, used everywhere after."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.clock import FrozenClock
from bot.core.messages import ChatKind
from bot.domain.destinations import DestinationSpec
from bot.storage.db import Database
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.relay.fanout import relay_topic, subscriber_alerts
from handlers.settings import FeatureSettings
from tests.handlers.conftest import drain, inbound, make_context, press, wa
from tests.handlers.relay.test_fanout import topic

MENU = "Choose your language · Zaɓi harshenka · Yan èdè rẹ · اختر لغتك"


@pytest.fixture
def ctx(db: Database, clock: FrozenClock) -> HandlerContext:
    """A context that offers the language menu to new chats, as the service does."""
    return make_context(db, clock, ask_language=True)


@pytest.fixture
def router(ctx: HandlerContext) -> Dispatcher:
    """The dispatcher of every feature."""
    return build_dispatcher(ctx)


async def language_of(ctx: HandlerContext, channel: str, chat: str) -> str | None:
    """Return the language a chat chose."""
    sub = await ctx.repos.subscribers.get(channel, chat)
    return sub.settings.language if sub is not None else None


async def test_a_new_telegram_user_is_offered_the_language_first(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """/start from a new chat gets the menu in all four languages, nothing else, yet."""
    await router.handle(inbound("/start"))
    [menu] = await drain(ctx)
    assert menu.message.plain_text == MENU
    assert [(c.label, c.data) for c in menu.message.choices] == [
        ("English", "lang:en"),
        ("Hausa", "lang:ha"),
        ("Yorùbá", "lang:yo"),
        ("العربية", "lang:ar"),
    ]
    assert await language_of(ctx, "telegram", "2002") is None


async def test_the_apps_language_is_only_ticked_and_put_first(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """Telegram's language_code preselects Arabic; it is not chosen until pressed."""
    await router.handle(replace(inbound("hello"), language_hint="ar"))
    [menu] = await drain(ctx)
    assert menu.message.choices[0].label == "✅ العربية"
    assert await language_of(ctx, "telegram", "2002") is None


async def test_after_choosing_hausa_everything_is_hausa(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """The /start that opened the chat is answered in Hausa, and so is all that follows."""
    await router.handle(inbound("/start"))
    await drain(ctx)
    await router.handle(press("lang:ha"))
    chosen, welcome = [item.message.plain_text for item in await drain(ctx)]
    assert chosen == "Harshe: Hausa. Aika /language don canza shi."
    assert welcome.startswith("Assalamu alaikum, Aisha!\nNi ne bot ɗin Attaqwaa.")
    assert await language_of(ctx, "telegram", "2002") == "ha"

    await router.handle(inbound("/subscribe"))
    await router.handle(inbound("/help"))
    await router.handle(inbound("/nonsense"))
    subscribed, listing, unknown = [item.message.plain_text for item in await drain(ctx)]
    assert subscribed.startswith("An yi rajista: sababbin batutuwan dandali za su zo nan.")
    assert listing.startswith("Umarni\n")
    assert "/subscribe — Sami sanarwa a nan don kowane sabon batun dandali" in listing
    assert unknown == "Ba a san umarnin /nonsense ba. Aika /help don ganin jerin."

    [alert] = await subscriber_alerts(topic(), ctx)
    assert alert.message.language == "ha"
    assert [c.label for c in alert.message.choices] == ["Karanta a dandali"]
    assert "Jum 27 Nuw 2026, 09:30" in alert.message.plain_text  # 08:30 UTC, Lagos time


async def test_a_whatsapp_user_picks_by_number_and_the_first_word_is_then_answered(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """JOIN from a new number gets the numbered menu; "3" picks Yoruba and then JOIN runs."""
    await router.handle(wa("JOIN"))
    [menu] = await drain(ctx)
    assert menu.message.plain_text == MENU
    await router.handle(wa("3"))
    chosen, joined = [item.message.plain_text for item in await drain(ctx)]
    assert chosen == "Èdè: Yorùbá. Fi ÈDÈ ránṣẹ́ láti yí i padà."
    assert joined.startswith("A ti forúkọ sílẹ̀: wàá máa rí àwọn àkòrí tuntun àpéjọ gbà níbí.")
    assert "ÌRÀNLỌ́WỌ́" in joined
    assert "DÚRÓ" in joined
    sub = await ctx.repos.subscribers.get("whatsapp", "+2348011111111")
    assert sub is not None
    assert sub.active
    assert sub.settings.language == "yo"


@pytest.mark.parametrize("word", ["ÈDÈ", "ede", "Ede."])
async def test_a_whatsapp_user_switches_to_yoruba_by_keyword(
    ctx: HandlerContext, router: Dispatcher, word: str
) -> None:
    """With or without tone marks the word opens the menu; typing the name chooses."""
    await ctx.repos.subscribers.set_language("whatsapp", "+2348011111111", "private", "en")
    await ctx.repos.subscribers.subscribe(
        "whatsapp", "+2348011111111", "private", "t", ctx.clock.now()
    )
    await router.handle(wa(word))
    [menu] = await drain(ctx)
    assert menu.message.plain_text == "Choose your language. Now: English."
    await router.handle(wa("Yoruba"))
    [chosen] = [item.message.plain_text for item in await drain(ctx)]
    assert chosen == "Èdè: Yorùbá. Fi ÈDÈ ránṣẹ́ láti yí i padà."

    [alert] = await subscriber_alerts(topic(), ctx)
    assert [c.label for c in alert.message.choices] == ["Kà á lórí àpéjọ"]
    assert "Ẹtì 27 Oṣù Bélú 2026, 09:30" in alert.message.plain_text


async def test_hausa_and_arabic_words_open_the_menu_too(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """HARSHE and لغة are the language word of Hausa and Arabic speakers."""
    await ctx.repos.subscribers.set_language("whatsapp", "+2348011111111", "private", "ha")
    await router.handle(wa("harshe"))
    [menu] = await drain(ctx)
    assert menu.message.plain_text == "Zaɓi harshenka. Yanzu: Hausa."
    await router.handle(wa("4"))
    [chosen] = [item.message.plain_text for item in await drain(ctx)]
    assert chosen.startswith("اللغة: العربية.")
    await router.handle(wa("لغة"))
    [menu] = await drain(ctx)
    assert menu.message.plain_text == "اختر لغتك. الحالية: العربية."


async def test_stop_works_before_any_language_is_chosen(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """An opt-out word from a new number opts out at once; the menu never comes first."""
    await router.handle(wa("TSAYA"))
    [stopped] = [item.message.plain_text for item in await drain(ctx)]
    assert stopped == "You will get no more messages. Send START to opt back in."
    sub = await ctx.repos.subscribers.get("whatsapp", "+2348011111111")
    assert sub is not None
    assert sub.opted_out


async def test_a_group_is_never_offered_the_menu(ctx: HandlerContext, router: Dispatcher) -> None:
    """The bot never speaks unprompted in a group: a group's language is /language's."""
    await router.handle(inbound("/help", chat="-100", kind=ChatKind.GROUP))
    [listing] = [item.message.plain_text for item in await drain(ctx)]
    assert listing.startswith("Commands\n")


async def test_an_arabic_speaker_reads_arabic_with_intact_commands_and_numbers(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """Chosen Arabic: the board menu hint keeps its numbers, the help its /commands."""
    await router.handle(replace(inbound("/subscribe"), language_hint="ar"))
    await drain(ctx)
    await router.handle(press("lang:ar"))
    chosen, subscribed = [item.message.plain_text for item in await drain(ctx)]
    assert chosen == "اللغة: العربية. أرسل /language لتغييرها."
    assert subscribed.startswith("تم الاشتراك")
    assert "/boards" in subscribed
    assert "/unsubscribe" in subscribed


async def test_the_menu_is_offered_once_and_a_person_may_go_on_without_it(
    ctx: HandlerContext, router: Dispatcher
) -> None:
    """Ignoring the menu for another command is allowed; the next message is not asked again."""
    await router.handle(inbound("/start"))
    await router.handle(inbound("/boards"))  # replaces the open menu with the board flow
    await router.handle(inbound("/help"))
    menu, boards, listing = [item.message.plain_text for item in await drain(ctx)]
    assert menu == MENU
    assert boards.startswith("No forum boards are known yet")
    assert listing.startswith("Commands\n")
    assert await language_of(ctx, "telegram", "2002") is None
    await router.handle(inbound("/language"))
    [again] = [item.message.plain_text for item in await drain(ctx)]
    assert again == "Choose your language. Now: English."


async def test_a_chat_without_a_choice_reads_the_default_language(
    db: Database, clock: FrozenClock
) -> None:
    """With display.default_language = "ha" a group, which is never asked, reads Hausa."""
    settings = FeatureSettings(bot_name="Attaqwaa", default_language="ha")
    ctx = make_context(db, clock, settings=settings)
    await build_dispatcher(ctx).handle(inbound("/help", chat="-100", kind=ChatKind.GROUP))
    [listing] = [item.message.plain_text for item in await drain(ctx)]
    assert listing.startswith("Umarni\n")


async def test_a_destination_reads_its_configured_language(
    db: Database, clock: FrozenClock
) -> None:
    """A channel with language = "ar" in config.toml gets Arabic labels; forum text stays."""
    settings = FeatureSettings(destination_languages={"telegram:@arabic_channel": "ar"})
    ctx = make_context(db, clock, settings=settings)
    await ctx.repos.destinations.sync_from_config(
        [
            DestinationSpec("telegram", "@arabic_channel", "channel"),
            DestinationSpec("telegram", "@english_channel", "channel"),
        ]
    )
    await relay_topic(topic(), ctx)
    sent = {item.message.recipient.chat_id: item.message for item in await drain(ctx)}
    arabic, english = sent["@arabic_channel"], sent["@english_channel"]
    assert [c.label for c in arabic.choices] == ["اقرأ في المنتدى"]
    assert arabic.plain_text.startswith("Umrah group leaves in March")
    assert [c.label for c in english.choices] == ["Read on forum"]
