"""Load the compiled catalogues, compiling a ``.po`` in memory where no fresh ``.mo`` exists.

``make i18n`` and the Dockerfile compile the ``.mo`` files; a checkout that has not run it
(the ``.mo`` files are build products, not committed) still speaks every language, because
the ``.po`` is compiled on load. English is the source: it has no catalogue.
"""

from __future__ import annotations

import gettext
import io
import logging
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES

logger = logging.getLogger(__name__)

DOMAIN = "minbar"
LOCALES = Path(__file__).with_name("locales")


class Catalogs:
    """The translations of every language, loaded once at start."""

    def __init__(self, root: Path = LOCALES, languages: tuple[str, ...] = tuple(LANGUAGES)) -> None:
        self._root = root
        self._by_language: dict[str, gettext.NullTranslations] = {}
        for code in languages:
            self._by_language[code] = self._load(code)

    def translations(self, language: str) -> gettext.NullTranslations:
        """Return the translations of ``language`` (English for an unknown one)."""
        return self._by_language.get(language) or self._by_language.get(
            DEFAULT_LANGUAGE, gettext.NullTranslations()
        )

    def _load(self, code: str) -> gettext.NullTranslations:
        if code == DEFAULT_LANGUAGE:
            return gettext.NullTranslations()
        folder = self._root / code / "LC_MESSAGES"
        po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as fp:
                return Translations(fp, domain=DOMAIN)
        if not po.exists():
            logger.error("No catalogue for language %r: its texts will be English", code)
            return gettext.NullTranslations()
        return Translations(io.BytesIO(compile_po(po)), domain=DOMAIN)


def compile_po(po: Path) -> bytes:
    """Return the ``.mo`` bytes of one ``.po`` file (fuzzy entries left out, as msgfmt does)."""
    with po.open("rb") as fp:
        catalog = read_po(fp)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


@cache
def shared_catalogs() -> Catalogs:
    """Return the package's catalogues, read once per process (they never change while running)."""
    return Catalogs()
