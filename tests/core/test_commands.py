"""Declared commands: ``@command(name, help, who=, args=)``, the registry, /help and the menu."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.commands import (
    ADMINS,
    CHAT_MANAGERS,
    EVERYONE,
    CommandInfo,
    CommandRegistry,
    Role,
    allows,
    command,
)


@command("start", help="Welcome")
async def start(message: Any, argument: str, ctx: Any) -> None:
    """Anyone's command."""


@command("subscribe", help="Alerts here", who=CHAT_MANAGERS)
async def subscribe(message: Any, argument: str, ctx: Any) -> None:
    """A chat manager's command."""


@command("watch", help="Watch a board", who=ADMINS, args="<board id> <words>")
async def watch(message: Any, argument: str, ctx: Any) -> None:
    """An admin's command with arguments."""


@command("enquiries", help="Open enquiries", who={Role.AGENT, Role.ADMIN})
async def enquiries(message: Any, argument: str, ctx: Any) -> None:
    """A command for agents and admins."""


def registry() -> CommandRegistry[Any]:
    """Return a registry holding the four commands above."""
    commands: CommandRegistry[Any] = CommandRegistry()
    commands.collect([watch, start, enquiries, subscribe, "not a command"])
    return commands


def test_the_role_sets() -> None:
    """EVERYONE is members, CHAT_MANAGERS the chat's managers, ADMINS the bot's admins."""
    assert (
        frozenset({Role.MEMBER}),
        frozenset({Role.GROUP_ADMIN}),
        frozenset({Role.ADMIN}),
    ) == (EVERYONE, CHAT_MANAGERS, ADMINS)


@pytest.mark.parametrize(
    ("who", "roles", "allowed"),
    [
        (EVERYONE, {Role.MEMBER}, True),
        (CHAT_MANAGERS, {Role.MEMBER}, False),
        (CHAT_MANAGERS, {Role.MEMBER, Role.GROUP_ADMIN}, True),
        (ADMINS, {Role.MEMBER, Role.GROUP_ADMIN}, False),
        ({Role.AGENT, Role.ADMIN}, {Role.AGENT}, True),
        (ADMINS, set(), False),
    ],
    ids=["member", "member-not-manager", "manager", "manager-not-admin", "any-of", "no-roles"],
)
def test_allows_needs_one_of_the_roles(
    who: frozenset[Role], roles: set[Role], allowed: bool
) -> None:
    """Someone may use a thing when they hold at least one of the roles it names."""
    assert allows(who, roles) is allowed


def test_the_decorator_records_what_the_help_shows() -> None:
    """``@command`` keeps name, help, roles and argument text; only who=ADMINS is admin-only."""
    info = watch.__minbar_command__  # type: ignore[attr-defined]
    assert info == CommandInfo("watch", "Watch a board", ADMINS, "<board id> <words>")
    assert info.admin_only
    assert not enquiries.__minbar_command__.admin_only  # type: ignore[attr-defined]
    assert start.__minbar_command__.who == EVERYONE  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "help_text", "who", "message"),
    [
        ("Start", "x", EVERYONE, "invalid command name 'Start'"),
        ("a" * 33, "x", EVERYONE, "invalid command name"),
        ("with-dash", "x", EVERYONE, "invalid command name"),
        ("ok", "", EVERYONE, "command 'ok' needs a help text of 1-256 characters"),
        ("ok", "h" * 257, EVERYONE, "needs a help text"),
        ("ok", "x", frozenset(), "command 'ok' must allow at least one role"),
    ],
    ids=["upper-case", "too-long", "dash", "no-help", "long-help", "nobody"],
)
def test_bad_declarations_fail_at_import(
    name: str, help_text: str, who: frozenset[Role], message: str
) -> None:
    """Names follow Telegram's rule, help is 1-256 characters, and someone must be allowed."""
    with pytest.raises(ValueError, match=message):
        command(name, help=help_text, who=who)


def test_who_accepts_role_names() -> None:
    """Roles may be given by value ("admin") and are stored as ``Role`` members."""

    @command("x", help="x", who={"admin"})  # type: ignore[arg-type]
    async def handler(message: Any, argument: str, ctx: Any) -> None:
        """Unused."""

    assert handler.__minbar_command__.who == ADMINS  # type: ignore[attr-defined]


def test_the_registry_collects_marked_handlers_only() -> None:
    """Unmarked objects are skipped; each marked handler is found by name with its coroutine."""
    commands = registry()
    spec = commands.get("watch")
    assert spec is not None
    assert spec.run is watch
    assert commands.get("nothing") is None


def test_a_name_registered_twice_is_refused() -> None:
    """Two handlers for one command name fail at start."""
    commands = registry()

    @command("start", help="Another welcome")
    async def other(message: Any, argument: str, ctx: Any) -> None:
        """A clash."""

    with pytest.raises(ValueError, match="command /start is registered twice"):
        commands.collect([other])


def test_collect_module_registers_what_a_module_defines() -> None:
    """A module's marked functions are registered in one call."""
    import types

    module = types.ModuleType("fake_feature")
    module.start = start  # type: ignore[attr-defined]
    module.helper = len  # type: ignore[attr-defined]
    commands: CommandRegistry[Any] = CommandRegistry()
    commands.collect_module(module)
    assert [info.name for info in commands.visible_to({Role.MEMBER})] == ["start"]


def test_help_lists_only_what_the_roles_may_run() -> None:
    """/help for a member, a chat manager, an agent and an admin shows each exactly theirs."""
    commands = registry()
    assert commands.help_text({Role.MEMBER}) == "/start — Welcome"
    assert commands.help_text({Role.MEMBER, Role.GROUP_ADMIN}).splitlines() == [
        "/start — Welcome",
        "/subscribe — Alerts here",
    ]
    assert commands.help_text({Role.AGENT}) == "/enquiries — Open enquiries"
    assert commands.help_text({Role.MEMBER, Role.ADMIN}).splitlines() == [
        "/enquiries — Open enquiries",
        "/start — Welcome",
        "/watch <board id> <words> — Watch a board (admin)",
    ]


def test_the_platform_menu_is_what_anyone_may_run_in_their_own_chat() -> None:
    """The published menu holds members' and own-chat commands, never admins' or agents'."""
    assert registry().menu() == {"start": "Welcome", "subscribe": "Alerts here"}
