"""Declarative chat commands: ``@command(...)`` marks a handler; a registry collects them."""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Ctx = TypeVar("Ctx")

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # Telegram's rule for bot command names
_ATTR = "__minbar_command__"


class Role(enum.StrEnum):
    """Who someone is in a chat; a command, flow or button names the roles that may use it."""

    MEMBER = "member"
    """Anyone who can write to the bot."""
    GROUP_ADMIN = "group_admin"
    """Someone who may manage this chat: the person in a private chat, a group's admins."""
    ADMIN = "admin"
    """One of the bot's own admins (the configured allowlist)."""
    AGENT = "agent"
    """A travel agent who receives enquiries."""


EVERYONE: frozenset[Role] = frozenset({Role.MEMBER})
CHAT_MANAGERS: frozenset[Role] = frozenset({Role.GROUP_ADMIN})
ADMINS: frozenset[Role] = frozenset({Role.ADMIN})


def allows(who: Collection[Role], roles: Collection[Role]) -> bool:
    """Return whether someone holding ``roles`` may use what ``who`` permits."""
    return any(role in roles for role in who)


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """What ``@command`` records about a handler."""

    name: str
    help: str
    who: frozenset[Role] = EVERYONE
    args: str = ""
    """How the argument reads in /help, e.g. ``<board id>``."""

    @property
    def admin_only(self) -> bool:
        """Return whether only the bot's admins may run it (marked so in /help)."""
        return self.who == ADMINS


@dataclass(frozen=True, slots=True)
class CommandSpec(Generic[Ctx]):
    """A registered command: its description and the coroutine that runs it."""

    info: CommandInfo
    run: Callable[[Any, str, Ctx], Awaitable[None]]


def command(
    name: str, *, help: str, who: Collection[Role] = EVERYONE, args: str = ""
) -> Callable[[Callable[..., Awaitable[None]]], Callable[..., Awaitable[None]]]:
    """Mark a coroutine ``(message, argument, ctx)`` as the handler of ``/name``."""
    if not _NAME.match(name):
        raise ValueError(f"invalid command name {name!r}: use 1-32 of a-z, 0-9, _")
    if not help or len(help) > 256:
        raise ValueError(f"command {name!r} needs a help text of 1-256 characters")
    if not who:
        raise ValueError(f"command {name!r} must allow at least one role")
    info = CommandInfo(name, help, frozenset(Role(r) for r in who), args)

    def mark(fn: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        setattr(fn, _ATTR, info)
        return fn

    return mark


class CommandRegistry(Generic[Ctx]):
    """The commands of one dispatcher, collected from marked handlers."""

    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec[Ctx]] = {}

    def collect(self, handlers: Iterable[object]) -> None:
        """Register every ``@command``-marked callable among ``handlers``."""
        for fn in handlers:
            info = getattr(fn, _ATTR, None)
            if isinstance(info, CommandInfo):
                if info.name in self._specs:
                    raise ValueError(f"command /{info.name} is registered twice")
                self._specs[info.name] = CommandSpec(info, fn)  # type: ignore[arg-type]

    def collect_module(self, module: object) -> None:
        """Register every marked function defined in ``module``."""
        self.collect(vars(module).values())

    def get(self, name: str) -> CommandSpec[Ctx] | None:
        """Return the command called ``name``."""
        return self._specs.get(name)

    def visible_to(self, roles: Collection[Role]) -> list[CommandInfo]:
        """Return the commands someone holding ``roles`` may run, sorted by name."""
        return sorted(
            (s.info for s in self._specs.values() if allows(s.info.who, roles)),
            key=lambda info: info.name,
        )

    def menu(
        self, translate: Callable[[str], str] = str, *, admin: bool = False, agent: bool = False
    ) -> dict[str, str]:
        """Return ``name -> help`` of what anyone may run in their own chat (a platform's menu).

        With ``admin`` the bot's admin commands are listed too (the menu of an admin's chat),
        with ``agent`` a travel agent's.
        """
        roles = {Role.MEMBER, Role.GROUP_ADMIN} | ({Role.ADMIN} if admin else set())
        roles |= {Role.AGENT} if agent else set()
        return {info.name: translate(info.help) for info in self.visible_to(roles)}

    def help_text(
        self,
        roles: Collection[Role],
        translate: Callable[[str], str] = str,
        admin_marker: str = " (admin)",
    ) -> str:
        """Return the /help listing for someone holding ``roles``, helps in their language."""
        lines = []
        for info in self.visible_to(roles):
            usage = f"/{info.name} {info.args}".rstrip()
            marker = admin_marker if info.admin_only else ""
            lines.append(f"{usage} — {translate(info.help)}{marker}")
        return "\n".join(lines)
