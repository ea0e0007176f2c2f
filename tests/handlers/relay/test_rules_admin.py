"""Admin rule commands: /rules, /watch, /mute, /unrule — strict parsing, clear answers."""

from __future__ import annotations

import pytest

from bot.domain.destinations import DestinationSpec
from bot.domain.rules import RelayRule, RuleSeedSpec
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.dispatch import Dispatcher
from handlers.relay import rules_admin
from handlers.relay.rule_args import RuleArgs, UsageError, parse_rule_args
from tests.handlers.conftest import ADMIN_ID, EN, drain, inbound


@pytest.fixture
def dispatcher(ctx: HandlerContext) -> Dispatcher:
    """The dispatcher of every feature, the relay's rule commands among them."""
    return build_dispatcher(ctx)


async def _configure(ctx: HandlerContext) -> dict[str, int]:
    rows = await ctx.repos.destinations.sync_from_config(
        [
            DestinationSpec("telegram", "@attaqwaa", "channel", name="main"),
            DestinationSpec("telegram", "-100777", "group", thread_id=4, boards=(4,)),
        ]
    )
    return {d.chat_id: d.id for d in rows}


async def _ask(dispatcher: Dispatcher, ctx: HandlerContext, text: str) -> str:
    """Send ``text`` as the admin and return the single answer."""
    await dispatcher.handle(inbound(text, sender=ADMIN_ID))
    (sent,) = await drain(ctx)
    return sent.message.plain_text


def _shape(rule: RelayRule) -> tuple[object, ...]:
    return (rule.filter, rule.board_id, rule.include, rule.exclude)


async def test_watch_stores_board_words_and_excludes(
    dispatcher: Dispatcher, ctx: HandlerContext
) -> None:
    """/watch with a board, a quoted phrase and a -word stores exactly that rule."""
    ids = await _configure(ctx)
    answer = await _ask(
        dispatcher, ctx, f"/watch {ids['-100777']} board 4 Umrah, “hajj package” -promo!"
    )
    [rule] = await ctx.repos.rules.all()
    assert _shape(rule) == ("watch", 4, ("Umrah", "hajj package"), ("promo",))
    assert (rule.destination_id, rule.created_by) == (ids["-100777"], f"telegram:{ADMIN_ID}")
    assert answer == (
        f'Added rule {rule.id}: watch, board 4, any of: Umrah, "hajj package", none of: promo '
        f"for destination {ids['-100777']}: telegram:-100777 thread 4, boards 4."
    )


async def test_mute_stores_a_mute_rule(dispatcher: Dispatcher, ctx: HandlerContext) -> None:
    """/mute <dest> <word> stores a mute rule for any board."""
    ids = await _configure(ctx)
    answer = await _ask(dispatcher, ctx, f"/mute {ids['@attaqwaa']} promo")
    [rule] = await ctx.repos.rules.all()
    assert _shape(rule) == ("mute", None, ("promo",), ())
    assert answer.startswith(f"Added rule {rule.id}: mute, any board, any of: promo for ")


async def test_an_identical_rule_is_not_added_twice(
    dispatcher: Dispatcher, ctx: HandlerContext
) -> None:
    """Repeating a rule (words in another case or order) points at the existing one."""
    ids = await _configure(ctx)
    await _ask(dispatcher, ctx, f"/mute {ids['@attaqwaa']} promo spam")
    [rule] = await ctx.repos.rules.all()
    answer = await _ask(dispatcher, ctx, f"/mute {ids['@attaqwaa']} SPAM promo")
    assert answer == f"Destination {ids['@attaqwaa']} already has this rule ({rule.id})."
    assert len(await ctx.repos.rules.all()) == 1


@pytest.mark.parametrize(
    ("argument", "problem"),
    [
        pytest.param("", "Say which destination.", id="nothing"),
        pytest.param("main", "'main' is not a destination id", id="destination-not-a-number"),
        pytest.param("0 promo", "'0' is not a destination id", id="destination-zero"),
        pytest.param("١ promo", "'١' is not a destination id", id="non-ascii-digits"),
        pytest.param("{main} board", "'board' needs a board id.", id="board-without-id"),
        pytest.param("{main} board four", "'four' is not a board id", id="board-not-a-number"),
        pytest.param('{main} "hajj package', "A quote is not closed.", id="open-quote"),
        pytest.param("{main} !!!", "'!!!' has no letters or digits", id="punctuation-only-word"),
        pytest.param("{main} - promo", "A '-' needs a word right after it", id="bare-minus"),
        pytest.param("{main} " + "x" * 61, "longer than 60 characters", id="word-too-long"),
        pytest.param(
            "{main} " + " ".join(f"w{n}" for n in range(21)), "At most 20 words", id="many-words"
        ),
    ],
)
async def test_bad_arguments_get_a_usage_line(
    dispatcher: Dispatcher, ctx: HandlerContext, argument: str, problem: str
) -> None:
    """Malformed /watch arguments are answered with the problem and the usage; nothing is stored."""
    ids = await _configure(ctx)
    answer = await _ask(dispatcher, ctx, "/watch " + argument.format(main=ids["@attaqwaa"]))
    first, usage = answer.split("\n")
    assert problem in first
    assert usage == (
        "Usage: /watch <destination id> [board <board id>] [word …] [-word …]  "
        '(phrases in "quotes")'
    )
    assert await ctx.repos.rules.all() == []


