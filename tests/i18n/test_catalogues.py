"""The shipped catalogues against the code: complete, placeholder-consistent, loadable."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from bot.core.commands import CommandRegistry
from bot.i18n import LANGUAGES
from bot.i18n.catalog import LOCALES, Catalogs, compile_po
from bot.i18n.check import check, check_catalog, extract, source_root
from bot.i18n.speech import speech_in
from handlers import FEATURES, register_commands
from handlers.context import HandlerContext
from handlers.settings import LAGOS

TRANSLATED = [code for code in LANGUAGES if code != "en"]


@pytest.fixture(scope="module")
def template() -> Catalog:
    """Every message marked in the code, extracted as ``make i18n`` does."""
    return extract(source_root())


def test_every_catalogue_is_complete_and_keeps_its_placeholders(template: Catalog) -> None:
    """No message is missing, untranslated or fuzzy, and no placeholder is lost or invented."""
    assert sum(1 for m in template if m.id) > 100
    assert [str(p) for p in check(template)] == []


def test_the_check_finds_a_missing_message_a_broken_placeholder_and_a_bad_plural() -> None:
    """The check itself fails on each kind of mistake it exists for."""
    template = Catalog()
    template.add("Paused {ref}")
    template.add("Saved")
    template.add(("{n} topic", "{n} topics"))
    template.add("Unchanged")
    catalog = Catalog(locale="ha")
    catalog.add("Paused {ref}", "An dakatar {wuri}")
    catalog.add(("{n} topic", "{n} topics"), ("batu {n}",))
    catalog.add("Unchanged", "Ba canji", flags=["fuzzy"])
    found = {(p.msgid, p.what) for p in check_catalog("ha", template, catalog)}
    assert found == {
        ("Paused {ref}", "placeholders ['wuri'] != ['ref']"),
        ("Saved", "missing"),
        ("{n} topic", "has 1 plural forms, the language has 2"),
        ("Unchanged", "fuzzy"),
    }


@pytest.mark.parametrize("code", TRANSLATED)
def test_each_catalogue_says_a_native_speaker_should_review_it(code: str) -> None:
    """The header tells translators the texts are drafts awaiting a native speaker."""
    po = LOCALES / code / "LC_MESSAGES" / "minbar.po"
    assert "A NATIVE SPEAKER SHOULD REVIEW EVERY ENTRY" in po.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_catalogue_compiles_and_loads_from_its_po(code: str, tmp_path: Path) -> None:
    """A checkout without .mo files compiles the .po on load and speaks the language."""
    folder = tmp_path / code / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "minbar.po").write_bytes((LOCALES / code / "LC_MESSAGES" / "minbar.po").read_bytes())
    assert compile_po(folder / "minbar.po")
    translated = Catalogs(tmp_path).translations(code).gettext("Choose your language")
    expected = {"ha": "Zaɓi harshenka", "yo": "Yan èdè rẹ", "ar": "اختر لغتك"}[code]
    assert translated == expected
    assert not list(tmp_path.rglob("*.mo"))  # compiled in memory, nothing written


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_command_descriptions_fit_the_telegram_menu_in_every_language(code: str) -> None:
    """setMyCommands wants 1-256 characters per description, in every language."""
    registry: CommandRegistry[HandlerContext] = CommandRegistry()
    register_commands(registry, FEATURES)
    t = speech_in(code, Catalogs().translations(code), LAGOS)
    menu = registry.menu(t._, admin=True)
    assert menu
    assert all(1 <= len(text) <= 256 for text in menu.values())
    if code != "en":
        english = registry.menu(admin=True)
        assert all(menu[name] != english[name] for name in menu), "an untranslated description"
