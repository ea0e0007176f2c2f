"""What a handler says, in one person's language: translated texts, numbers and dates.

A :class:`Speech` is cheap (a language, its translations and the date settings); handlers
get one per chat from the context. Placeholders are named (``{title}``) and filled here, so a
translation may reorder them; a translation that breaks one falls back to the English text
rather than failing the reply (``minbar i18n check`` and the catalogue test catch it first).
"""

from __future__ import annotations

import gettext
import logging
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from bot.i18n.hijri import HijriDate, to_hijri
from bot.i18n.languages import LANGUAGES, Language

logger = logging.getLogger(__name__)

FSI, PDI = "\u2068", "\u2069"
"""Unicode first-strong isolate and its closing mark: a Latin title inside an Arabic line
keeps its own order and leaves the line's direction alone (UAX #9, rule P2)."""
DAY_FORMAT = "EEE d MMM y"
TIME_FORMAT = "HH:mm"


class Speech:
    """Texts and dates in one language."""

    def __init__(
        self,
        language: Language,
        translations: gettext.NullTranslations,
        *,
        tz: ZoneInfo,
        hijri_dates: bool = False,
        hijri_offset_days: int = 0,
    ) -> None:
        self.language = language
        self._tr = translations
        self.tz = tz
        self.hijri_dates = hijri_dates
        self.hijri_offset_days = hijri_offset_days

    @property
    def code(self) -> str:
        """Return the language code (``en``, ``ha``, ``yo``, ``ar``)."""
        return self.language.code

    @property
    def rtl(self) -> bool:
        """Return whether the language is written right to left."""
        return self.language.rtl

    def _(self, msgid: str, /, **params: object) -> str:
        """Return ``msgid`` translated, its ``{placeholders}`` filled from ``params``."""
        return self._fill(self._tr.gettext(msgid), msgid, params)

    def n_(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """Return the plural form for ``n`` (CLDR rules of the language); ``{n}`` is ``n``."""
        params.setdefault("n", n)
        fallback = singular if n == 1 else plural
        return self._fill(self._tr.ngettext(singular, plural, n), fallback, params)

    def p_(self, context: str, msgid: str, /, **params: object) -> str:
        """Return ``msgid`` as translated in ``context`` (one English word, two meanings)."""
        return self._fill(self._tr.pgettext(context, msgid), msgid, params)

    def isolate(self, text: str) -> str:
        """Return ``text`` isolated from the surrounding direction in a right-to-left language.

        Only text holding left-to-right letters is wrapped: an Arabic value needs no isolate.
        """
        if not self.rtl or not any(unicodedata.bidirectional(ch) == "L" for ch in text):
            return text
        return f"{FSI}{text}{PDI}"

    def day(self, moment: date | datetime) -> str:
        """Return a day as people read it: ``Fri 6 Mar 2026`` (and the Hijri date if shown)."""
        local = self._local(moment)
        text = format_date(local, DAY_FORMAT, locale=self.code)
        hijri = self.hijri(local) if self.hijri_dates else None
        return f"{text} · {hijri}" if hijri else text

    def moment(self, moment: datetime) -> str:
        """Return a local date and time: ``Fri 6 Mar 2026, 17:05`` (Hijri date after it)."""
        local = moment.astimezone(self.tz)
        day = format_date(local, DAY_FORMAT, locale=self.code)
        # Translators: a date and a time of day; Arabic writes its own comma.
        text = self._("{date}, {time}", date=day, time=self.clock(local))
        hijri = self.hijri(local) if self.hijri_dates else None
        return f"{text} · {hijri}" if hijri else text

    def clock(self, moment: datetime) -> str:
        """Return the local time of day, 24-hour: ``17:05``."""
        return format_time(moment.astimezone(self.tz), TIME_FORMAT, locale=self.code)

    def hijri(self, day: date) -> str | None:
        """Return ``17 Ramadan 1447`` in this language, or None outside the tables."""
        found = to_hijri(day, self.hijri_offset_days)
        if found is None:
            return None
        return self._(
            "{day} {month} {year}", day=found.day, month=self.hijri_month(found), year=found.year
        )

    def hijri_month(self, hijri: HijriDate) -> str:
        """Return the name of the Hijri month of ``hijri`` in this language."""
        return _hijri_months(self)[hijri.month - 1]

    def _local(self, moment: date | datetime) -> date:
        return moment.astimezone(self.tz).date() if isinstance(moment, datetime) else moment

    def _fill(self, text: str, fallback: str, params: Mapping[str, object]) -> str:
        if not params:
            return text
        values = {k: self._value(v) for k, v in params.items()}
        try:
            return text.format_map(values)
        except (KeyError, IndexError, ValueError):
            logger.error("Catalogue %s breaks the placeholders of %r", self.code, fallback)
            return fallback.format_map(values)

    def _value(self, value: object) -> object:
        return self.isolate(value) if isinstance(value, str) else value


def _hijri_months(t: Speech) -> tuple[str, ...]:
    # Hausa and Yoruba names are in no CLDR or Hijri library: the catalogues carry all twelve.
    return (
        t.p_("hijri month", "Muharram"),
        t.p_("hijri month", "Safar"),
        t.p_("hijri month", "Rabi al-Awwal"),
        t.p_("hijri month", "Rabi al-Thani"),
        t.p_("hijri month", "Jumada al-Awwal"),
        t.p_("hijri month", "Jumada al-Thani"),
        t.p_("hijri month", "Rajab"),
        t.p_("hijri month", "Shaban"),
        t.p_("hijri month", "Ramadan"),
        t.p_("hijri month", "Shawwal"),
        t.p_("hijri month", "Dhu al-Qadah"),
        t.p_("hijri month", "Dhu al-Hijjah"),
    )


def speech_in(
    code: str,
    translations: gettext.NullTranslations,
    tz: ZoneInfo,
    *,
    hijri_dates: bool = False,
    hijri_offset_days: int = 0,
) -> Speech:
    """Return the speech of ``code`` (English for a code we do not speak)."""
    language = LANGUAGES.get(code, LANGUAGES["en"])
    return Speech(
        language,
        translations,
        tz=tz,
        hijri_dates=hijri_dates,
        hijri_offset_days=hijri_offset_days,
    )


def english(tz: ZoneInfo | None = None) -> Speech:
    """Return the source language itself: what is stored and logged, whoever reads it later."""
    return speech_in("en", gettext.NullTranslations(), tz or ZoneInfo("UTC"))
