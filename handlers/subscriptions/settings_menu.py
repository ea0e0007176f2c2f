"""The settings menu: topic alerts, promotions, instant or digest — one flow for every platform."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.commands import CHAT_MANAGERS
from bot.domain.subscribers import Subscriber, SubscriberSettings
from bot.i18n import N_, Speech
from handlers.context import HandlerContext
from handlers.flows import Answer, Ask, Done, Flow, Next
from handlers.subscriptions import menus
from handlers.words import word_for

CHOOSE = "choose"


async def show(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Show the chat's settings with a toggle for each; a press from an old menu applies."""
    sub = await _subscriber(answer, ctx)
    t = await ctx.speech(answer.message)
    if sub is None:
        return Done(Ask(menus.not_subscribed(t)))
    if answer.choice is not None:
        return await choose(answer, data, ctx)
    return _menu(sub, sub.settings, t, title=t._("Your settings"), edit=False)


async def choose(answer: Answer, data: dict[str, Any], ctx: HandlerContext) -> Next | Done:
    """Flip the picked setting (a setting word sets it) and show the new state; Done closes."""
    sub = await _subscriber(answer, ctx)
    t = await ctx.speech(answer.message)
    if sub is None:
        return Done(Ask(menus.not_subscribed(t)))
    set_by_word = menus.SETTING_WORDS.get(answer.word)
    if set_by_word is not None:
        # "DIGEST" means digest, even where it also names the label "Delivery: daily digest"
        # (read as a pick of that toggle it would switch to instant).
        worded = set_by_word(sub.settings)
        await ctx.repos.subscribers.save_settings(sub.channel, sub.chat_id, worded)
        return _menu(sub, worded, t, title=t._("Saved"), edit=True)
    if answer.choice == menus.DONE or (not answer.picks and answer.word in menus.DONE_WORDS):
        described = menus.describe_settings(sub.settings, t)
        return Done(Ask(t._("Saved") + f":\n{described}", edit=True))
    if answer.choice is None:
        return Done(pass_on=True)
    changed = menus.toggle_setting(sub.settings, answer.choice)
    if changed is None:
        return Next(CHOOSE, ask=Ask(t._("That setting is not on the menu.")))
    await ctx.repos.subscribers.save_settings(sub.channel, sub.chat_id, changed)
    return _menu(sub, changed, t, title=t._("Saved"), edit=True)


def _menu(sub: Subscriber, prefs: SubscriberSettings, t: Speech, *, title: str, edit: bool) -> Next:
    lines = [f"{title}:", menus.describe_settings(prefs, t)]
    if not sub.active:
        join = word_for("join", t.code)
        lines.append(t._("You are not subscribed: send /subscribe (or {join}).", join=join))
    lines.append(t._("Pick a setting to change it."))
    return Next(CHOOSE, ask=Ask("\n".join(lines), menus.settings_choices(prefs, t), edit=edit))


async def _subscriber(answer: Answer, ctx: HandlerContext) -> Subscriber | None:
    return await ctx.repos.subscribers.get(answer.message.channel, answer.message.chat_id)


SETTINGS = Flow(
    name="settings",
    prefix="st",  # the data of settings buttons sent before flows existed
    start="show",
    steps={"show": show, CHOOSE: choose},
    ttl=timedelta(minutes=30),
    who=CHAT_MANAGERS,
    what=N_("change this chat's subscription"),
    commands={"settings": N_("Topic alerts, promotions, instant alerts or a daily digest")},
    keywords=frozenset({"SETTINGS"}),
    expired=N_("The settings menu has closed. Ask for it again whenever you like."),
)
