"""Numbered options on platforms without buttons: which reply picks which choice."""

from __future__ import annotations

import pytest

from bot.core.choices import match_choice, selectable_choices
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
