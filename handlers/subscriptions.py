"""Subscriptions: Telegram commands and buttons, WhatsApp keywords, numbered menus, STOP/START."""

from __future__ import annotations

import logging

from bot.core.channel import SupportsChatAdmins
from bot.core.commands import command
from bot.core.errors import ChannelError
from bot.core.messages import ChatKind, InboundMessage
from bot.storage.repositories.subscribers import SubscriberSettings
from handlers import subscription_menus as menus
from handlers.context import HandlerContext
from handlers.dispatch import Flow
from handlers.feature import Feature

logger = logging.getLogger(__name__)

WHATSAPP = "whatsapp"
BOARDS_FLOW = "boards"
BOARDS_TTL_SECONDS = 30 * 60


async def may_manage(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Return whether the sender may change this chat's subscription (groups: admins only)."""
    if message.chat_kind is ChatKind.PRIVATE:
        return True
    channel = ctx.channels.get(message.channel)
    if isinstance(channel, SupportsChatAdmins):
        try:
            return await channel.is_chat_admin(message.chat_id, message.sender_id)
        except ChannelError as exc:
            logger.warning("Could not check the admins of %s: %s", message.chat_id, exc)
            return False
    # Without a way to ask the platform, only the bot's own admins may act for a group.
    return ctx.admins.is_admin(message.channel, message.sender_id)


async def _refuse(message: InboundMessage, ctx: HandlerContext) -> None:
    await ctx.refuse(message, "Sorry, only this group's admins can change its subscription.")


@command("subscribe", help="Get an alert here for every new forum topic")
async def subscribe(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Subscribe this chat (a group only when its admin asks)."""
    if not await may_manage(message, ctx):
        await _refuse(message, ctx)
        return
    await _subscribe(message, ctx, f"{message.channel}:/subscribe")
    await ctx.reply(
        message,
        "Subscribed: new forum topics will come here. "
        "/boards chooses boards, /settings changes how, /unsubscribe stops.",
    )


@command("unsubscribe", help="Stop the topic alerts in this chat")
async def unsubscribe(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Unsubscribe this chat (a group only when its admin asks)."""
    if not await may_manage(message, ctx):
        await _refuse(message, ctx)
        return
    row = await ctx.subscribers.get(message.channel, message.chat_id)
    if row is None or not row.active:
        await ctx.reply(message, "This chat is not subscribed. Send /subscribe to start.")
        return
    await ctx.subscribers.unsubscribe(message.channel, message.chat_id, ctx.clock.now())
    await ctx.reply(
        message, "Unsubscribed: no more topic alerts here. /subscribe brings them back."
    )


@command("boards", help="Choose the forum boards you hear about")
async def boards(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Show the board toggles (buttons, or a numbered menu where there are none)."""
    if not await may_manage(message, ctx):
        await _refuse(message, ctx)
        return
    await _show_boards(message, ctx)


@command("settings", help="Topic alerts, promotions, instant alerts or a daily digest")
async def settings(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Show this chat's settings with a toggle button for each."""
    if not await may_manage(message, ctx):
        await _refuse(message, ctx)
        return
    row = await ctx.subscribers.get(message.channel, message.chat_id)
    if row is None:
        await ctx.reply(message, "This chat is not subscribed. Send /subscribe first.")
        return
    prefs = SubscriberSettings.from_json(row.settings)
    await _answer_settings(message, ctx, prefs, title="Your settings")


async def on_board_button(message: InboundMessage, rest: str, ctx: HandlerContext) -> None:
    """Toggle one board (``sb:<id>``) or every board (``sb:all``) and show the new state."""
    if not await may_manage(message, ctx):
        await _refuse(message, ctx)
        return
    board_id: int | None
    if rest == menus.ALL_BOARDS:
        board_id = None
    elif rest.isascii() and rest.lstrip("-").isdigit():
        board_id = int(rest)
    else:
        logger.info("Ignored board button %r", rest[:64])
        return
    prefs = await _prefs(message, ctx)
    if prefs is None:
        await ctx.reply(message, "This chat is not subscribed. Send /subscribe first.")
        return
    prefs = menus.toggle_board(prefs, board_id)
    await _save(message, ctx, prefs)
    known = await _boards(ctx)
    await ctx.reply(
        message,
        f"You hear about: {menus.describe_boards(known, prefs)}.",
        choices=menus.board_choices(known, prefs),
    )


async def on_settings_button(message: InboundMessage, rest: str, ctx: HandlerContext) -> None:
    """Flip one setting (``st:alerts``, ``st:promos``, ``st:mode``) and show the new state."""
    if not await may_manage(message, ctx):
        await _refuse(message, ctx)
        return
    prefs = await _prefs(message, ctx)
    if prefs is None:
        await ctx.reply(message, "This chat is not subscribed. Send /subscribe first.")
        return
    changed = menus.toggle_setting(prefs, rest)
    if changed is None:
        logger.info("Ignored settings button %r", rest[:64])
        return
    await _save(message, ctx, changed)
    await _answer_settings(message, ctx, changed, title="Saved")


async def whatsapp_opt_keyword(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Handle STOP and START before anything else, even in the middle of another dialog."""
    if message.channel != WHATSAPP:
        return False
    word = menus.keyword_of(message.text)
    if word in menus.STOP_WORDS or word == "START":
        return await whatsapp_keyword(message, ctx)
    return False


async def whatsapp_keyword(message: InboundMessage, ctx: HandlerContext) -> bool:
    """Handle JOIN, STOP (and its variants), START, BOARDS, HELP and the settings words."""
    if message.channel != WHATSAPP:
        return False  # on Telegram these words are ordinary text
    word = menus.keyword_of(message.text)
    now = ctx.clock.now()
    if word in menus.STOP_WORDS:
        await ctx.subscribers.opt_out(message.channel, message.chat_id, now)
        await ctx.dialogs.clear(message.channel, message.chat_id)
        logger.info("Opt-out by %s:%s (%s)", message.channel, message.chat_id, word)
        await ctx.reply(message, menus.STOPPED)
    elif word in menus.JOIN_WORDS:
        await _subscribe(message, ctx, f"{WHATSAPP}:JOIN")
        await ctx.reply(
            message,
            "Subscribed: you will get new forum topics here. "
            "Send BOARDS to choose boards, HELP for the options, STOP to opt out.",
        )
    elif word == "START":
        await _start(message, ctx)
    elif word == "BOARDS":
        await _show_boards(message, ctx)
    elif word == "HELP":
        await ctx.reply(message, menus.WHATSAPP_HELP)
    elif word in menus.SETTING_WORDS:
        await _whatsapp_setting(message, ctx, word)
    else:
        return False
    return True


async def boards_step(
    message: InboundMessage, step: str, data: dict[str, object], ctx: HandlerContext
) -> None:
    """Apply a numbered reply to the open board menu; any other text closes the menu."""
    numbers = menus.parse_numbers(message.text)
    if numbers is None:
        await ctx.dialogs.clear(message.channel, message.chat_id)
        # STOP and the other keywords must work in the middle of a menu.
        if menus.keyword_of(message.text) not in menus.DONE_WORDS and await whatsapp_keyword(
            message, ctx
        ):
            return
        prefs = await _prefs(message, ctx) or SubscriberSettings()
        known = await _boards(ctx)
        await ctx.reply(
            message,
            f"Saved. You hear about: {menus.describe_boards(known, prefs)}. "
            "Send BOARDS to change it.",
        )
        return
    raw = data.get("options")
    options = [o for o in raw if isinstance(o, int)] if isinstance(raw, list) else []
    wrong = [n for n in numbers if n > len(options)]
    if wrong:
        await ctx.reply(message, f"There is no number {wrong[0]}. Choose from 0 to {len(options)}.")
        return
    prefs = await _prefs(message, ctx) or SubscriberSettings()
    for n in numbers:
        prefs = menus.toggle_board(prefs, None if n == 0 else options[n - 1])
    await _save(message, ctx, prefs)
    await _show_boards(message, ctx, prefs=prefs)


async def _show_boards(
    message: InboundMessage, ctx: HandlerContext, *, prefs: SubscriberSettings | None = None
) -> None:
    known = await _boards(ctx)
    if not known:
        await ctx.reply(message, "No forum boards are known yet: every new topic reaches you.")
        return
    prefs = prefs or await _prefs(message, ctx) or SubscriberSettings()
    if ctx.has_buttons(message.channel):
        await ctx.reply(
            message,
            "Tap a board to switch it on or off:",
            choices=menus.board_choices(known, prefs),
        )
        return
    await ctx.dialogs.save(
        message.channel,
        message.chat_id,
        flow=BOARDS_FLOW,
        step="choose",
        data={"options": [board_id for board_id, _ in known]},
        ttl_seconds=BOARDS_TTL_SECONDS,
    )
    await ctx.reply(message, menus.numbered_board_menu(known, prefs))


async def _start(message: InboundMessage, ctx: HandlerContext) -> None:
    row = await ctx.subscribers.get(message.channel, message.chat_id)
    had_subscribed = row is not None and row.opt_in_at is not None
    await ctx.subscribers.opt_in(
        message.channel, message.chat_id, ctx.clock.now(), source=f"{message.channel}:START"
    )
    if had_subscribed:
        # START after STOP means "as before": the alerts they had asked for resume.
        await _subscribe(message, ctx, f"{WHATSAPP}:START")
        await ctx.reply(message, "Welcome back: forum alerts will come here again.")
    else:
        await ctx.reply(message, "You can get messages again. Send JOIN for new forum topics.")


async def _whatsapp_setting(message: InboundMessage, ctx: HandlerContext, word: str) -> None:
    prefs = await _prefs(message, ctx) or SubscriberSettings()
    change = menus.SETTING_WORDS[word]
    if change is not None:
        name, value = change
        prefs = SubscriberSettings.from_json({**prefs.to_json(), name: value})
        await _save(message, ctx, prefs)
    row = await ctx.subscribers.get(message.channel, message.chat_id)
    hint = "" if row is not None and row.active else "\nYou are not subscribed: send JOIN."
    await ctx.reply(message, menus.describe_settings(prefs) + hint)


async def _answer_settings(
    message: InboundMessage, ctx: HandlerContext, prefs: SubscriberSettings, *, title: str
) -> None:
    await ctx.reply(
        message,
        f"{title}:\n{menus.describe_settings(prefs)}\nTap a setting to change it.",
        choices=menus.settings_choices(prefs),
    )


async def _subscribe(message: InboundMessage, ctx: HandlerContext, source: str) -> None:
    await ctx.subscribers.subscribe(
        message.channel, message.chat_id, message.chat_kind.value, source, ctx.clock.now()
    )
    logger.info("Subscribed %s:%s (%s)", message.channel, message.chat_id, source)


async def _prefs(message: InboundMessage, ctx: HandlerContext) -> SubscriberSettings | None:
    row = await ctx.subscribers.get(message.channel, message.chat_id)
    return None if row is None else SubscriberSettings.from_json(row.settings)


async def _save(message: InboundMessage, ctx: HandlerContext, prefs: SubscriberSettings) -> None:
    await ctx.subscribers.update_settings(message.channel, message.chat_id, **prefs.to_json())


async def _boards(ctx: HandlerContext) -> list[menus.Board]:
    return [(b, name) for b, name in await ctx.topics.boards_seen() if b is not None]


FEATURE = Feature(
    priority_keywords=[whatsapp_opt_keyword],
    keywords=[whatsapp_keyword],
    flows=[Flow(BOARDS_FLOW, boards_step)],
    choices={menus.BOARD_PREFIX: on_board_button, menus.SETTINGS_PREFIX: on_settings_button},
)
