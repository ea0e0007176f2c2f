"""The settings menu: topic alerts, promotions, instant or digest — one flow for every platform."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.commands import CHAT_MANAGERS
from bot.domain.subscribers import Subscriber, SubscriberSettings
from handlers.context import HandlerContext
from handlers.flows import Answer, Ask, Done, Flow, Next
from handlers.subscriptions import menus

CHOOSE = "choose"


async def show(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Show the chat's settings with a toggle for each; a press from an old menu applies."""
    sub = await _subscriber(answer, ctx)
    if sub is None:
        return Done(Ask(menus.NOT_SUBSCRIBED))
    if answer.choice is not None:
        return await choose(answer, data, ctx)
    return _menu(sub, sub.settings, title="Your settings", edit=False)


async def choose(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Flip the picked setting (a setting word sets it) and show the new state; Done closes."""
    sub = await _subscriber(answer, ctx)
    if sub is None:
        return Done(Ask(menus.NOT_SUBSCRIBED))
    set_by_word = menus.SETTING_WORDS.get(answer.word)
    if set_by_word is not None:
        # "DIGEST" means digest, even where it also names the label "Delivery: daily digest"
        # (read as a pick of that toggle it would switch to instant).
        worded = set_by_word(sub.settings)
        await ctx.repos.subscribers.save_settings(sub.channel, sub.chat_id, worded)
        return _menu(sub, worded, title="Saved", edit=True)
    if answer.choice == menus.DONE or (not answer.picks and answer.word in menus.DONE_WORDS):
        return Done(Ask(f"Saved:\n{menus.describe_settings(sub.settings)}", edit=True))
    if answer.choice is None:
        return Done(pass_on=True)
    changed = menus.toggle_setting(sub.settings, answer.choice)
    if changed is None:
        return Next(CHOOSE, ask=Ask("That setting is not on the menu."))
    await ctx.repos.subscribers.save_settings(sub.channel, sub.chat_id, changed)
    return _menu(sub, changed, title="Saved", edit=True)


def _menu(sub: Subscriber, prefs: SubscriberSettings, *, title: str, edit: bool) -> Next:
    hint = "" if sub.active else "\nYou are not subscribed: send /subscribe (or JOIN)."
    text = f"{title}:\n{menus.describe_settings(prefs)}{hint}\nPick a setting to change it."
    return Next(CHOOSE, ask=Ask(text, menus.settings_choices(prefs), edit=edit))


async def _subscriber(answer: Answer, ctx: HandlerContext) -> Subscriber | None:
    return await ctx.repos.subscribers.get(answer.message.channel, answer.message.chat_id)


SETTINGS = Flow(
    name="settings",
    prefix="st",  # the data of settings buttons sent before flows existed
    start="show",
    steps={"show": show, CHOOSE: choose},
    ttl=timedelta(minutes=30),
    who=CHAT_MANAGERS,
    what="change this chat's subscription",
    commands={"settings": "Topic alerts, promotions, instant alerts or a daily digest"},
    keywords=frozenset({"SETTINGS"}),
    expired="The settings menu has closed. Ask for it again whenever you like.",
)