async def test_an_unknown_destination_is_named(dispatcher: Dispatcher, ctx: HandlerContext) -> None:
    """A destination id that does not exist is answered with a pointer to /rules."""
    await _configure(ctx)
    answer = await _ask(dispatcher, ctx, "/mute 99 promo")
    assert answer == "There is no destination 99. Send /rules to see the ids."
    assert await ctx.repos.rules.all() == []


async def test_members_cannot_change_rules(dispatcher: Dispatcher, ctx: HandlerContext) -> None:
    """A member's /watch is refused and stores nothing."""
    ids = await _configure(ctx)
    await dispatcher.handle(inbound(f"/watch {ids['@attaqwaa']} promo", sender="2002"))
    (sent,) = await drain(ctx)
    assert sent.message.plain_text == "Sorry, only the forum's admins can use /watch."
    assert await ctx.repos.rules.all() == []


async def test_rules_lists_destinations_rules_and_precedence(
    dispatcher: Dispatcher, ctx: HandlerContext
) -> None:
    """/rules shows each destination with id and boards, its rules with ids, and the precedence."""
    ids = await _configure(ctx)
    [seeded] = await ctx.repos.rules.seed_from_config(
        [RuleSeedSpec("telegram", "@attaqwaa", "mute", None, ("promo",))]
    )
    made = await ctx.repos.rules.add(
        ids["-100777"], "watch", 2, ["hajj package"], ["x"], "telegram:1"
    )
    answer = await _ask(dispatcher, ctx, "/rules")
    assert answer.splitlines() == [
        "Relay rules",
        f'destination {ids["@attaqwaa"]}: telegram:@attaqwaa "main", boards all',
        f"  rule {seeded.id}: mute, any board, any of: promo (from config)",
        f"destination {ids['-100777']}: telegram:-100777 thread 4, boards 4",
        f'  rule {made.id}: watch, board 2, any of: "hajj package", none of: x',
        "",
        rules_admin.PRECEDENCE_NOTE,
    ]


async def test_rules_marks_inactive_and_ruleless_destinations(
    dispatcher: Dispatcher, ctx: HandlerContext
) -> None:
    """A destination without rules says it takes its boards; a removed one is marked inactive."""
    await ctx.repos.destinations.sync_from_config([DestinationSpec("telegram", "@old", "channel")])
    await ctx.repos.destinations.sync_from_config([])
    answer = await _ask(dispatcher, ctx, "/rules")
    assert "telegram:@old, boards all (inactive)\n  no rules: every topic of its boards" in answer


async def test_rules_without_destinations_says_so(
    dispatcher: Dispatcher, ctx: HandlerContext
) -> None:
    """/rules on an empty configuration points at the config section."""
    answer = await _ask(dispatcher, ctx, "/rules")
    assert "No destinations are configured ([[relay.destinations]] in config.toml)." in answer


async def test_a_long_listing_is_sent_in_parts(dispatcher: Dispatcher, ctx: HandlerContext) -> None:
    """A listing longer than one message is split on line boundaries into several replies."""
    ids = await _configure(ctx)
    words = [f"word{n:02d}" + "x" * 40 for n in range(20)]
    for board in range(1, 9):
        await ctx.repos.rules.add(ids["@attaqwaa"], "mute", board, words, [], "telegram:1")
    await dispatcher.handle(inbound("/rules", sender=ADMIN_ID))
    parts = [c.message.plain_text for c in await drain(ctx)]
    assert len(parts) >= 2
    assert all(len(p) <= rules_admin.MAX_PART_CHARS + len("Relay rules\n") for p in parts)
    assert "\n".join(parts).count("any of: word00") == 8


async def test_unrule_removes_a_rule(dispatcher: Dispatcher, ctx: HandlerContext) -> None:
    """/unrule <id> deletes the rule and says which one it was."""
    ids = await _configure(ctx)
    rule = await ctx.repos.rules.add(ids["@attaqwaa"], "mute", None, ["promo"], [], "telegram:1")
    answer = await _ask(dispatcher, ctx, f"/unrule #{rule.id}")
    assert answer == f"Removed rule {rule.id}: mute, any board, any of: promo."
    assert await ctx.repos.rules.all() == []


