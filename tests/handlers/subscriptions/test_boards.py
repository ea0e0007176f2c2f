"""The board menu: one flow (BOARDS), buttons on Telegram, typed numbers on WhatsApp."""

from __future__ import annotations

from bot.core.choices import selectable_choices
from bot.core.clock import FrozenClock
from bot.core.messages import ChatKind
from bot.domain.subscribers import SubscriberSettings
from bot.storage.db import Database
from handlers import build_dispatcher
from handlers.consent import STOPPED
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.subscriptions import FEATURE
from handlers.subscriptions.boards import BOARDS
from handlers.subscriptions.menus import keyword_help, not_subscribed
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
from tests.handlers.subscriptions.conftest import GROUP, GROUP_ADMIN, MEMBER, prefs_of, seed_boards

TAP_HINT = "Tap a board to switch it on or off, then Done."
TYPE_HINT = "Reply with the numbers of the boards to switch on or off (e.g. 2 3), or DONE."


async def subscribed(ctx: HandlerContext, channel: str = "telegram") -> Dispatcher:
    """Seed two boards, subscribe the test chat on ``channel`` and return the dispatcher."""
    await seed_boards(ctx)
    d = build_dispatcher(ctx)
    await d.handle(inbound("/subscribe") if channel == "telegram" else wa("JOIN"))
    await drain(ctx)
    return d


def test_one_flow_declares_both_input_paths() -> None:
    """The board menu is one declared flow with a command, a word and the old button prefix."""
    assert [flow.name for flow in FEATURE.flows].count("boards") == 1
    assert (BOARDS.prefix, dict(BOARDS.commands), BOARDS.keywords) == (
        "sb",
        {"boards": "Choose the forum boards you hear about"},
        frozenset({"BOARDS"}),
    )


# --- Buttons (Telegram) -----------------------------------------------------------------


async def test_the_button_menu_lists_all_boards_each_board_and_done(ctx: HandlerContext) -> None:
    """/boards shows "All boards" first, one toggle per board by name, then Done."""
    d = await subscribed(ctx)
    await d.handle(inbound("/boards"))
    (menu,) = await drain(ctx)
    assert menu.message.plain_text == f"You hear about: all boards.\n{TAP_HINT}"
    assert [(c.label, c.data) for c in menu.message.choices] == [
        ("✅ All boards", "sb:all"),
        ("▫️ General News", "sb:2"),
        ("▫️ Umrah & Hajj Travel", "sb:4"),
        ("Done", "sb:done"),
    ]
    assert all(len((c.data or "").encode()) <= 64 for c in menu.message.choices)
    assert menu.message.edit_of is None


async def test_a_press_toggles_and_edits_the_menu_in_place(ctx: HandlerContext) -> None:
    """Each press saves the toggle and replaces the pressed menu (edit_of = its platform id)."""
    d = await subscribed(ctx)
    await d.handle(inbound("/boards"))
    (menu,) = await drain(ctx)
    await d.handle(press("sb:4", origin=provider_id(menu)))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == (4,)
    (edited,) = await drain(ctx)
    assert edited.message.edit_of == provider_id(menu)
    assert edited.message.plain_text == f"You hear about: Umrah & Hajj Travel.\n{TAP_HINT}"
    assert [c.label for c in edited.message.choices] == [
        "▫️ All boards",
        "▫️ General News",
        "✅ Umrah & Hajj Travel",
        "Done",
    ]
    await d.handle(press("sb:2", origin=provider_id(menu)))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == (2, 4)
    await d.handle(press("sb:all", origin=provider_id(menu)))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == ()
    assert [e.message.edit_of for e in await drain(ctx)] == [provider_id(menu)] * 2


