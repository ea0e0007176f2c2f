"""Admin commands that change relay rules: /rules, /watch, /mute, /unrule."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.commands import ADMINS, command
from bot.core.messages import InboundMessage, bold, plain
from bot.domain.destinations import Destination
from bot.domain.rules import RelayRule
from handlers.context import HandlerContext
from handlers.relay.match import normalise, words_of

MAX_WORDS = 20
MAX_WORD_CHARS = 60
MAX_PART_CHARS = 3500
"""Telegram allows 4096 characters per message; a long listing is sent in parts."""
PRECEDENCE_NOTE = (
    "A matching mute always wins. A destination with watch rules gets only topics one of them "
    "matches (its boards list is then ignored); without watch rules it gets every topic of its "
    "boards."
)
_RULE_ARGS = '<destination id> [board <board id>] [word …] [-word …]  (phrases in "quotes")'
USAGE = {
    "watch": f"Usage: /watch {_RULE_ARGS}",
    "mute": f"Usage: /mute {_RULE_ARGS}",
    "unrule": "Usage: /unrule <rule id>  (send /rules to see the ids)",
}
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_EDGES = re.compile(r"^\W+|\W+$")
_SPACES = re.compile(r"\s+")


class UsageError(ValueError):
    """The command's arguments are wrong; the message says how."""


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
        raise UsageError("A quote is not closed.")
    tokens = [
        (m.group(1) == "-", m.group(2), True) if m.group(3) is None else (False, m.group(3), False)
        for m in _TOKEN.finditer(text)
    ]
    if not tokens:
        raise UsageError("Say which destination.")
    _, first, quoted = tokens.pop(0)
    destination_id = _positive_int(first, "destination id", quoted=quoted)
    board_id = None
    if tokens and not tokens[0][2] and tokens[0][1].casefold() == "board":
        tokens.pop(0)
        if not tokens:
            raise UsageError("'board' needs a board id.")
        _, value, quoted = tokens.pop(0)
        board_id = _positive_int(value, "board id", quoted=quoted)
    include: list[str] = []
    exclude: list[str] = []
    for negated, raw, quoted in tokens:
        if not quoted and raw.startswith("-"):
            negated, raw = True, raw[1:]
            if not raw:
                raise UsageError("A '-' needs a word right after it, like -promo.")
        word = _clean_word(raw)
        target = exclude if negated else include
        if normalise(word) not in {normalise(w) for w in target}:
            target.append(word)
    if len(include) + len(exclude) > MAX_WORDS:
        raise UsageError(f"At most {MAX_WORDS} words per rule.")
    return RuleArgs(destination_id, board_id, tuple(include), tuple(exclude))


def _positive_int(value: str, what: str, *, quoted: bool) -> int:
    if quoted or not value.isascii() or not value.isdigit() or int(value) < 1:
        raise UsageError(f"{value!r} is not a {what} (a positive number).")
    return int(value)


def _clean_word(raw: str) -> str:
    word = _SPACES.sub(" ", _EDGES.sub("", raw.strip()))
    if not words_of(word):
        raise UsageError(f"{raw!r} has no letters or digits to match.")
    if len(word) > MAX_WORD_CHARS:
        raise UsageError(f"{raw[:20]!r}… is longer than {MAX_WORD_CHARS} characters.")
    return word


