"""Subscriber menus and words: board and settings toggles, their labels, and the help words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.core.messages import Choice
from bot.domain.subscribers import SubscriberSettings
from bot.i18n import Speech
from handlers.words import word_for, words_of

ALL_BOARDS = "all"
DONE = "done"
MAX_LABEL = 48
"""Telegram shows about this much of a button; the board name is cut, never the tick."""

CHECK = "✅ "
UNCHECKED = "▫️ "

JOIN_WORDS = words_of("join")
HELP_WORDS = words_of("help")
DONE_WORDS = frozenset({"DONE", "OK", "OKAY", "FINISH", "EXIT", "CLOSE", "SAVE"})


def keyword_help(t: Speech) -> str:
    """Return the words a person can send, in their language, each word as they would type it."""
    lines = [
        t._("Send one of these words:"),
        t._("{join} — get an alert for every new forum topic", join=word_for("join", t.code)),
        t._(
            "{stop} — no more messages ({start} to opt back in)",
            stop=word_for("stop", t.code),
            start=word_for("start", t.code),
        ),
        t._("BOARDS — choose which forum boards you hear about"),
        t._("DIGEST — one summary a day instead of an alert per topic"),
        t._("INSTANT — an alert for each topic as it comes"),
        t._("PROMOS OFF / PROMOS ON — announcements and offers"),
        t._("SETTINGS — show and change your choices"),
        t._("{language} — choose your language", language=word_for("language", t.code)),
        t._("{cancel} — close an open menu", cancel=word_for("cancel", t.code)),
    ]
    return "\n".join(lines)


def not_subscribed(t: Speech) -> str:
    """Return the answer to a menu of a chat that is not subscribed."""
    return t._("This chat is not subscribed. Send /subscribe first.")


SETTING_WORDS: dict[str, Callable[[SubscriberSettings], SubscriberSettings]] = {
    "DIGEST": lambda s: replace(s, delivery="digest"),
    "INSTANT": lambda s: replace(s, delivery="instant"),
    "PROMOSOFF": lambda s: replace(s, promotions=False),
    "PROMOSON": lambda s: replace(s, promotions=True),
}
"""Words that change one setting where people talk in words."""

Board = tuple[int, str]
"""A forum board: ``(board id, name)``."""


def board_choices(boards: Sequence[Board], prefs: SubscriberSettings, t: Speech) -> list[Choice]:
    """Return "All boards", one toggle per board and "Done" (bare values; the flow prefixes)."""
    choices = [Choice(_label(not prefs.boards, t._("All boards")), data=ALL_BOARDS)]
    for board_id, name in boards:
        # Board names are forum content: never translated.
        choices.append(Choice(_label(board_id in prefs.boards, name), data=str(board_id)))
    choices.append(Choice(t._("Done"), data=DONE))
    return choices


def toggle_board(prefs: SubscriberSettings, board_id: int | None) -> SubscriberSettings:
    """Switch one board on or off; ``None`` means every board (an empty filter)."""
    if board_id is None:
        return replace(prefs, boards=())
    chosen = set(prefs.boards)
    chosen.symmetric_difference_update({board_id})
    # Switching off the last chosen board leaves an empty filter, which means every board.
    return replace(prefs, boards=tuple(sorted(chosen)))


def describe_boards(boards: Sequence[Board], prefs: SubscriberSettings, t: Speech) -> str:
    """Return which boards a subscriber hears about, in words."""
    if not prefs.boards:
        return t._("all boards")
    names = dict(boards)
    return ", ".join(names.get(b) or t._("board {id}", id=b) for b in prefs.boards)


SETTING_TOGGLES = ("alerts", "promos", "mode")


def settings_choices(prefs: SubscriberSettings, t: Speech) -> list[Choice]:
    """Return one toggle per setting, each labelled with its state, and "Done"."""
    mode = t._("daily digest") if prefs.delivery == "digest" else t._("instant")
    return [
        Choice(t._("Topic alerts: {state}", state=_on(prefs.topic_alerts, t)), data="alerts"),
        Choice(t._("Promotions: {state}", state=_on(prefs.promotions, t)), data="promos"),
        Choice(t._("Delivery: {mode}", mode=mode), data="mode"),
        Choice(t._("Done"), data=DONE),
    ]


def toggle_setting(prefs: SubscriberSettings, name: str) -> SubscriberSettings | None:
    """Flip one setting by its toggle name; None for an unknown name."""
    if name == "alerts":
        return replace(prefs, topic_alerts=not prefs.topic_alerts)
    if name == "promos":
        return replace(prefs, promotions=not prefs.promotions)
    if name == "mode":
        return replace(prefs, delivery="instant" if prefs.delivery == "digest" else "digest")
    return None


def describe_settings(prefs: SubscriberSettings, t: Speech) -> str:
    """Return the settings in words, one per line."""
    if prefs.delivery == "digest":
        delivery = t._("one daily digest")
    else:
        delivery = t._("instant, one per topic")
    return "\n".join(
        [
            t._("Topic alerts: {state}", state=_on(prefs.topic_alerts, t)),
            t._("Promotions: {state}", state=_on(prefs.promotions, t)),
            t._("Delivery: {mode}", mode=delivery),
        ]
    )


def _on(flag: bool, t: Speech) -> str:
    # Translators: the state of a setting ("Promotions: on").
    return t.p_("setting", "on") if flag else t.p_("setting", "off")


def _label(chosen: bool, name: str) -> str:
    name = " ".join(name.split()) or "…"
    if len(name) > MAX_LABEL:
        name = name[: MAX_LABEL - 1] + "…"
    return (CHECK if chosen else UNCHECKED) + name
