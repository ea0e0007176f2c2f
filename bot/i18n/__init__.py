"""Languages people read: gettext catalogues, per-person speech, local and Hijri dates.

Source strings are English, written at the place they are said, with named placeholders:
``t._("Subscribed to {count} boards", count=n)``. ``pybabel extract`` (``make i18n``) finds
them by the method names ``_``, ``n_`` (plurals), ``p_`` (with a context) and the marker
``N_`` (a string said later, e.g. a command's help), and the translations live in
``bot/i18n/locales/<lang>/LC_MESSAGES/minbar.po``.
"""

from __future__ import annotations

from bot.i18n.catalog import Catalogs
from bot.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES, Language, language_named
from bot.i18n.speech import Speech

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "Catalogs",
    "Language",
    "Speech",
    "language_named",
]


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; it is translated later, where it is said."""
    return msgid
