"""Score a forum topic for spam: each signal adds weight and a short reason (pure, no I/O).

The signals are cheap and explainable, because an admin reads the reasons on the review card:
repeated-token runs (``сайтсайтсайт…``, ``buy buy buy…``), letters of scripts the forum does not
write in, words that mix Latin with Cyrillic or Greek look-alikes, link farms, blocked words.
A topic is spam when the summed weight reaches the policy's threshold; every weight below is
chosen so one strong signal alone (1.0) meets the default threshold and a weak one (0.5) does not.

The reasons are stored with the topic and logged in English; each admin reads them in their
own language, translated from that stored text by :func:`say_reasons`.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from bot.i18n import Speech
from handlers.relay.spam_reasons import ENGLISH, SEPARATOR, say_reason
from handlers.settings import SpamPolicy

__all__ = [
    "SpamPolicy",
    "SpamScore",
    "fold",
    "score_text",
    "score_topic",
    "script_of",
]

STRONG = 1.0
WEAK = 0.5

MIN_RUN_CHARS = 24
"""A repeated run must be this long: "hahahaha" in a friendly post is not spam."""
MIN_RUN_REPEATS = 6
MIN_WORD_REPEATS = 5
FOREIGN_SHARE = 0.30
MIN_LETTERS_FOR_SHARE = 20
"""Below this many letters a script share says nothing (a one-word Cyrillic name)."""
LINK_TEXT_SHARE = 0.5

# A letters-only unit of 2-10 characters followed by at least 5 more copies of itself.
_RUN = re.compile(r"([^\W\d_]{2,10}?)\1{5,}")
_WORD = re.compile(r"[^\W_]+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Scripts whose letters look alike: one word mixing them is a homoglyph trick.
_CONFUSABLE = frozenset({"latin", "cyrillic", "greek"})
_SCRIPT_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lo"})


@dataclass(frozen=True, slots=True)
class Signal:
    """One reason a topic looks like spam, what it names, and how much it weighs."""

    weight: float
    kind: str
    """Which reason: a key of ``spam_reasons.ENGLISH_REASONS`` (``repeated_run``…)."""
    values: tuple[tuple[str, str | int], ...] = ()

    def said(self, t: Speech) -> str:
        """Return the reason in ``t``'s language."""
        return say_reason(self.kind, dict(self.values), t)

    @property
    def reason(self) -> str:
        """Return the reason in English, as it is stored with the topic and logged."""
        return self.said(ENGLISH)


@dataclass(frozen=True, slots=True)
class SpamScore:
    """The signals found in a topic, judged against a threshold."""

    signals: tuple[Signal, ...] = ()
    threshold: float = 1.0

    @property
    def score(self) -> float:
        """Return the summed weight of every signal."""
        return sum(s.weight for s in self.signals)

    @property
    def is_spam(self) -> bool:
        """Return whether the score reaches the threshold."""
        return bool(self.signals) and self.score >= self.threshold

    @property
    def reason(self) -> str:
        """Return the signals' reasons as one line, strongest first."""
        ordered = sorted(self.signals, key=lambda s: -s.weight)
        return SEPARATOR.join(s.reason for s in ordered)


class _TextAndLinks(HTMLParser):
    """Collects visible text, the number of anchors and how much text they cover."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links = 0
        self.link_chars = 0
        self._in_link = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and any(name == "href" and value for name, value in attrs):
            self.links += 1
            self._in_link += 1
        elif tag in ("br", "li", "div", "p"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._in_link:
            self._in_link -= 1

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._in_link:
            self.link_chars += len("".join(data.split()))


def score_topic(subject: str, body_html: str, policy: SpamPolicy) -> SpamScore:
    """Score a topic's subject and SMF-rendered HTML teaser against ``policy``."""
    parser = _TextAndLinks()
    parser.feed(body_html)
    parser.close()
    body = "".join(parser.parts)
    # SMF links bare URLs in bodies, so only the subject can hold unlinked ones.
    links = parser.links + len(_URL.findall(subject))
    return score_text(f"{subject}\n{body}", policy, links=links, link_chars=parser.link_chars)


