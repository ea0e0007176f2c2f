"""The settings menu: one flow (SETTINGS) for topic alerts, promotions and instant or digest."""

from __future__ import annotations

from bot.core.choices import selectable_choices
from bot.core.clock import FrozenClock
from bot.core.messages import ChatKind
from bot.domain.subscribers import SubscriberSettings
from bot.storage.db import Database
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.subscriptions.menus import not_subscribed
from handlers.subscriptions.settings_menu import SETTINGS
from tests.fakes.channel import whatsapp_like
from tests.handlers.conftest import (
    EN,
    START,
    WA_NUMBER,
    GroupChannel,
    drain,
    inbound,
    make_context,
    press,
    provider_id,
    texts,
    wa,
)
from tests.handlers.subscriptions.conftest import GROUP, GROUP_ADMIN, MEMBER, prefs_of

DEFAULTS = "Topic alerts: on\nPromotions: on\nDelivery: instant, one per topic"


async def subscribed(ctx: HandlerContext, channel: str = "telegram") -> Dispatcher:
    """Subscribe the test chat on ``channel`` and return the dispatcher."""
    d = build_dispatcher(ctx)
    await d.handle(inbound("/subscribe") if channel == "telegram" else wa("JOIN"))
    await drain(ctx)
    return d


def test_the_settings_flow_keeps_its_old_button_prefix() -> None:
    """The flow answers ``st:`` buttons, /settings and SETTINGS."""
    assert (SETTINGS.prefix, list(SETTINGS.commands), SETTINGS.keywords) == (
        "st",
        ["settings"],
        frozenset({"SETTINGS"}),
    )


async def test_settings_shows_the_defaults_with_a_toggle_each(ctx: HandlerContext) -> None:
    """/settings shows each setting's state and one button per setting, then Done."""
    d = await subscribed(ctx)
    await d.handle(inbound("/settings"))
    (shown,) = await drain(ctx)
    assert shown.message.plain_text == f"Your settings:\n{DEFAULTS}\nPick a setting to change it."
    assert [(c.label, c.data) for c in shown.message.choices] == [
        ("Topic alerts: on", "st:alerts"),
        ("Promotions: on", "st:promos"),
        ("Delivery: instant", "st:mode"),
        ("Done", "st:done"),
    ]


async def test_each_press_flips_one_setting_in_place(ctx: HandlerContext) -> None:
    """Each button flips its setting, and the menu it was pressed on shows the new state."""
    d = await subscribed(ctx)
    await d.handle(inbound("/settings"))
    (menu,) = await drain(ctx)
    for data in ("st:alerts", "st:promos", "st:mode"):
        await d.handle(press(data, origin=provider_id(menu)))
    prefs = await prefs_of(ctx, "telegram", "2002")
    assert (prefs.topic_alerts, prefs.promotions, prefs.delivery) == (False, False, "digest")
    answers = await drain(ctx)
    assert [a.message.edit_of for a in answers] == [provider_id(menu)] * 3
    assert [c.label for c in answers[-1].message.choices] == [
        "Topic alerts: off",
        "Promotions: off",
        "Delivery: daily digest",
        "Done",
    ]
    assert answers[-1].message.plain_text.startswith("Saved:\n")
    await d.handle(press("st:mode", origin=provider_id(menu)))
    assert (await prefs_of(ctx, "telegram", "2002")).delivery == "instant"


async def test_done_saves_and_closes_the_menu(ctx: HandlerContext) -> None:
    """Done replaces the menu with the saved settings and closes the dialog."""
    d = await subscribed(ctx)
    await d.handle(inbound("/settings"))
    (menu,) = await drain(ctx)
    await d.handle(press("st:done", origin=provider_id(menu)))
    (saved,) = await drain(ctx)
    assert saved.message.plain_text == f"Saved:\n{DEFAULTS}"
    assert saved.message.edit_of == provider_id(menu)
    assert saved.message.choices == ()
    assert await ctx.repos.dialogs.get("telegram", "2002") is None


async def test_legacy_settings_buttons_enter_the_flow_again(ctx: HandlerContext) -> None:
    """A press on a settings menu sent before the flow existed still flips the setting."""
    d = await subscribed(ctx)
    await d.handle(press("st:promos", origin="old-7"))
    assert (await prefs_of(ctx, "telegram", "2002")).promotions is False
    (edited,) = await drain(ctx)
    assert edited.message.edit_of == "old-7"
    state = await ctx.repos.dialogs.get("telegram", "2002")
    assert state is not None
    assert (state.flow, state.step) == ("settings", "choose")


