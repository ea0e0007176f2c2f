"""Admin commands that change relay rules: /rules, /watch, /mute, /unrule."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.commands import ADMINS, command
from bot.core.messages import InboundMessage, bold, plain
from bot.domain.destinations import Destination
from bot.domain.rules import RelayRule
from bot.i18n import N_, Speech
from handlers.context import HandlerContext
from handlers.relay.match import normalise
from handlers.relay.rule_args import RuleArgs, UsageError, parse_rule_args, positive_int, usage_line

MAX_PART_CHARS = 3500
"""Telegram allows 4096 characters per message; a long listing is sent in parts."""
PRECEDENCE_NOTE = N_(
    "A matching mute always wins. A destination with watch rules gets only topics one of them "
    "matches (its boards list is then ignored); without watch rules it gets every topic of its "
    "boards."
)


@command("rules", help=N_("List relay destinations and their rules"), who=ADMINS)
async def rules(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Answer with every destination, its boards and its rules, with their ids."""
    t = await ctx.speech(message)
    destinations = await ctx.repos.destinations.all()
    by_dest = await ctx.repos.rules.for_destinations(d.id for d in destinations)
    lines: list[str] = []
    for dest in destinations:
        lines.append(describe_destination(dest, t))
        dest_rules = by_dest.get(dest.id, [])
        lines.extend(f"  {describe_rule(r, t)}" for r in dest_rules)
        if not dest_rules:
            lines.append("  " + t._("no rules: every topic of its boards"))
    if not destinations:
        # Translators: {section} is the config.toml section that lists them; keep config.toml.
        none = t._(
            "No destinations are configured ({section} in config.toml).",
            section="[[relay.destinations]]",
        )
        lines.append(none)
    lines.append("")
    lines.append(t._(PRECEDENCE_NOTE))
    title = t._("Relay rules")
    for part, chunk in enumerate(_chunks(lines, MAX_PART_CHARS)):
        spans = [bold(title + "\n"), plain(chunk)] if part == 0 else [plain(chunk)]
        await ctx.reply(message, spans, part=part)


