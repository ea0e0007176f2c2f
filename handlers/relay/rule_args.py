"""The arguments of /watch, /mute and /unrule: parsed once, refused with a usage line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import Speech
from bot.i18n.speech import english
from handlers.relay.match import normalise, words_of

MAX_WORDS = 20
MAX_WORD_CHARS = 60
_RULE_ARGS = "<destination id> [board <board id>] [word …] [-word …]"
USAGE = {
    "watch": f"/watch {_RULE_ARGS}",
    "mute": f"/mute {_RULE_ARGS}",
    "unrule": "/unrule <rule id>",
}
"""How each command is typed: the same in every language (``board`` is a keyword)."""
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_EDGES = re.compile(r"^\W+|\W+$")
_SPACES = re.compile(r"\s+")
_ENGLISH = english()


class UsageError(ValueError):
    """The command's arguments are wrong; the message says how (``str()`` gives English)."""

    def __init__(self, say: Callable[[Speech], str]) -> None:
        super().__init__(say(_ENGLISH))
        self._say = say

    def said(self, t: Speech) -> str:
        """Return what is wrong in ``t``'s language."""
        return self._say(t)


@dataclass(frozen=True, slots=True)
class RuleArgs:
    """The parsed arguments of /watch or /mute."""

    destination_id: int
    board_id: int | None
    include: tuple[str, ...]
    exclude: tuple[str, ...]


def parse_rule_args(argument: str) -> RuleArgs:
    """Parse ``<dest id> [board <id>] [word …] [-word …]``; raise UsageError when malformed."""
    text = argument.translate(_QUOTES)
    if text.count('"') % 2:
        raise UsageError(lambda t: t._("A quote is not closed."))
    tokens = [
        (m.group(1) == "-", m.group(2), True) if m.group(3) is None else (False, m.group(3), False)
        for m in _TOKEN.finditer(text)
    ]
    if not tokens:
        raise UsageError(lambda t: t._("Say which destination."))
    _, first, quoted = tokens.pop(0)
    destination_id = positive_int(first, "destination", quoted=quoted)
    board_id = None
    if tokens and not tokens[0][2] and tokens[0][1].casefold() == "board":
        tokens.pop(0)
        if not tokens:
            # Translators: {keyword} is 'board', the word typed in the command: it stays English.
            raise UsageError(lambda t: t._("{keyword} needs a board id.", keyword="'board'"))
        _, value, quoted = tokens.pop(0)
        board_id = positive_int(value, "board", quoted=quoted)
    include: list[str] = []
    exclude: list[str] = []
    for negated, raw, quoted in tokens:
        if not quoted and raw.startswith("-"):
            negated, raw = True, raw[1:]
            if not raw:
                raise UsageError(lambda t: t._("A '-' needs a word right after it, like -promo."))
        word = _clean_word(raw)
        target = exclude if negated else include
        if normalise(word) not in {normalise(w) for w in target}:
            target.append(word)
    if len(include) + len(exclude) > MAX_WORDS:
        raise UsageError(
            lambda t: t.n_("At most {n} word per rule.", "At most {n} words per rule.", MAX_WORDS)
        )
    return RuleArgs(destination_id, board_id, tuple(include), tuple(exclude))


def positive_int(value: str, what: str, *, quoted: bool) -> int:
    if quoted or not value.isascii() or not value.isdigit() or int(value) < 1:
        shown = repr(value)
        raise UsageError(lambda t: _not_an_id(what, shown, t))
    return int(value)


def _not_an_id(what: str, value: str, t: Speech) -> str:
    """Return that ``value`` (quoted) is no id of a ``what``: a destination, board or rule."""
    if what == "board":
        return t._("{value} is not a board id (a positive number).", value=value)
    if what == "rule":
        return t._("{value} is not a rule id (a positive number).", value=value)
    return t._("{value} is not a destination id (a positive number).", value=value)


def _clean_word(raw: str) -> str:
    word = _SPACES.sub(" ", _EDGES.sub("", raw.strip()))
    shown = repr(raw)
    if not words_of(word):
        raise UsageError(lambda t: t._("{word} has no letters or digits to match.", word=shown))
    if len(word) > MAX_WORD_CHARS:
        start = repr(raw[:20])
        raise UsageError(
            # Translators: {word} is the start of a word that is too long, in quotes.
            lambda t: t.n_(
                "{word}… is longer than {n} character.",
                "{word}… is longer than {n} characters.",
                MAX_WORD_CHARS,
                word=start,
            )
        )
    return word


def usage_line(command_name: str, t: Speech) -> str:
    """Return how ``/command_name`` is typed, in ``t``'s language."""
    usage = USAGE[command_name]
    if command_name == "unrule":
        # Translators: {usage} is how the command is typed ("/unrule <rule id>"), kept as it is.
        return t._("Usage: {usage}  (send /rules to see the ids)", usage=usage)
    # Translators: {usage} is how the command is typed, kept as it is; keep the two " marks:
    # they show how a phrase of several words is typed.
    return t._('Usage: {usage}  (phrases in "quotes")', usage=usage)
