"""Choices on platforms without buttons: numbered options, and replies that pick one."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.core.messages import Choice

__all__ = ["match_choice", "selectable_choices"]


def selectable_choices(choices: Sequence[Choice]) -> list[Choice]:
    """Return the choices that get a number (URL choices are shown as plain links)."""
    return [c for c in choices if c.url is None]


def match_choice(reply_text: str, choices: Sequence[Choice]) -> Choice | None:
    """Map a reply ("2", " 2. ", "٢", "umrah") back to the numbered choice it picks."""
    numbered = selectable_choices(choices)
    text = reply_text.strip().rstrip(".)").strip()
    if not text:
        return None
    if text.isdecimal():
        index = int(text)  # int() also reads Arabic-Indic digits
        return numbered[index - 1] if 1 <= index <= len(numbered) else None
    wanted = _fold(text)
    exact = [c for c in numbered if _fold(c.label) == wanted]
    if exact:
        return exact[0] if len(exact) == 1 else None
    by_word = [c for c in numbered if wanted in _fold(c.label).split()]
    return by_word[0] if len(by_word) == 1 else None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch != "ـ")
    return " ".join(kept.strip(" .,!?:;").split())
