"""Keywords in every language: one meaning per word, whatever the accents or hooks."""

from __future__ import annotations

from itertools import combinations

import pytest

from handlers import flow_table
from handlers.consent import ALWAYS_STOP_WORDS
from handlers.flows import CANCEL_WORDS
from handlers.subscriptions.menus import DONE_WORDS, SETTING_WORDS
from handlers.words import WORDS, meaning_of, word_for, words_of


def test_no_word_of_one_meaning_is_a_word_of_another() -> None:
    """Across all four languages, stop, start, join, help, cancel and language never share."""
    for first, second in combinations(WORDS, 2):
        assert not words_of(first) & words_of(second), (first, second)


def test_a_word_that_ends_a_dialog_never_opts_out_inside_one() -> None:
    """Inside a dialog CANCEL only cancels; STOP only opts out: the two sets are disjoint."""
    assert not CANCEL_WORDS & ALWAYS_STOP_WORDS


def test_the_menu_and_setting_words_mean_nothing_else() -> None:
    """BOARDS, SETTINGS, DIGEST, DONE and their kin are no keyword of another meaning."""
    feature_words = set(DONE_WORDS) | set(SETTING_WORDS)
    feature_words |= {word for flow in flow_table().values() for word in flow.keywords}
    # The language and enquiry flows' entry words are their meanings' own words.
    feature_words -= words_of("language") | words_of("enquire")
    for meaning in WORDS:
        assert not feature_words & words_of(meaning), meaning


@pytest.mark.parametrize(
    ("typed", "meaning"),
    [
        ("DÚRÓ", "stop"),
        ("duro", "stop"),
        ("Tsaya!", "stop"),
        ("توقف", "stop"),
        ("ÈDÈ", "language"),
        ("ede", "language"),
        ("Harshe", "language"),
        ("لغه", "language"),  # heh typed for ta marbuta
        ("ìrànlọ́wọ́", "help"),
        ("IRANLOWO", "help"),
        ("sòké", "cancel"),
        ("fagile", "cancel"),
        ("Bẹ̀rẹ̀", "start"),
        ("darapo", "join"),
        ("اشترك", "join"),
        ("JOIN", "join"),
        ("Salaam", None),
    ],
)
def test_words_are_read_without_tone_marks_or_accents(typed: str, meaning: str | None) -> None:
    """Phone keyboards drop tone marks and hooks: the word means the same either way."""
    assert meaning_of(typed) == meaning


def test_hooked_letters_fold_to_their_plain_twins() -> None:
    """ɓ ɗ ƙ ƴ fold to b d k y, so a Hausa word typed without them is the same word."""
    from bot.core.choices import keyword_of

    assert keyword_of("ƙarshe ɗaya ɓata ƴaƴa") == keyword_of("karshe daya bata yaya")


def test_each_language_shows_its_own_word() -> None:
    """Help texts name the word of the reader's language, English where none is defined."""
    assert [word_for("stop", code) for code in ("en", "ha", "yo", "ar")] == [
        "STOP",
        "TSAYA",
        "DÚRÓ",
        "توقف",
    ]
    assert word_for("stop", "fr") == "STOP"