@command(
    "watch",
    help=N_("Relay only matching topics to a destination"),
    who=ADMINS,
    args="<dest id> [board <id>] [words…] [-word…]",
)
async def watch(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Add a watch rule: the destination gets only topics one of its watch rules matches."""
    await _add_rule("watch", message, argument, ctx)


@command(
    "mute",
    help=N_("Never relay matching topics to a destination"),
    who=ADMINS,
    args="<dest id> [board <id>] [words…] [-word…]",
)
async def mute(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Add a mute rule: matching topics never reach the destination."""
    await _add_rule("mute", message, argument, ctx)


@command("unrule", help=N_("Remove a relay rule by its id"), who=ADMINS, args="<rule id>")
async def unrule(message: InboundMessage, argument: str, ctx: HandlerContext) -> None:
    """Remove one rule, warning when config.toml will bring it back."""
    t = await ctx.speech(message)
    value = argument.strip().removeprefix("#")
    try:
        rule_id = positive_int(value, "rule", quoted=False)
    except UsageError as exc:
        await ctx.reply(message, f"{exc.said(t)}\n{usage_line('unrule', t)}")
        return
    row = await ctx.repos.rules.get(rule_id)
    if row is None or not await ctx.repos.rules.remove(rule_id):
        text = t._("There is no rule {rule_id}. Send /rules to see the ids.", rule_id=rule_id)
        await ctx.reply(message, text)
        return
    # Translators: {rule} is a rule as /rules lists it: "rule 3: mute, any board, any of: promo".
    answer = t._("Removed {rule}.", rule=describe_rule(row, t))
    if row.from_config:
        comes_back = t._(
            "It comes from config.toml and returns at the next restart unless removed there."
        )
        answer += " " + comes_back
    await ctx.reply(message, answer)


async def _add_rule(
    filter_: str, message: InboundMessage, argument: str, ctx: HandlerContext
) -> None:
    t = await ctx.speech(message)
    try:
        args = parse_rule_args(argument)
    except UsageError as exc:
        await ctx.reply(message, f"{exc.said(t)}\n{usage_line(filter_, t)}")
        return
    dest = await ctx.repos.destinations.get(args.destination_id)
    if dest is None:
        text = t._(
            "There is no destination {destination_id}. Send /rules to see the ids.",
            destination_id=args.destination_id,
        )
        await ctx.reply(message, text)
        return
    existing = (await ctx.repos.rules.for_destinations([dest.id]))[dest.id]
    same = next((r for r in existing if _same(r, filter_, args)), None)
    if same is not None:
        text = t._(
            "Destination {destination_id} already has this rule ({rule_id}).",
            destination_id=dest.id,
            rule_id=same.id,
        )
        await ctx.reply(message, text)
        return
    author = f"{message.channel}:{message.sender_id}"
    row = await ctx.repos.rules.add(
        dest.id, filter_, args.board_id, args.include, args.exclude, created_by=author
    )
    # Translators: {rule} and {destination} are as /rules lists them: "rule 3: mute, any board,
    # any of: promo" and "destination 1: telegram:@attaqwaa, boards all".
    text = t._(
        "Added {rule} for {destination}.",
        rule=describe_rule(row, t),
        destination=describe_destination(dest, t),
    )
    await ctx.reply(message, text)


def _same(row: RelayRule, filter_: str, args: RuleArgs) -> bool:
    def norm(words: Sequence[object]) -> list[str]:
        return sorted(normalise(str(w)) for w in words)

    return (
        row.filter == filter_
        and row.board_id == args.board_id
        and norm(row.include) == norm(args.include)
        and norm(row.exclude) == norm(args.exclude)
    )


def describe_destination(dest: Destination, t: Speech) -> str:
    """Return one line naming a destination, its id and its boards, in ``t``'s language."""
    chat = f"{dest.channel}:{dest.chat_id}"
    if dest.thread_id is not None:
        # Translators: a topic thread of a Telegram group, by its number.
        chat += " " + t._("thread {thread}", thread=dest.thread_id)
    if dest.name:
        chat += f' "{dest.name}"'
    # Translators: which boards a destination takes: all of them.
    boards = ", ".join(str(b) for b in dest.boards) if dest.boards else t.p_("boards", "all")
    # Translators: {chat} is the chat ("telegram:@attaqwaa"), {boards} board ids or "all".
    line = t._("destination {id}: {chat}, boards {boards}", id=dest.id, chat=chat, boards=boards)
    if not dest.active:
        line += " " + t._("(inactive)")
    return line


def describe_rule(row: RelayRule, t: Speech) -> str:
    """Return one line describing a rule and its id, in ``t``'s language."""
    kinds = {
        # Translators: a rule that relays only the topics it matches (made with /watch).
        "watch": t.p_("rule kind", "watch"),
        # Translators: a rule that never relays the topics it matches (made with /mute).
        "mute": t.p_("rule kind", "mute"),
    }
    # Translators: the start of a rule's line in /rules: "rule 3: mute".
    parts = [t._("rule {id}: {kind}", id=row.id, kind=kinds.get(row.filter, row.filter))]
    if row.board_id is not None:
        # Translators: the one forum board a rule applies to, by its id.
        parts.append(t._("board {board}", board=row.board_id))
    else:
        parts.append(t._("any board"))
    if row.include:
        # Translators: {words} is a list of words; a topic matches if it has any of them.
        parts.append(t._("any of: {words}", words=", ".join(_shown(w) for w in row.include)))
    if row.exclude:
        # Translators: {words} is a list of words; a topic matches only if it has none of them.
        parts.append(t._("none of: {words}", words=", ".join(_shown(w) for w in row.exclude)))
    line = ", ".join(parts)
    if row.from_config:
        line += " " + t._("(from config)")
    return line


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
