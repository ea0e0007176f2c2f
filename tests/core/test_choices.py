"""Numbered options on platforms without buttons: which reply picks which choice, and keywords."""

from __future__ import annotations

import pytest

from bot.core.choices import (
    keyword_of,
    match_choice,
    parse_numbers,
    pick_choices,
    selectable_choices,
)
from bot.core.messages import Choice

CHOICES = (
    Choice("Umrah packages", data="pkg:umrah"),
    Choice("Open the forum", url="https://forum.test"),
    Choice("Hajj packages", data="pkg:hajj"),
)


def test_url_choices_get_no_number() -> None:
    """Links are shown as links, so numbering skips them."""
    assert [c.data for c in selectable_choices(CHOICES)] == ["pkg:umrah", "pkg:hajj"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("1", "pkg:umrah"),
        (" 2. ", "pkg:hajj"),
        ("٢", "pkg:hajj"),
        ("HAJJ", "pkg:hajj"),
        ("3", None),
        ("0", None),
        ("packages", None),
        ("", None),
    ],
    ids=[
        "one",
        "two-dotted",
        "arabic-indic-two",
        "word",
        "out-of-range",
        "zero",
        "ambiguous",
        "empty",
    ],
)
def test_a_reply_maps_to_at_most_one_choice(reply: str, expected: str | None) -> None:
    """A number or a word that names exactly one option picks it; anything else picks nothing."""
    picked = match_choice(reply, CHOICES)
    assert (picked.data if picked else None) == expected


def test_keyword_of_ignores_case_spaces_and_punctuation() -> None:
    """Keywords compare letters and digits only, upper-cased, compatibility forms folded."""
    assert [keyword_of(t) for t in ("stop.", " Opt-Out ", "Stop all!", "قف", "²")] == [
        "STOP",
        "OPTOUT",
        "STOPALL",
        "قف",
        "2",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", [2]),
        ("1, 3 4", [1, 3, 4]),
        ("2.3;4&5+6", [2, 3, 4, 5, 6]),
        ("٢ ٣", [2, 3]),
        ("2 and 3", None),
        ("²", None),
        ("12345", None),
        ("", None),
        ("  ", None),
    ],
    ids=[
        "one",
        "list",
        "separators",
        "arabic-indic",
        "words",
        "superscript",
        "too-long",
        "empty",
        "blank",
    ],
)
def test_parse_numbers_reads_only_lists_of_numbers(text: str, expected: list[int] | None) -> None:
    """A reply of decimal numbers and separators is read as numbers; anything else is not."""
    assert parse_numbers(text) == expected


def test_several_numbers_pick_several_choices_once_each() -> None:
    """ "2 1 2" picks the second and the first option, each once, in the order typed."""
    assert [c.data for c in pick_choices("2 1 2", CHOICES)] == ["pkg:hajj", "pkg:umrah"]


def test_a_list_with_one_number_off_the_menu_picks_nothing() -> None:
    """A slip never half-applies: "1 5" picks neither option."""
    assert pick_choices("1 5", CHOICES) == ()


def test_one_number_or_word_picks_one_choice() -> None:
    """A single number or an option's word picks just that option; anything else picks none."""
    assert [c.data for c in pick_choices("2", CHOICES)] == ["pkg:hajj"]
    assert [c.data for c in pick_choices("umrah", CHOICES)] == ["pkg:umrah"]
    assert pick_choices("visa", CHOICES) == ()


def test_a_labels_tick_and_emoji_do_not_hide_it_from_its_name() -> None:
    """ "General News" picks "▫️ General News" and "all boards" picks "✅ All boards"."""
    menu = (
        Choice("✅ All boards", data="sb:all"),
        Choice("▫️ General News", data="sb:2"),
        Choice("▫️ Umrah & Hajj Travel", data="sb:4"),
    )
    picked = [match_choice(t, menu) for t in ("General News", "all boards", "umrah & hajj travel")]
    assert [c.data if c else None for c in picked] == ["sb:2", "sb:all", "sb:4"]


def test_arabic_diacritics_and_tatweel_do_not_decide_a_match() -> None:
    """An option written with harakat and tatweel is picked by its plain letters."""
    menu = (Choice("عُمْـرة", data="pkg:umrah"), Choice("حج", data="pkg:hajj"))
    picked = match_choice("عمرة", menu)
    assert picked is not None
    assert picked.data == "pkg:umrah"
