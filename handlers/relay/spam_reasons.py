"""The spam filter's reasons in words: said in each reader's language, stored in English.

A reason is stored with the topic (and logged) in English; :func:`say_reasons` reads that
stored text back and says it in the reader's language, so a card and the edit made after a
decision always say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.i18n import Speech
from bot.i18n.speech import english

SEPARATOR = "; "
"""Between two reasons on one line."""
ENGLISH = english()
"""The reasons as they are stored and logged, whoever reads them later."""

Values = Mapping[str, str | int]
"""What a reason names: ``n`` and ``limit`` are numbers, the rest text as shown."""


def say_reason(kind: str, values: Values, t: Speech) -> str:
    """Return one reason in ``t``'s language (an unknown kind by its name)."""
    n = int(values.get("n", 0))
    word = values.get("word", "")
    percent = values.get("percent", "")
    if kind == "repeated_run":
        unit = values["unit"]
        # Translators: spam signal; {unit} is the repeated letters in quotes ('сайт'), {n} how
        # many times they repeat.
        return t.n_("repeated run {unit} x{n}", "repeated run {unit} x{n}", n, unit=unit)
    if kind == "repeated_word":
        # Translators: spam signal; {word} is the word in quotes, "{n}+ times": n times or more.
        return t.n_(
            "word {word} repeated {n}+ times", "word {word} repeated {n}+ times", n, word=word
        )
    if kind == "foreign_scripts":
        script = values["script"]
        # Translators: spam signal; {percent} is like 47%, {script} the name of an alphabet as
        # config.toml writes it (cyrillic, han): keep {script} as it is.
        return t._(
            "{percent} of letters in unexpected scripts ({script})", percent=percent, script=script
        )
    if kind == "mixed_scripts":
        # Translators: spam signal: words mixing look-alike letters of two alphabets (Latin and
        # Cyrillic); {word} is one of them, in quotes.
        return t.n_(
            "{n} word mixing scripts, e.g. {word}",
            "{n} words mixing scripts, e.g. {word}",
            n,
            word=word,
        )
    if kind == "many_links":
        limit = values["limit"]
        # Translators: spam signal; {limit} is the most links a topic may carry.
        return t.n_("{n} link (more than {limit})", "{n} links (more than {limit})", n, limit=limit)
    if kind == "link_share":
        # Translators: spam signal; {percent} is like 60%: how much of the text is link text.
        return t._("links make {percent} of the text", percent=percent)
    if kind == "blocked_word":
        # Translators: spam signal; {word} is a word the admins blocked, in quotes.
        return t._("blocked word {word}", word=word)
    return kind


_QUOTED = r"'(?:[^'\\]|\\.)*'" + "|" + r'"(?:[^"\\]|\\.)*"'
"""A Python ``repr`` of a string: how a reason quotes a word."""
ENGLISH_REASONS = {
    "repeated_run": re.compile(rf"repeated run (?P<unit>{_QUOTED}) x(?P<n>\d+)"),
    "repeated_word": re.compile(rf"word (?P<word>{_QUOTED}) repeated (?P<n>\d+)\+ times"),
    "foreign_scripts": re.compile(
        r"(?P<percent>\d+%) of letters in unexpected scripts \((?P<script>[\w-]+)\)"
    ),
    # "word(s)": how this reason read when stored before the reasons were translated.
    "mixed_scripts": re.compile(
        rf"(?P<n>\d+) word(?:s|\(s\))? mixing scripts, e\.g\. (?P<word>{_QUOTED})"
    ),
    "many_links": re.compile(r"(?P<n>\d+) links? \(more than (?P<limit>\d+)\)"),
    "link_share": re.compile(r"links make (?P<percent>\d+%) of the text"),
    "blocked_word": re.compile(rf"blocked word (?P<word>{_QUOTED})"),
}
"""Each reason's English text, read back into its values (the stored reasons are English)."""
_NUMBERS = frozenset({"n", "limit"})


def say_reasons(reasons: str, t: Speech) -> str:
    """Return stored English reasons (``a; b``) in ``t``'s language.

    A part that reads as no known reason is shown as it was stored. The same stored text always
    gives the same words, so the edit of a decided card repeats the card exactly.
    """
    said: list[str] = []
    at = 0
    while at < len(reasons):
        for kind, pattern in ENGLISH_REASONS.items():
            found = pattern.match(reasons, at)
            if found and _ends_a_reason(reasons, found.end()):
                groups = found.groupdict()
                values = {k: int(v) if k in _NUMBERS else v for k, v in groups.items()}
                said.append(say_reason(kind, values, t))
                at = found.end()
                break
        else:
            end = reasons.find(SEPARATOR, at)
            end = len(reasons) if end < 0 else end
            said.append(t.isolate(reasons[at:end]))
            at = end
        if reasons.startswith(SEPARATOR, at):
            at += len(SEPARATOR)
    return SEPARATOR.join(said)


def _ends_a_reason(reasons: str, at: int) -> bool:
    return at == len(reasons) or reasons.startswith(SEPARATOR, at)
