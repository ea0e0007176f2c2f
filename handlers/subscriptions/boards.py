"""The board menu: one flow, buttons on Telegram and numbers on WhatsApp.

Each pick toggles a board (or "All boards") and shows the menu again, edited in place where
the channel can edit; "Done" (or a done word) closes it. Any other text closes the menu and
goes on to the other handlers, so a keyword typed in the middle still works.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.choices import parse_numbers
from bot.core.commands import CHAT_MANAGERS
from bot.domain.subscribers import SubscriberSettings
from handlers.context import HandlerContext
from handlers.flows import Answer, Ask, Done, Flow, Next
from handlers.subscriptions import menus

CHOOSE = "choose"


async def open_menu(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Show the menu; entered from an old menu's button, apply that press first."""
    known = await known_boards(ctx)
    if not known:
        return Done(Ask("No forum boards are known yet: every new topic reaches you."))
    if answer.choice is None:
        prefs = await _prefs(answer, ctx) or SubscriberSettings()
        return _menu(answer, ctx, known, prefs, edit=False)
    return await choose(answer, data, ctx)


async def choose(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Apply the picked boards, or close the menu on Done (or any other text)."""
    known = await known_boards(ctx)
    prefs = await _prefs(answer, ctx)
    if answer.picks:
        if prefs is None:
            return Done(Ask(menus.NOT_SUBSCRIBED))
        if menus.DONE in answer.picks:
            return _saved(known, prefs)
        for pick in answer.picks:
            board = _board_of(pick, known)
            if board is False:
                return Next(CHOOSE, ask=Ask("That board is not on the menu any more."))
            prefs = menus.toggle_board(prefs, board)
        await ctx.repos.subscribers.save_settings(
            answer.message.channel, answer.message.chat_id, prefs
        )
        return _menu(answer, ctx, known, prefs, edit=True)
    numbers = parse_numbers(answer.text)
    if numbers:
        last = len(known) + 2  # "All boards", each board, "Done"
        wrong = next((n for n in numbers if not 1 <= n <= last), None)
        if wrong is None:
            # Numbers nothing on screen numbers (the menu has buttons): show the menu again.
            return _menu(answer, ctx, known, prefs or SubscriberSettings(), edit=False)
        return Next(CHOOSE, ask=Ask(f"There is no number {wrong}. Choose from 1 to {last}."))
    if answer.word in menus.DONE_WORDS:
        return _saved(known, prefs or SubscriberSettings())
    return Done(pass_on=True)


async def known_boards(ctx: HandlerContext) -> list[menus.Board]:
    """Return the boards topics came from, by name."""
    return [(b, name) for b, name in await ctx.repos.topics.boards_seen() if b is not None]


def _menu(
    answer: Answer,
    ctx: HandlerContext,
    known: list[menus.Board],
    prefs: SubscriberSettings,
    *,
    edit: bool,
) -> Next:
    if ctx.capabilities(answer.message.channel).buttons:
        hint = "Tap a board to switch it on or off, then Done."
    else:
        hint = "Reply with the numbers of the boards to switch on or off (e.g. 2 3), or DONE."
    text = f"You hear about: {menus.describe_boards(known, prefs)}.\n{hint}"
    return Next(CHOOSE, ask=Ask(text, menus.board_choices(known, prefs), edit=edit))


def _saved(known: list[menus.Board], prefs: SubscriberSettings) -> Done:
    text = f"Saved. You hear about: {menus.describe_boards(known, prefs)}."
    return Done(Ask(text, edit=True))


def _board_of(pick: str, known: list[menus.Board]) -> int | bool | None:
    """Return the board id a pick names, None for all boards, False for an unknown one."""
    if pick == menus.ALL_BOARDS:
        return None
    if pick.isascii() and pick.isdigit() and int(pick) in {b for b, _ in known}:
        return int(pick)
    return False


async def _prefs(answer: Answer, ctx: HandlerContext) -> SubscriberSettings | None:
    sub = await ctx.repos.subscribers.get(answer.message.channel, answer.message.chat_id)
    return sub.settings if sub is not None else None


BOARDS = Flow(
    name="boards",
    prefix="sb",  # the data of board buttons sent before flows existed
    start="open",
    steps={"open": open_menu, CHOOSE: choose},
    ttl=timedelta(minutes=30),
    who=CHAT_MANAGERS,
    what="change this chat's subscription",
    commands={"boards": "Choose the forum boards you hear about"},
    keywords=frozenset({"BOARDS"}),
    expired="The board menu has closed. Ask for it again whenever you like.",
)
