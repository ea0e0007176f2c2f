"""Choices on platforms without buttons: numbered options, and replies that pick them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot.core.messages import Choice

__all__ = ["keyword_of", "match_choice", "parse_numbers", "pick_choices", "selectable_choices"]

MAX_NUMBER_DIGITS = 4


def selectable_choices(choices: Sequence[Choice]) -> list[Choice]:
    """Return the choices that get a number (URL choices are shown as plain links)."""
    return [c for c in choices if c.url is None]


_KEYWORD_FOLD = str.maketrans(
    {
        # Hausa hooked letters have no decomposition; phone keyboards often lack them.
        "ɓ": "b", "Ɓ": "B", "ɗ": "d", "Ɗ": "D", "ƙ": "k", "Ƙ": "K", "ƴ": "y", "Ƴ": "Y",
        "\u0671": "\u0627",  # alef wasla → alef
        "\u0629": "\u0647",  # ta marbuta → heh, swapped at word ends
        "\u0649": "\u064a",  # alef maksura → yeh
        "\u0640": None,  # tatweel only stretches a word
    }
)  # fmt: skip


def keyword_of(text: str) -> str:
    """Return the text as a keyword: letters and digits, upper case, no accents ("Èdè." → "EDE").

    Tone marks, accents, harakat and hooked letters are folded away, as phone keyboards
    produce them (or not), so ``ÈDÈ``, ``ède`` and ``EDE`` are the same word.
    """
    folded = unicodedata.normalize("NFKD", text.translate(_KEYWORD_FOLD)).upper()
    return "".join(ch for ch in folded if ch.isalnum() and not unicodedata.combining(ch))


def parse_numbers(text: str) -> list[int] | None:
    """Return the numbers in a reply like ``1, 3 4``; None when it holds anything else."""
    parts = [p for p in re.split(r"[\s,;.&+]+", text.strip()) if p]
    if not parts or not all(p.isdecimal() and len(p) <= MAX_NUMBER_DIGITS for p in parts):
        return None
    return [int(p) for p in parts]  # int() also reads Arabic-Indic digits


def match_choice(reply_text: str, choices: Sequence[Choice]) -> Choice | None:
    """Map a reply ("2", " 2. ", "٢", "umrah") back to the numbered choice it picks."""
    numbered = selectable_choices(choices)
    text = reply_text.strip().rstrip(".)").strip()
    if not text:
        return None
    if text.isdecimal():
        index = int(text)
        return numbered[index - 1] if 1 <= index <= len(numbered) else None
    wanted = _fold(text)
    exact = [c for c in numbered if _fold(c.label) == wanted]
    if exact:
        return exact[0] if len(exact) == 1 else None
    by_word = [c for c in numbered if wanted in _fold(c.label).split()]
    return by_word[0] if len(by_word) == 1 else None


def pick_choices(reply_text: str, choices: Sequence[Choice]) -> tuple[Choice, ...]:
    """Return every choice a reply picks: one ("2", "umrah") or several ("1 3"); () for none.

    A list of numbers picks only when every number is offered, so a slip never half-applies.
    """
    numbered = selectable_choices(choices)
    numbers = parse_numbers(reply_text)
    if numbers is not None and len(numbers) > 1:
        if all(1 <= n <= len(numbered) for n in numbers):
            return tuple(numbered[n - 1] for n in dict.fromkeys(numbers))
        return ()
    picked = match_choice(reply_text, choices)
    return (picked,) if picked is not None else ()


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed if _kept(ch))
    return " ".join(kept.strip(" .,!?:;").split())


def _kept(ch: str) -> bool:
    # Diacritics and tatweel never decide a match; neither do a label's ticks and emoji
    # ("✅ General News" is picked by "general news"), nor the selectors that colour them.
    if unicodedata.combining(ch) or ch == "ـ":
        return False
    return unicodedata.category(ch) != "So" and not "\ufe00" <= ch <= "\ufe0f"
