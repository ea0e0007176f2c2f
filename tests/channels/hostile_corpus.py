"""Texts that break naive renderers; every channel's render tests run over all of them.

Use as ``@pytest.mark.parametrize(("case_id", "text"), HOSTILE_CORPUS, ids=CORPUS_IDS)``.
"""

from __future__ import annotations

HOSTILE_CORPUS: list[tuple[str, str]] = [
    ("html-specials", "Tom & Jerry <b>\"quoted\"</b> 'single' a<b>c & d>e"),
    ("script", "<script>alert(1)</script>"),
    ("stray-amp", "Fish & chips && more &"),
    ("named-entities-typed", "Price&nbsp;100 &hellip; &rsquo;s &amp; &lt;tag&gt; &copy;"),
    (
        "bbcode-leftovers",
        "[img width=400]http://forum.example/pic.jpg[/img] and [... [b]x[/b] [url=",
    ),
    (
        "arabic-rtl-marks",
        "\u200fرحلة العمرة\u200e 2025 \u200f— الأسعار: \u0661\u0660\u0660\u0660 ريال\u200e!",
    ),
    ("numeric-entity-typed", "Moon &#127769; and &#x1F319; typed literally"),
    ("combining", "e\u0301 a\u0308 Z\u0335\u0321\u031b\u0327a\u0338\u034el\u0336g\u0337o\u0334"),
    ("long-10000", ("Umrah packages for families, departing every week. " * 200)[:10_000]),
    ("emoji-5000", "🌙" * 5000),
    ("cyrillic-spam", "сайтсайтсайт" * 300),
    ("lone-lt", "1 < 2 and 3 > 2, x<y, <<>>"),
    ("tag-lookalike", "</b></i><a href=x>not a link</a><blockquote>"),
    ("newlines", "line one\n\nline two\r\nline three\n\n\nend"),
]

CORPUS_IDS = [case_id for case_id, _ in HOSTILE_CORPUS]