async def test_done_saves_edits_the_menu_and_closes_it(ctx: HandlerContext) -> None:
    """Pressing Done replaces the menu with the saved choice and closes the dialog."""
    d = await subscribed(ctx)
    await d.handle(inbound("/boards"))
    (menu,) = await drain(ctx)
    await d.handle(press("sb:2", origin=provider_id(menu)))
    await drain(ctx)
    await d.handle(press("sb:done", origin=provider_id(menu)))
    (saved,) = await drain(ctx)
    assert saved.message.plain_text == "Saved. You hear about: General News."
    assert saved.message.choices == ()
    assert saved.message.edit_of == provider_id(menu)
    assert await ctx.repos.dialogs.get("telegram", "2002") is None


async def test_typing_done_on_telegram_edits_the_menu_it_remembers(ctx: HandlerContext) -> None:
    """A typed DONE has no pressed message: the menu's stored prompt is the one edited."""
    d = await subscribed(ctx)
    await d.handle(inbound("/boards"))
    (menu,) = await drain(ctx)
    await d.handle(inbound("done"))
    (saved,) = await drain(ctx)
    assert saved.message.plain_text == "Saved. You hear about: all boards."
    assert saved.message.edit_of == provider_id(menu)


async def test_legacy_board_buttons_enter_the_flow_again(ctx: HandlerContext) -> None:
    """A press on a menu sent before the flow existed (no dialog open) still toggles, in place."""
    d = await subscribed(ctx)
    assert await ctx.repos.dialogs.get("telegram", "2002") is None
    await d.handle(press("sb:4", origin="old-menu-17"))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == (4,)
    (edited,) = await drain(ctx)
    assert edited.message.edit_of == "old-menu-17"
    state = await ctx.repos.dialogs.get("telegram", "2002")
    assert state is not None
    assert (state.flow, state.step) == ("boards", "choose")


async def test_a_board_press_after_the_menu_expired_still_applies(
    ctx: HandlerContext, clock: FrozenClock
) -> None:
    """After the menu's time to live a press re-enters the flow silently (no expired note)."""
    d = await subscribed(ctx)
    await d.handle(inbound("/boards"))
    (menu,) = await drain(ctx)
    clock.advance(BOARDS.ttl.total_seconds())
    await d.handle(press("sb:2", origin=provider_id(menu)))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == (2,)
    (edited,) = await drain(ctx)
    assert edited.message.plain_text == f"You hear about: General News.\n{TAP_HINT}"


async def test_unknown_board_data_changes_nothing(ctx: HandlerContext) -> None:
    """Board data naming no known board is answered plainly and no setting changes."""
    d = await subscribed(ctx)
    await d.handle(press("sb:drop table"))
    await d.handle(press("sb:99"))
    assert await texts(ctx) == ["That board is not on the menu any more."] * 2
    assert await prefs_of(ctx, "telegram", "2002") == SubscriberSettings()


async def test_a_press_in_a_group_that_is_not_subscribed(db: Database, clock: FrozenClock) -> None:
    """A group admin's board press in a group that never subscribed says to subscribe first."""
    ctx = make_context(
        db, clock, channels=(GroupChannel(chat_admins={GROUP: {GROUP_ADMIN}}), whatsapp_like())
    )
    await seed_boards(ctx)
    await build_dispatcher(ctx).handle(
        press("sb:4", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP)
    )
    assert await texts(ctx) == [not_subscribed(EN)]
    assert await ctx.repos.subscribers.get("telegram", GROUP) is None
    assert await ctx.repos.dialogs.get("telegram", GROUP) is None


async def test_typed_numbers_on_telegram_show_the_menu_again(ctx: HandlerContext) -> None:
    """Where the menu has buttons a typed "2" toggles nothing and gets the menu, not an error."""
    d = await subscribed(ctx)
    await d.handle(inbound("/boards"))
    await drain(ctx)
    await d.handle(inbound("2"))
    (again,) = await drain(ctx)
    assert again.message.plain_text == f"You hear about: all boards.\n{TAP_HINT}"
    assert [c.data for c in again.message.choices] == ["sb:all", "sb:2", "sb:4", "sb:done"]
    assert (await prefs_of(ctx, "telegram", "2002")).boards == ()


