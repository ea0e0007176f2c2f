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
from bot.i18n import N_, Speech
from handlers.context import HandlerContext
from handlers.flows import Answer, Ask, Done, Flow, Next
from handlers.subscriptions import menus

CHOOSE = "choose"


async def open_menu(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Show the menu; entered from an old menu's button, apply that press first."""
    known = await known_boards(ctx)
    t = await ctx.speech(answer.message)
    if not known:
        return Done(Ask(t._("No forum boards are known yet: every new topic reaches you.")))
    if answer.choice is None:
        prefs = await _prefs(answer, ctx) or SubscriberSettings()
        return _menu(answer, ctx, t, known, prefs, edit=False)
    return await choose(answer, data, ctx)


async def choose(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Apply the picked boards, or close the menu on Done (or any other text)."""
    known = await known_boards(ctx)
    prefs = await _prefs(answer, ctx)
    t = await ctx.speech(answer.message)
    if answer.picks:
        if prefs is None:
            return Done(Ask(menus.not_subscribed(t)))
        if menus.DONE in answer.picks:
            return _saved(known, prefs, t)
        for pick in answer.picks:
            board = _board_of(pick, known)
            if board is False:
                return Next(CHOOSE, ask=Ask(t._("That board is not on the menu any more.")))
            prefs = menus.toggle_board(prefs, board)
        await ctx.repos.subscribers.save_settings(
            answer.message.channel, answer.message.chat_id, prefs
        )
        return _menu(answer, ctx, t, known, prefs, edit=True)
    numbers = parse_numbers(answer.text)
    if numbers:
        last = len(known) + 2  # "All boards", each board, "Done"
        wrong = next((n for n in numbers if not 1 <= n <= last), None)
        if wrong is None:
            # Numbers nothing on screen numbers (the menu has buttons): show the menu again.
            return _menu(answer, ctx, t, known, prefs or SubscriberSettings(), edit=False)
        text = t._("There is no number {wrong}. Choose from 1 to {last}.", wrong=wrong, last=last)
        return Next(CHOOSE, ask=Ask(text))
    if answer.word in menus.DONE_WORDS:
        return _saved(known, prefs or SubscriberSettings(), t)
    return Done(pass_on=True)


async def known_boards(ctx: HandlerContext) -> list[menus.Board]:
    """Return the boards topics came from, by name."""
    return [(b, name) for b, name in await ctx.repos.topics.boards_seen() if b is not None]


def _menu(
    answer: Answer,
    ctx: HandlerContext,
    t: Speech,
    known: list[menus.Board],
    prefs: SubscriberSettings,
    *,
    edit: bool,
) -> Next:
    if ctx.capabilities(answer.message.channel).buttons:
        hint = t._("Tap a board to switch it on or off, then Done.")
    else:
        hint = t._("Reply with the numbers of the boards to switch on or off (e.g. 2 3), or DONE.")
    heard = t._("You hear about: {boards}.", boards=menus.describe_boards(known, prefs, t))
    choices = menus.board_choices(known, prefs, t)
    return Next(CHOOSE, ask=Ask(f"{heard}\n{hint}", choices, edit=edit))


def _saved(known: list[menus.Board], prefs: SubscriberSettings, t: Speech) -> Done:
    boards = menus.describe_boards(known, prefs, t)
    return Done(Ask(t._("Saved. You hear about: {boards}.", boards=boards), edit=True))


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
    what=N_("change this chat's subscription"),
    commands={"boards": N_("Choose the forum boards you hear about")},
    keywords=frozenset({"BOARDS"}),
    expired=N_("The board menu has closed. Ask for it again whenever you like."),
)
