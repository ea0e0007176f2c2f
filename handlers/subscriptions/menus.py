"""Subscriber menus and words: board and settings toggles, their labels, and the help words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.core.messages import Choice
from bot.domain.subscribers import SubscriberSettings

ALL_BOARDS = "all"
DONE = "done"
MAX_LABEL = 48
"""Telegram shows about this much of a button; the board name is cut, never the tick."""

CHECK = "✅ "
UNCHECKED = "▫️ "

JOIN_WORDS = frozenset({"JOIN", "SUBSCRIBE"})
DONE_WORDS = frozenset({"DONE", "OK", "OKAY", "FINISH", "EXIT", "CLOSE", "SAVE"})
KEYWORD_HELP = "\n".join(
    [
        "Send one of these words:",
        "JOIN — get an alert for every new forum topic",
        "STOP — no more messages (START to opt back in)",
        "BOARDS — choose which forum boards you hear about",
        "DIGEST — one summary a day instead of an alert per topic",
        "INSTANT — an alert for each topic as it comes",
        "PROMOS OFF / PROMOS ON — announcements and offers",
        "SETTINGS — show and change your choices",
    ]
)
NOT_SUBSCRIBED = "This chat is not subscribed. Send /subscribe first."

SETTING_WORDS: dict[str, Callable[[SubscriberSettings], SubscriberSettings]] = {
    "DIGEST": lambda s: replace(s, delivery="digest"),
    "INSTANT": lambda s: replace(s, delivery="instant"),
    "PROMOSOFF": lambda s: replace(s, promotions=False),
    "PROMOSON": lambda s: replace(s, promotions=True),
}
"""Words that change one setting where people talk in words."""

Board = tuple[int, str]
"""A forum board: ``(board id, name)``."""


def board_choices(boards: Sequence[Board], prefs: SubscriberSettings) -> list[Choice]:
    """Return "All boards", one toggle per board and "Done" (bare values; the flow prefixes)."""
    choices = [Choice(_label(not prefs.boards, "All boards"), data=ALL_BOARDS)]
    for board_id, name in boards:
        choices.append(Choice(_label(board_id in prefs.boards, name), data=str(board_id)))
    choices.append(Choice("Done", data=DONE))
    return choices


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
    """Return one toggle per setting, each labelled with its state, and "Done"."""
    return [
        Choice(f"Topic alerts: {_on(prefs.topic_alerts)}", data="alerts"),
        Choice(f"Promotions: {_on(prefs.promotions)}", data="promos"),
        Choice(
            "Delivery: " + ("daily digest" if prefs.delivery == "digest" else "instant"),
            data="mode",
        ),
        Choice("Done", data=DONE),
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