def score_text(text: str, policy: SpamPolicy, *, links: int = 0, link_chars: int = 0) -> SpamScore:
    """Score plain ``text`` that carries ``links`` links covering ``link_chars`` characters."""
    signals: list[Signal] = []
    signals.extend(_repeated_runs(text))
    signals.extend(_scripts(text, policy.allowed_scripts))
    signals.extend(_link_density(text, links, link_chars, policy.max_links))
    signals.extend(_blocked_words(text, policy.blocked_words))
    return SpamScore(tuple(signals), policy.threshold)


def _repeated_runs(text: str) -> list[Signal]:
    found: list[Signal] = []
    lowered = text.casefold()
    for match in _RUN.finditer(lowered):
        unit = match.group(1)
        repeats = len(match.group(0)) // len(unit)
        if repeats >= MIN_RUN_REPEATS and len(match.group(0)) >= MIN_RUN_CHARS:
            found.append(Signal(STRONG, "repeated_run", (("unit", repr(unit)), ("n", repeats))))
            break
    words = _WORD.findall(lowered)
    run = 1
    for previous, word in itertools.pairwise(words):
        run = run + 1 if word == previous else 1
        if run == MIN_WORD_REPEATS:
            values = (("word", repr(word)), ("n", MIN_WORD_REPEATS))
            found.append(Signal(STRONG, "repeated_word", values))
            break
    return found


def _scripts(text: str, allowed: tuple[str, ...]) -> list[Signal]:
    found: list[Signal] = []
    # Modifier letters (Hausa's glottal mark, Arabic's tatweel) count for no script.
    letters = [script_of(ch) for ch in text if unicodedata.category(ch) in _SCRIPT_LETTERS]
    foreign = [s for s in letters if s not in allowed]
    if len(letters) >= MIN_LETTERS_FOR_SHARE and len(foreign) > FOREIGN_SHARE * len(letters):
        main = max(set(foreign), key=foreign.count)
        share = round(100 * len(foreign) / len(letters))
        named = (("percent", f"{share}%"), ("script", main))
        found.append(Signal(STRONG, "foreign_scripts", named))
    mixed = [w for w in _WORD.findall(text) if _mixes_lookalikes(w)]
    if mixed:
        weight = STRONG if len(mixed) >= 2 else WEAK
        values = (("n", len(mixed)), ("word", repr(mixed[0])))
        found.append(Signal(weight, "mixed_scripts", values))
    return found


def _mixes_lookalikes(word: str) -> bool:
    scripts = {script_of(ch) for ch in word if ch.isalpha()}
    return len(scripts & _CONFUSABLE) >= 2


def _link_density(text: str, links: int, link_chars: int, max_links: int) -> list[Signal]:
    found: list[Signal] = []
    if links > max_links:
        found.append(Signal(STRONG, "many_links", (("n", links), ("limit", max_links))))
    visible = len("".join(text.split()))
    if links and visible and link_chars / visible > LINK_TEXT_SHARE:
        percent = f"{round(100 * link_chars / visible)}%"
        found.append(Signal(WEAK, "link_share", (("percent", percent),)))
    return found


def _blocked_words(text: str, blocked: tuple[str, ...]) -> list[Signal]:
    if not blocked:
        return []
    haystack = f" {' '.join(_WORD.findall(fold(text)))} "
    found = []
    for entry in blocked:
        needle = " ".join(_WORD.findall(fold(entry)))
        if needle and f" {needle} " in haystack:
            found.append(Signal(STRONG, "blocked_word", (("word", repr(entry)),)))
    return found


def fold(text: str) -> str:
    """Return ``text`` case-folded with diacritics removed (``Ẹ̀kọ́`` → ``eko``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def script_of(char: str) -> str:
    """Return the lower-case script name of a letter (``latin``, ``arabic``, ``han``…)."""
    name = unicodedata.name(char, "")
    if not name:
        return "unknown"
    head = name.split(" ", 1)[0]
    if head == "CJK":
        return "han"
    return head.lower()