async def test_a_board_press_from_a_group_member_is_refused(
    db: Database, clock: FrozenClock
) -> None:
    """In a group only an admin's board press changes the group's boards; refusals are silent."""
    ctx = make_context(
        db, clock, channels=(GroupChannel(chat_admins={GROUP: {GROUP_ADMIN}}), whatsapp_like())
    )
    await seed_boards(ctx)
    await ctx.repos.subscribers.subscribe("telegram", GROUP, "group", "test", START)
    d = build_dispatcher(ctx)
    await d.handle(press("sb:4", sender=MEMBER, chat=GROUP, kind=ChatKind.GROUP))
    assert (await prefs_of(ctx, "telegram", GROUP)).boards == ()
    assert await drain(ctx) == []
    await d.handle(press("sb:4", sender=GROUP_ADMIN, chat=GROUP, kind=ChatKind.GROUP))
    assert (await prefs_of(ctx, "telegram", GROUP)).boards == (4,)


# --- Numbers (WhatsApp) -----------------------------------------------------------------


async def test_the_numbered_menu_starts_at_one_with_all_boards_and_ends_with_done(
    ctx: HandlerContext,
) -> None:
    """BOARDS numbers "All boards" 1, each board next, Done last; "1" picks "All boards"."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("Boards"))
    (menu,) = await drain(ctx)
    assert menu.message.plain_text == f"You hear about: all boards.\n{TYPE_HINT}"
    numbered = [
        f"{n}. {c.label}" for n, c in enumerate(selectable_choices(menu.message.choices), 1)
    ]
    assert numbered == [
        "1. ✅ All boards",
        "2. ▫️ General News",
        "3. ▫️ Umrah & Hajj Travel",
        "4. Done",
    ]
    await d.handle(wa("3"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (4,)
    await d.handle(wa("1"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == ()


async def test_several_numbers_toggle_boards_and_done_saves(ctx: HandlerContext) -> None:
    """ "2 3" toggles both boards in one reply; "1, 2" toggles two more; DONE saves and closes."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    await d.handle(wa("2 3"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (2, 4)
    (shown,) = await drain(ctx)
    assert shown.message.plain_text == (
        f"You hear about: General News, Umrah & Hajj Travel.\n{TYPE_HINT}"
    )
    assert shown.message.edit_of is None
    await d.handle(wa("1, 2"))  # all boards, then General News on its own
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (2,)
    await drain(ctx)
    await d.handle(wa("DONE"))
    assert await texts(ctx) == ["Saved. You hear about: General News."]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


async def test_a_done_word_saves_too(ctx: HandlerContext) -> None:
    """OK (a done word that labels no option) closes the menu like Done."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    await d.handle(wa("ok"))
    assert await texts(ctx) == ["Saved. You hear about: all boards."]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


async def test_a_number_off_the_menu_names_the_range(ctx: HandlerContext) -> None:
    """A number the menu does not show is named, with the range there is; nothing toggles."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    await d.handle(wa("7"))
    await d.handle(wa("2 9"))
    assert await texts(ctx) == [
        "There is no number 7. Choose from 1 to 4.",
        "There is no number 9. Choose from 1 to 4.",
    ]
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == ()
    await d.handle(wa("2"))  # the menu is still open
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (2,)