@command("rules", help="List relay destinations and their rules", who=ADMINS)
async def rules(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Answer with every destination, its boards and its rules, with their ids."""
    destinations = await ctx.repos.destinations.all()
    by_dest = await ctx.repos.rules.for_destinations(d.id for d in destinations)
    lines: list[str] = []
    for dest in destinations:
        lines.append(describe_destination(dest))
        dest_rules = by_dest.get(dest.id, [])
        lines.extend(f"  {describe_rule(r)}" for r in dest_rules)
        if not dest_rules:
            lines.append("  no rules: every topic of its boards")
    if not destinations:
        lines.append("No destinations are configured ([[relay.destinations]] in config.toml).")
    lines.append("")
    lines.append(PRECEDENCE_NOTE)
    for part, chunk in enumerate(_chunks(lines, MAX_PART_CHARS)):
        spans = [bold("Relay rules\n"), plain(chunk)] if part == 0 else [plain(chunk)]
        await ctx.reply(message, spans, part=part)


@command(
    "watch",
    help="Relay only matching topics to a destination",
    who=ADMINS,
    args="<dest id> [board <id>] [words…] [-word…]",
)
async def watch(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Add a watch rule: the destination gets only topics one of its watch rules matches."""
    await _add_rule("watch", message, argument, ctx)


@command(
    "mute",
    help="Never relay matching topics to a destination",
    who=ADMINS,
    args="<dest id> [board <id>] [words…] [-word…]",
)
async def mute(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Add a mute rule: matching topics never reach the destination."""
    await _add_rule("mute", message, argument, ctx)


@command("unrule", help="Remove a relay rule by its id", who=ADMINS, args="<rule id>")
async def unrule(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Remove one rule, warning when config.toml will bring it back."""
    value = argument.strip().removeprefix("#")
    try:
        rule_id = _positive_int(value, "rule id", quoted=False)
    except UsageError as exc:
        await ctx.reply(message, f"{exc}\n{USAGE['unrule']}")
        return
    row = await ctx.repos.rules.get(rule_id)
    if row is None or not await ctx.repos.rules.remove(rule_id):
        await ctx.reply(message, f"There is no rule {rule_id}. Send /rules to see the ids.")
        return
    answer = f"Removed {describe_rule(row)}."
    if row.from_config:
        answer += " It comes from config.toml and returns at the next restart unless removed there."
    await ctx.reply(message, answer)


async def _add_rule(
    filter_: str, message: InboundMessage, argument: str, ctx: HandlerContext
) -> None:
    try:
        args = parse_rule_args(argument)
    except UsageError as exc:
        await ctx.reply(message, f"{exc}\n{USAGE[filter_]}")
        return
    dest = await ctx.repos.destinations.get(args.destination_id)
    if dest is None:
        await ctx.reply(
            message, f"There is no destination {args.destination_id}. Send /rules to see the ids."
        )
        return
    existing = (await ctx.repos.rules.for_destinations([dest.id]))[dest.id]
    same = next((r for r in existing if _same(r, filter_, args)), None)
    if same is not None:
        await ctx.reply(message, f"Destination {dest.id} already has this rule ({same.id}).")
        return
    author = f"{message.channel}:{message.sender_id}"
    row = await ctx.repos.rules.add(
        dest.id, filter_, args.board_id, args.include, args.exclude, created_by=author
    )
    await ctx.reply(message, f"Added {describe_rule(row)} for {describe_destination(dest)}.")


def _same(row: RelayRule, filter_: str, args: RuleArgs) -> bool:
    def norm(words: Sequence[object]) -> list[str]:
        return sorted(normalise(str(w)) for w in words)

    return (
        row.filter == filter_
        and row.board_id == args.board_id
        and norm(row.include) == norm(args.include)
        and norm(row.exclude) == norm(args.exclude)
    )


def describe_destination(dest: Destination) -> str:
    """Return one line naming a destination, its id and its boards."""
    thread = f" thread {dest.thread_id}" if dest.thread_id is not None else ""
    name = f' "{dest.name}"' if dest.name else ""
    boards = ", ".join(str(b) for b in dest.boards) if dest.boards else "all"
    inactive = "" if dest.active else " (inactive)"
    chat = f"{dest.channel}:{dest.chat_id}{thread}"
    return f"destination {dest.id}: {chat}{name}, boards {boards}{inactive}"


def describe_rule(row: RelayRule) -> str:
    """Return one line describing a rule and its id."""
    parts = [f"rule {row.id}: {row.filter}"]
    parts.append(f"board {row.board_id}" if row.board_id is not None else "any board")
    if row.include:
        parts.append("any of: " + ", ".join(_shown(w) for w in row.include))
    if row.exclude:
        parts.append("none of: " + ", ".join(_shown(w) for w in row.exclude))
    origin = " (from config)" if row.from_config else ""
    return ", ".join(parts) + origin


def _shown(word: object) -> str:
    text = str(word)
    return f'"{text}"' if " " in text else text


def _chunks(lines: Sequence[str], limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if current and len(candidate) > limit:
            chunks.append(current)
            candidate = line
        current = candidate
    chunks.append(current)
    return chunks
