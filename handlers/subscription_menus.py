"""Subscriber menus and words: board and settings toggles, buttons, numbered lists, keywords."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.core.messages import Choice
from bot.storage.repositories.subscribers import SubscriberSettings

BOARD_PREFIX = "sb"
SETTINGS_PREFIX = "st"
ALL_BOARDS = "all"
MAX_LABEL = 48
"""Telegram shows about this much of a button; the board name is cut, never the tick."""

CHECK = "✅ "
UNCHECKED = "▫️ "

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"})
JOIN_WORDS = frozenset({"JOIN", "SUBSCRIBE"})
DONE_WORDS = frozenset({"DONE", "OK", "OKAY", "FINISH", "EXIT", "CLOSE", "SAVE"})
STOPPED = "You will get no more messages. Send START to opt back in."
WHATSAPP_HELP = "\n".join(
    [
        "Send one of these words:",
        "JOIN — get an alert for every new forum topic",
        "STOP — no more messages (START to opt back in)",
        "BOARDS — choose which forum boards you hear about",
        "DIGEST — one summary a day instead of an alert per topic",
        "INSTANT — an alert for each topic as it comes",
        "PROMOS OFF / PROMOS ON — announcements and offers",
        "SETTINGS — show your choices",
    ]
)


def keyword_of(text: str) -> str:
    """Return the text as a keyword: letters and digits only, upper case ("stop." → "STOP")."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


SETTING_WORDS: dict[str, tuple[str, object] | None] = {
    "DIGEST": ("delivery", "digest"),
    "INSTANT": ("delivery", "instant"),
    "PROMOSOFF": ("promotions", False),
    "PROMOSON": ("promotions", True),
    "SETTINGS": None,
}
"""WhatsApp words that change a setting (``None``: only show the settings)."""

Board = tuple[int, str]
"""A forum board: ``(board id, name)``."""


def board_choices(boards: Sequence[Board], prefs: SubscriberSettings) -> list[Choice]:
    """Return one toggle button per board plus "All boards" (data ``sb:<id>`` / ``sb:all``)."""
    choices = [
        Choice(_label(not prefs.boards, "All boards"), data=f"{BOARD_PREFIX}:{ALL_BOARDS}"),
    ]
    for board_id, name in boards:
        chosen = board_id in prefs.boards
        choices.append(Choice(_label(chosen, name), data=f"{BOARD_PREFIX}:{board_id}"))
    return choices


def numbered_board_menu(boards: Sequence[Board], prefs: SubscriberSettings) -> str:
    """Return the WhatsApp board menu: ``0`` for all boards, then one number per board."""
    lines = [
        "Reply with the numbers of the boards to switch on or off (e.g. 1 3), "
        "0 for all boards, or DONE to finish.",
        f"0. {_label(not prefs.boards, 'All boards')}",
    ]
    lines.extend(
        f"{n}. {_label(board_id in prefs.boards, name)}"
        for n, (board_id, name) in enumerate(boards, start=1)
    )
    return "\n".join(lines)


def parse_numbers(text: str) -> list[int] | None:
    """Return the numbers in a reply like ``1, 3 4``; None when it holds anything else."""
    parts = [p for p in re.split(r"[\s,;.&+]+", text.strip()) if p]
    if not parts or not all(p.isdecimal() and len(p) <= 4 for p in parts):
        return None
    return [int(p) for p in parts]


def toggle_board(prefs: SubscriberSettings, board_id: int | None) -> SubscriberSettings:
    """Switch one board on or off; ``None`` means every board (an empty filter)."""
    if board_id is None:
        return replace(prefs, boards=())
    chosen = set(prefs.boards)
    chosen.symmetric_difference_update({board_id})
    # Switching off the last chosen board leaves an empty filter, which means every board.
    return replace(prefs, boards=tuple(sorted(chosen)))


def describe_boards(boards: Sequence[Board], prefs: SubscriberSettings) -> str:
    """Return which boards a subscriber hears about, in words."""
    if not prefs.boards:
        return "all boards"
    names = dict(boards)
    return ", ".join(names.get(b, f"board {b}") for b in prefs.boards)


SETTING_TOGGLES = ("alerts", "promos", "mode")


def settings_choices(prefs: SubscriberSettings) -> list[Choice]:
    """Return the three settings buttons, each labelled with its current state."""
    return [
        Choice(f"Topic alerts: {_on(prefs.topic_alerts)}", data=f"{SETTINGS_PREFIX}:alerts"),
        Choice(f"Promotions: {_on(prefs.promotions)}", data=f"{SETTINGS_PREFIX}:promos"),
        Choice(
            "Delivery: " + ("daily digest" if prefs.delivery == "digest" else "instant"),
            data=f"{SETTINGS_PREFIX}:mode",
        ),
    ]


def toggle_setting(prefs: SubscriberSettings, name: str) -> SubscriberSettings | None:
    """Flip one setting by its button name; None for an unknown name."""
    if name == "alerts":
        return replace(prefs, topic_alerts=not prefs.topic_alerts)
    if name == "promos":
        return replace(prefs, promotions=not prefs.promotions)
    if name == "mode":
        return replace(prefs, delivery="instant" if prefs.delivery == "digest" else "digest")
    return None


def describe_settings(prefs: SubscriberSettings) -> str:
    """Return the settings in words, one per line."""
    delivery = "one daily digest" if prefs.delivery == "digest" else "instant, one per topic"
    return "\n".join(
        [
            f"Topic alerts: {_on(prefs.topic_alerts)}",
            f"Promotions: {_on(prefs.promotions)}",
            f"Delivery: {delivery}",
        ]
    )


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _label(chosen: bool, name: str) -> str:
    name = " ".join(name.split()) or "(unnamed board)"
    if len(name) > MAX_LABEL:
        name = name[: MAX_LABEL - 1] + "…"
    return (CHECK if chosen else UNCHECKED) + name
