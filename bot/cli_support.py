"""What every ``minbar`` command shares: the config option, and failing without secrets."""

from __future__ import annotations

import contextlib
import logging
import os
import traceback
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from bot.core.errors import BotError, ConfigError
from bot.logs import RedactingFilter

if TYPE_CHECKING:
    from bot.config import Config

logger = logging.getLogger("bot.cli")

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Path of config.toml.", show_default=True)
]


def fail(message: str, code: int = 2, *, secrets: Iterable[str] = ()) -> NoReturn:
    """Print ``message`` (secrets redacted) to stderr and exit with ``code``."""
    # An error's text may quote a secret (PTB's InvalidToken names the rejected token).
    typer.echo(f"minbar: {RedactingFilter(secrets).redact(message)}", err=True)
    raise typer.Exit(code)


def secrets_of(cfg: Config | None = None) -> list[str]:
    """Return what this command must never print: the environment's secrets and the config's."""
    from bot.secret_values import environment_secret_values, secret_values

    found = list(environment_secret_values(os.environ))
    if cfg is not None:
        found += secret_values(cfg)
    return found


def load_or_fail(path: Path) -> Config:
    """Return the configuration at ``path``, or exit 2 naming every problem (no secrets)."""
    from bot.config import load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        fail(f"invalid configuration in {path}:\n{exc}", secrets=secrets_of())


@contextlib.contextmanager
def reported(secrets: Sequence[str], *, logged: bool) -> Iterator[None]:
    """Report a failure without secrets: a BotError in one line, a crash with its traceback."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except BotError as exc:
        fail(str(exc), secrets=secrets)
    except Exception:
        # Left to typer, the traceback would be printed raw, token-bearing URLs and all.
        if logged:
            logger.critical("Minbar stopped by an unexpected error", exc_info=True)
        else:
            typer.echo(RedactingFilter(secrets).redact(traceback.format_exc()), err=True)
        fail("stopped by an unexpected error (traceback above)", 1, secrets=secrets)
