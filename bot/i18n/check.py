"""Check the catalogues against the code: every message translated, no placeholder broken.

``minbar i18n check`` prints one line per problem and fails when there is any;
``tests/i18n/test_catalogues.py`` runs the same check, so a new text without its
translations (or a translation that loses ``{title}``) fails the suite.
"""

from __future__ import annotations

import io
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from bot.i18n.catalog import DOMAIN, LOCALES
from bot.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES

KEYWORDS = {"_": None, "n_": (1, 2), "p_": ((1, "c"), 2), "N_": None}
"""The marker names ``make i18n`` passes to ``pybabel extract -k`` (babel.cfg's twin)."""
COMMENT_TAGS = ("Translators:",)
SOURCES = ("bot", "handlers", "scheduler")
PLURAL_COUNT = "n"
"""A plural form may leave out ``{n}`` (Arabic says "one topic" and "two topics" in words)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one catalogue entry."""

    language: str
    msgid: str
    what: str

    def __str__(self) -> str:
        return f"{self.language}: {self.what}: {self.msgid!r}"


def source_root() -> Path:
    """Return the folder holding the ``bot``, ``handlers`` and ``scheduler`` packages."""
    return Path(__file__).resolve().parents[2]


def extract(root: Path) -> Catalog:
    """Return the template of every marked message under the source folders of ``root``."""
    template = Catalog(domain=DOMAIN, project="Minbar")
    for folder in SOURCES:
        base = root / folder
        if not base.is_dir():
            continue
        found = extract_from_dir(
            base,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            template.add(
                message,
                None,
                [(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def template_text(template: Catalog) -> bytes:
    """Return the ``.pot`` bytes of ``template``."""
    buffer = io.BytesIO()
    write_po(buffer, template, omit_header=False, sort_output=True)
    return buffer.getvalue()


def check(template: Catalog, locales: Path = LOCALES) -> list[Problem]:
    """Return every problem of every language's catalogue against ``template``."""
    problems: list[Problem] = []
    for code in LANGUAGES:
        if code == DEFAULT_LANGUAGE:
            continue
        po = locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            problems.append(Problem(code, str(po), "no catalogue"))
            continue
        with po.open("rb") as fp:
            catalog = read_po(fp, locale=code)
        if catalog.fuzzy:
            problems.append(Problem(code, str(po), "header marked fuzzy: compile skips it"))
        problems.extend(check_catalog(code, template, catalog))
    return problems


def check_catalog(code: str, template: Catalog, catalog: Catalog) -> Iterator[Problem]:
    """Yield the problems of one catalogue: missing, untranslated, fuzzy, broken placeholders."""
    forms = get_plural(code).num_plurals
    for wanted in _messages(template):
        found = catalog.get(wanted.id, context=wanted.context)
        msgid = _msgid(wanted)
        if found is None:
            yield Problem(code, msgid, "missing")
            continue
        if found.fuzzy:
            yield Problem(code, msgid, "fuzzy")
        yield from _translation_problems(code, found, forms)


def _translation_problems(code: str, message: Message, forms: int) -> Iterator[Problem]:
    msgid = _msgid(message)
    if message.pluralizable:
        strings = tuple(message.string) if isinstance(message.string, tuple | list) else ()
        if len(strings) != forms:
            yield Problem(code, msgid, f"has {len(strings)} plural forms, the language has {forms}")
        wanted = _fields(message.id[1]) | _fields(message.id[0])
        for form in strings:
            if not form:
                yield Problem(code, msgid, "untranslated plural form")
            elif not _fields(form) <= wanted or not wanted - {PLURAL_COUNT} <= _fields(form):
                yield Problem(
                    code, msgid, f"placeholders {sorted(_fields(form))} != {sorted(wanted)}"
                )
        return
    text = message.string if isinstance(message.string, str) else ""
    if not text:
        yield Problem(code, msgid, "untranslated")
    elif _fields(text) != _fields(str(message.id)):
        have, want = sorted(_fields(text)), sorted(_fields(str(message.id)))
        yield Problem(code, msgid, f"placeholders {have} != {want}")


def _messages(catalog: Catalog) -> Iterable[Message]:
    return (m for m in catalog if m.id)


def _msgid(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, tuple | list) else message.id)


def _fields(text: str) -> frozenset[str]:
    """Return the named ``{placeholders}`` of ``text`` (a malformed one reads as ``!broken``)."""
    try:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)
    except ValueError:
        return frozenset({"!broken"})