async def test_unknown_settings_data_changes_nothing(ctx: HandlerContext) -> None:
    """Settings data naming no toggle is answered plainly and no setting changes."""
    d = await subscribed(ctx)
    await d.handle(press("st:everything"))
    assert await texts(ctx) == ["That setting is not on the menu."]
    assert await prefs_of(ctx, "telegram", "2002") == SubscriberSettings()


async def test_settings_before_subscribing_show_the_hint(ctx: HandlerContext) -> None:
    """A private chat that never subscribed sees its settings and how to subscribe."""
    await build_dispatcher(ctx).handle(inbound("/settings"))
    assert await texts(ctx) == [
        f"Your settings:\n{DEFAULTS}\nYou are not subscribed: send /subscribe (or JOIN).\n"
        "Pick a setting to change it."
    ]


async def test_settings_in_a_group_that_is_not_subscribed(db: Database, clock: FrozenClock) -> None:
    """A group admin's /settings in a group that never subscribed says to subscribe first."""
    ctx = make_context(
        db, clock, channels=(GroupChannel(chat_admins={GROUP: {GROUP_ADMIN}}), whatsapp_like())
    )
    await build_dispatcher(ctx).handle(
        inbound("/settings", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP)
    )
    assert await texts(ctx) == [not_subscribed(EN)]
    assert await ctx.repos.dialogs.get("telegram", GROUP) is None


async def test_a_settings_press_from_a_group_member_is_refused(
    db: Database, clock: FrozenClock
) -> None:
    """In a group only an admin's press changes the group's settings; refusals are silent."""
    ctx = make_context(
        db, clock, channels=(GroupChannel(chat_admins={GROUP: {GROUP_ADMIN}}), whatsapp_like())
    )
    await ctx.repos.subscribers.subscribe("telegram", GROUP, "group", "test", START)
    d = build_dispatcher(ctx)
    await d.handle(press("st:mode", sender=MEMBER, chat=GROUP, kind=ChatKind.GROUP))
    assert (await prefs_of(ctx, "telegram", GROUP)).delivery == "instant"
    assert await drain(ctx) == []
    await d.handle(press("st:mode", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP))
    assert (await prefs_of(ctx, "telegram", GROUP)).delivery == "digest"


# --- Numbers (WhatsApp) -----------------------------------------------------------------


async def test_the_numbered_settings_menu_flips_by_number(ctx: HandlerContext) -> None:
    """SETTINGS numbers the three toggles and Done from 1; "3" flips delivery; DONE saves."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("settings"))
    (menu,) = await drain(ctx)
    numbered = [
        f"{n}. {c.label}" for n, c in enumerate(selectable_choices(menu.message.choices), 1)
    ]
    assert numbered == [
        "1. Topic alerts: on",
        "2. Promotions: on",
        "3. Delivery: instant",
        "4. Done",
    ]
    await d.handle(wa("3"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).delivery == "digest"
    await drain(ctx)
    await d.handle(wa("done"))
    assert await texts(ctx) == [
        "Saved:\nTopic alerts: on\nPromotions: on\nDelivery: one daily digest"
    ]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


async def test_a_setting_word_inside_the_menu_sets_what_it_says(ctx: HandlerContext) -> None:
    """DIGEST typed in the menu means digest even when the label reads "daily digest"."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("SETTINGS"))
    await d.handle(wa("digest"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).delivery == "digest"
    await d.handle(wa("digest"))  # the toggle's label now names "digest": still digest
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).delivery == "digest"
    await d.handle(wa("instant"))
    await d.handle(wa("instant"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).delivery == "instant"
    state = await ctx.repos.dialogs.get("whatsapp", WA_NUMBER)
    assert state is not None
    assert state.flow == "settings"


async def test_typing_settings_inside_the_menu_shows_it_afresh(ctx: HandlerContext) -> None:
    """SETTINGS typed in the open menu shows the menu again from the start."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("SETTINGS"))
    await d.handle(wa("1"))
    await drain(ctx)
    await d.handle(wa("Settings"))
    (again,) = await texts(ctx)
    assert again.startswith("Your settings:\nTopic alerts: off\n")