async def test_typing_boards_inside_the_menu_shows_it_afresh(ctx: HandlerContext) -> None:
    """BOARDS typed in the open menu shows it again; it never reads as "All boards"."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await d.handle(wa("3"))
    await drain(ctx)
    await d.handle(wa("boards"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (4,)
    assert await texts(ctx) == [f"You hear about: Umrah & Hajj Travel.\n{TYPE_HINT}"]


async def test_a_board_name_picks_that_board(ctx: HandlerContext) -> None:
    """A board's name (without its tick) or one word of it toggles it, as its number would."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await d.handle(wa("General News"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (2,)
    await d.handle(wa("umrah"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (2, 4)


async def test_another_word_closes_the_menu_and_is_answered(ctx: HandlerContext) -> None:
    """HELP typed in the middle of the menu closes it and gets the keyword list."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    await d.handle(wa("help"))
    assert await texts(ctx) == [keyword_help(EN)]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


async def test_stop_works_inside_the_board_menu(ctx: HandlerContext) -> None:
    """STOP in the middle of the board menu still opts out at once and closes the menu."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    await d.handle(wa("Stop"))
    row = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert row is not None
    assert row.opted_out_at == START
    assert await texts(ctx) == [EN._(STOPPED, start="START")]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


async def test_a_superscript_digit_in_the_board_menu_is_not_a_crash(ctx: HandlerContext) -> None:
    """ "²" looks like a digit but is not a number: the menu answers instead of failing."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    await d.handle(wa("²"))
    assert len(await texts(ctx)) == 1
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == ()


async def test_the_expired_menu_says_so_once(ctx: HandlerContext, clock: FrozenClock) -> None:
    """A number typed after the board menu timed out gets its note once and toggles nothing."""
    d = await subscribed(ctx, "whatsapp")
    await d.handle(wa("BOARDS"))
    await drain(ctx)
    clock.advance(BOARDS.ttl.total_seconds())
    await d.handle(wa("2"))
    await d.handle(wa("2"))
    pointer = "Salaam! I am the Attaqwaa bot. Send HELP to see what I can do."
    assert await texts(ctx) == [BOARDS.expired, pointer]
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == ()


async def test_boards_chosen_before_joining_are_kept_for_later(ctx: HandlerContext) -> None:
    """Someone who has not joined may choose boards; JOIN then keeps that choice."""
    await seed_boards(ctx)
    d = build_dispatcher(ctx)
    await d.handle(wa("BOARDS"))
    await d.handle(wa("2"))
    await d.handle(wa("done"))
    row = await ctx.repos.subscribers.get("whatsapp", WA_NUMBER)
    assert row is not None
    assert (row.active, row.settings.boards) == (False, (2,))
    await d.handle(wa("JOIN"))
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (2,)


async def test_boards_without_known_boards(ctx: HandlerContext) -> None:
    """Before any topic was seen the board menu explains that every topic comes through."""
    await build_dispatcher(ctx).handle(wa("BOARDS"))
    assert await texts(ctx) == ["No forum boards are known yet: every new topic reaches you."]
    assert await ctx.repos.dialogs.get("whatsapp", WA_NUMBER) is None


# --- One flow, two input paths ----------------------------------------------------------


async def test_the_same_flow_serves_presses_and_numbers(ctx: HandlerContext) -> None:
    """A Telegram press and a WhatsApp number run the one BOARDS flow to the same state."""
    await seed_boards(ctx)
    d = build_dispatcher(ctx)
    await d.handle(inbound("/subscribe"))
    await d.handle(wa("JOIN"))
    await d.handle(inbound("/boards"))
    await d.handle(wa("BOARDS"))
    telegram = await ctx.repos.dialogs.get("telegram", "2002")
    whatsapp = await ctx.repos.dialogs.get("whatsapp", WA_NUMBER)
    assert telegram is not None
    assert whatsapp is not None
    assert (telegram.flow, telegram.step) == (whatsapp.flow, whatsapp.step) == ("boards", "choose")
    assert telegram.options == whatsapp.options
    assert [c.data for c in whatsapp.options] == ["sb:all", "sb:2", "sb:4", "sb:done"]
    await d.handle(press("sb:4"))
    await d.handle(wa("3"))
    assert (await prefs_of(ctx, "telegram", "2002")).boards == (4,)
    assert (await prefs_of(ctx, "whatsapp", WA_NUMBER)).boards == (4,)
    menus = [item.message for item in await drain(ctx)][-2:]
    assert menus[0].choices == menus[1].choices
