"""Declarative chat commands: ``@command(...)`` marks a handler; a registry collects them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

Ctx = TypeVar("Ctx")

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # Telegram's rule for bot command names
_ATTR = "__minbar_command__"


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """What ``@command`` records about a handler."""

    name: str
    help: str
    admin_only: bool = False
    args: str = ""
    """How the argument reads in /help, e.g. ``<board id>``."""


@dataclass(frozen=True, slots=True)
class CommandSpec(Generic[Ctx]):
    """A registered command: its description and the coroutine that runs it."""

    info: CommandInfo
    run: Callable[[Any, str, Ctx], Awaitable[None]]


def command(
    name: str, *, help: str, admin_only: bool = False, args: str = ""
) -> Callable[[Callable[..., Awaitable[None]]], Callable[..., Awaitable[None]]]:
    """Mark a coroutine ``(message, argument, ctx)`` as the handler of ``/name``."""
    if not _NAME.match(name):
        raise ValueError(f"invalid command name {name!r}: use 1-32 of a-z, 0-9, _")
    if not help or len(help) > 256:
        raise ValueError(f"command {name!r} needs a help text of 1-256 characters")

    def mark(fn: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        setattr(fn, _ATTR, CommandInfo(name, help, admin_only, args))
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

    def visible_to(self, *, is_admin: bool) -> list[CommandInfo]:
        """Return the commands a user may run, sorted by name."""
        return sorted(
            (s.info for s in self._specs.values() if is_admin or not s.info.admin_only),
            key=lambda info: info.name,
        )

    def menu(self) -> dict[str, str]:
        """Return ``name -> help`` of public commands, for a platform's command menu."""
        return {info.name: info.help for info in self.visible_to(is_admin=False)}

    def help_text(self, *, is_admin: bool) -> str:
        """Return the /help listing for a user."""
        lines = []
        for info in self.visible_to(is_admin=is_admin):
            usage = f"/{info.name} {info.args}".rstrip()
            marker = " (admin)" if info.admin_only else ""
            lines.append(f"{usage} — {info.help}{marker}")
        return "\n".join(lines)
