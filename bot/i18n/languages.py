"""The languages Minbar speaks, and how people name them."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class Language:
    """One language: its code, its own name, and its writing direction."""

    code: str
    native: str
    """The name its speakers use, shown on the language menu."""
    english: str
    rtl: bool = False


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "English"),
    "ha": Language("ha", "Hausa", "Hausa"),
    "yo": Language("yo", "Yorùbá", "Yoruba"),
    "ar": Language("ar", "العربية", "Arabic", rtl=True),
}
"""English first: it is the source language and the fallback of every catalogue."""


def language_named(code: str | None) -> str | None:
    """Return our language code for a platform's code ("ha-NG" → "ha"), or None."""
    if not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else None