async def test_unrule_warns_that_config_rules_come_back(
    dispatcher: Dispatcher, ctx: HandlerContext
) -> None:
    """Removing a seeded rule warns that config.toml restores it at the next restart."""
    await _configure(ctx)
    [rule] = await ctx.repos.rules.seed_from_config(
        [RuleSeedSpec("telegram", "@attaqwaa", "watch", 4)]
    )
    answer = await _ask(dispatcher, ctx, f"/unrule {rule.id}")
    assert answer.endswith(
        "It comes from config.toml and returns at the next restart unless removed there."
    )


@pytest.mark.parametrize(
    ("argument", "answer"),
    [
        pytest.param("", "'' is not a rule id (a positive number).", id="missing"),
        pytest.param("abc", "'abc' is not a rule id (a positive number).", id="not-a-number"),
        pytest.param("77", "There is no rule 77. Send /rules to see the ids.", id="unknown"),
    ],
)
async def test_unrule_answers_bad_ids(
    dispatcher: Dispatcher, ctx: HandlerContext, argument: str, answer: str
) -> None:
    """A missing, malformed or unknown rule id gets a clear answer."""
    text = await _ask(dispatcher, ctx, f"/unrule {argument}".strip())
    assert text.split("\n")[0] == answer


@pytest.mark.parametrize(
    ("argument", "parsed"),
    [
        pytest.param("3", RuleArgs(3, None, (), ()), id="destination-only"),
        pytest.param("3 BOARD 7", RuleArgs(3, 7, (), ()), id="board-keyword-any-case"),
        pytest.param(
            '3 "board" umrah',
            RuleArgs(3, None, ("board", "umrah"), ()),
            id="quoted-board-is-a-word",
        ),
        pytest.param(
            '3 -"hajj  package" (promo)',
            RuleArgs(3, None, ("promo",), ("hajj package",)),
            id="negated-phrase-and-bracketed-word",
        ),
        pytest.param(
            "3 umrah UMRAH Úmrah", RuleArgs(3, None, ("umrah",), ()), id="duplicates-folded"
        ),
        pytest.param("3 (a+)+$ umr.*", RuleArgs(3, None, ("a", "umr"), ()), id="regex-stays-text"),
        pytest.param("3 Jumu'ah", RuleArgs(3, None, ("Jumu'ah",), ()), id="inner-apostrophe-kept"),
    ],
)
def test_parse_rule_args(argument: str, parsed: RuleArgs) -> None:
    """Arguments parse into a destination, an optional board and cleaned, de-duplicated words."""
    assert parse_rule_args(argument) == parsed


def test_parse_rule_args_raises_usage_error() -> None:
    """A malformed argument raises UsageError, never anything else; it reads as English."""
    with pytest.raises(UsageError, match="not closed") as raised:
        parse_rule_args('3 "open')
    assert str(raised.value) == raised.value.said(EN) == "A quote is not closed."


@pytest.mark.parametrize(
    ("argument", "problem"),
    [
        pytest.param("3 " + "x" * 61, f"'{'x' * 20}'… is longer than 60 characters.", id="long"),
        pytest.param(
            "3 " + " ".join(f"w{n}" for n in range(21)), "At most 20 words per rule.", id="many"
        ),
        pytest.param("3 board 0", "'0' is not a board id (a positive number).", id="board-0"),
    ],
)
def test_usage_errors_say_their_counts_and_values(argument: str, problem: str) -> None:
    """The problems that carry a count or a value say it in full."""
    with pytest.raises(UsageError) as raised:
        parse_rule_args(argument)
    assert raised.value.said(EN) == problem


async def test_a_hausa_admin_is_answered_in_hausa(
    dispatcher: Dispatcher, ctx: HandlerContext
) -> None:
    """An admin whose chat chose Hausa reads the answers and the usage line in Hausa."""
    await _configure(ctx)
    await ctx.repos.subscribers.set_language("telegram", ADMIN_ID, "private", "ha")
    answer = await _ask(dispatcher, ctx, "/mute 99 promo")
    assert answer == "Babu wurin aikawa 99. Aika /rules don ganin lambobin."
    answer = await _ask(dispatcher, ctx, "/unrule abc")
    assert answer == (
        "'abc' ba lambar doka ba ce (lamba sama da sifili).\n"
        "Yadda ake amfani: /unrule <rule id>  (aika /rules don ganin lambobin)"
    )
