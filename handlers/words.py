"""The words people type instead of commands, in every language, folded as typed.

One table, so a test can prove that no word means two things: a word that ends a dialog
never opts anyone out, and an opt-out word never merely ends a dialog. Words are matched
after :func:`~bot.core.choices.keyword_of` (no case, tone marks, accents or hooked
letters), so ``DÚRÓ`` and ``DURO`` are the same word. The English words stay valid in every
language: people already type them.

Help texts show a person the word of their own language (:func:`word_for`), filled into the
translated sentence as a placeholder, so a translation can never break a keyword.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.choices import keyword_of

Meaning = str

WORDS: Mapping[Meaning, Mapping[str, tuple[str, ...]]] = {
    # STOP and its kin opt out everywhere, even inside a dialog (handlers.consent).
    "stop": {
        "en": ("STOP", "STOPALL", "UNSUBSCRIBE", "OPTOUT"),
        "ha": ("TSAYA", "DAINA"),
        "yo": ("DÚRÓ",),
        "ar": ("توقف", "إيقاف"),
    },
    # Lifts an opt-out.
    "start": {"en": ("START",), "ha": ("FARA",), "yo": ("BẸ̀RẸ̀",), "ar": ("ابدأ",)},
    # Subscribes to topic alerts.
    "join": {
        "en": ("JOIN", "SUBSCRIBE"),
        "ha": ("SHIGA",),
        "yo": ("DARAPỌ̀",),
        "ar": ("اشترك", "اشتراك"),
    },
    "help": {"en": ("HELP",), "ha": ("TAIMAKO",), "yo": ("ÌRÀNLỌ́WỌ́",), "ar": ("مساعدة",)},
    # Ends the open dialog. Outside a dialog only the English three keep Twilio's SMS
    # meaning of an opt-out (handlers.consent); the other languages' words then do nothing.
    "cancel": {
        "en": ("CANCEL", "END", "QUIT"),
        "ha": ("SOKE",),
        "yo": ("FAGILÉ",),
        "ar": ("إلغاء",),
    },
    "language": {"en": ("LANGUAGE",), "ha": ("HARSHE",), "yo": ("ÈDÈ",), "ar": ("لغة",)},
    # Starts an enquiry about a package; a source code may follow ("UMRAH T42").
    "enquire": {
        "en": ("ENQUIRE", "ENQUIRY", "UMRAH", "HAJJ"),
        "ha": ("TAMBAYA", "UMRA", "HAJI"),
        "yo": ("ÌBÉÈRÈ", "UMURA", "HAJJI"),
        "ar": ("استفسار", "عمرة", "حج"),
    },
    # Goes one step back inside a dialog.
    "back": {"en": ("BACK",), "ha": ("BAYA",), "yo": ("PADA",), "ar": ("رجوع",)},
}
"""Meaning → language → the words of that meaning, as written (folded when matched)."""


def english_words(meaning: Meaning) -> frozenset[str]:
    """Return the folded English words of ``meaning`` only."""
    return frozenset(keyword_of(w) for w in WORDS[meaning]["en"])


def words_of(meaning: Meaning) -> frozenset[str]:
    """Return every folded word of ``meaning``, in every language."""
    return frozenset(keyword_of(w) for words in WORDS[meaning].values() for w in words)


def word_for(meaning: Meaning, language: str) -> str:
    """Return the word to show someone who reads ``language`` (English where none)."""
    words = WORDS[meaning].get(language) or WORDS[meaning]["en"]
    return words[0]


def meaning_of(text: str) -> Meaning | None:
    """Return the meaning of a typed word, or None when it is no keyword."""
    word = keyword_of(text)
    for meaning in WORDS:
        if word in words_of(meaning):
            return meaning
    return None
