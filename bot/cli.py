"""The ``minbar`` command line: run, chat, config check, db upgrade, bench."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import traceback
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from bot.core.errors import BotError, ConfigError
from bot.logs import RedactingFilter

if TYPE_CHECKING:
    from bot.config import Config

logger = logging.getLogger(__name__)

# Locals in a traceback would show the token; typer's default is off, and it must stay off.
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    help="Minbar: SMF forum ↔ Telegram & WhatsApp.",
)
config_app = typer.Typer(no_args_is_help=True, help="Configuration tools.")
db_app = typer.Typer(no_args_is_help=True, help="Database tools.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print their figures.")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(bench_app, name="bench")
i18n_app = typer.Typer(no_args_is_help=True, help="Translation catalogues.")
app.add_typer(i18n_app, name="i18n")
leads_app = typer.Typer(no_args_is_help=True, help="Enquiry leads: list, show, export.")
app.add_typer(leads_app, name="leads")
enquiry_app = typer.Typer(no_args_is_help=True, help="Links into the enquiry.")
app.add_typer(enquiry_app, name="enquiry")

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Path of config.toml.", show_default=True)
]


def _fail(message: str, code: int = 2, *, secrets: Iterable[str] = ()) -> NoReturn:
    # An error's text may quote a secret (PTB's InvalidToken names the rejected token).
    typer.echo(f"minbar: {RedactingFilter(secrets).redact(message)}", err=True)
    raise typer.Exit(code)


def _secrets(cfg: Config | None = None) -> list[str]:
    """Return what this command must never print: the environment's secrets and the config's."""
    from bot.secret_values import environment_secret_values, secret_values

    found = list(environment_secret_values(os.environ))
    if cfg is not None:
        found += secret_values(cfg)
    return found


def _load(path: Path) -> Config:
    from bot.config import load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        _fail(f"invalid configuration in {path}:\n{exc}", secrets=_secrets())


@contextlib.contextmanager
def _reported(secrets: Sequence[str], *, logged: bool) -> Iterator[None]:
    """Report a failure without secrets: a BotError in one line, a crash with its traceback."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except BotError as exc:
        _fail(str(exc), secrets=secrets)
    except Exception:
        # Left to typer, the traceback would be printed raw, token-bearing URLs and all.
        if logged:
            logger.critical("Minbar stopped by an unexpected error", exc_info=True)
        else:
            typer.echo(RedactingFilter(secrets).redact(traceback.format_exc()), err=True)
        _fail("stopped by an unexpected error (traceback above)", 1, secrets=secrets)


@app.command()
def run(config: ConfigOption = Path("config.toml")) -> None:
    """Run the service: web server, channels, outbox, scheduler and forum poller."""
    from bot.app import build_service
    from bot.logs import configure_logging
    from bot.runtime import Runtime, run_until_stopped

    cfg = _load(config)
    secrets = _secrets(cfg)
    configure_logging(cfg.service.log_level, cfg.service.log_format, secrets=secrets)

    async def main(runtime: Runtime) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runtime.request_stop)
        await run_until_stopped(runtime)

    with _reported(secrets, logged=True):
        asyncio.run(main(Runtime(build_service(cfg))))


@app.command()
def chat(
    config: ConfigOption = Path("config.toml"),
    user: Annotated[str, typer.Option(help="Your user id in the chat.")] = "console-user",
    name: Annotated[str, typer.Option(help="Your display name.")] = "Guest",
    admin: Annotated[bool, typer.Option(help="Chat as the console admin.")] = False,
    platform: Annotated[
        str,
        typer.Option(help="Talk as a person on this platform (console, telegram, whatsapp)."),
    ] = "console",
    database: Annotated[
        str | None,
        typer.Option(
            help="Chat on this database URL instead of chat's own (var/chat.sqlite3).",
            show_default=False,
        ),
    ] = None,
    use_config_database: Annotated[
        bool,
        typer.Option(
            help="Chat on the configured database; only your own rows are taken from its outbox."
        ),
    ] = False,
    language: Annotated[
        str | None,
        typer.Option(
            help="Speak en, ha, yo or ar from the first line (else the language menu comes first).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Talk to the bot in this terminal, through the same handlers the platforms use.

    The chat keeps its own database, var/chat.sqlite3, and never opens the configured one
    unless given --use-config-database (or --database). Whatever the database, it only
    takes outbox rows addressed to you; away from its own, --user must start with "console-".
    """
    from bot.logs import configure_logging
    from bot.tools.chat import run_chat

    cfg = _load(config)
    secrets = _secrets(cfg)
    configure_logging("WARNING", "text", secrets=secrets)
    with _reported(secrets, logged=True):
        asyncio.run(
            run_chat(
                cfg,
                user="console-admin" if admin else user,
                name=name,
                platform=platform,
                database=database,
                use_config_database=use_config_database,
                language=language,
            )
        )


@config_app.command("check")
def config_check(config: ConfigOption = Path("config.toml")) -> None:
    """Validate the configuration and the environment; exit non-zero on any problem."""
    from bot.config import check_config

    problems = check_config(config)
    if problems:
        # Problems never quote a secret's value; redacting anyway keeps that true by construction.
        redactor = RedactingFilter(_secrets())
        typer.echo(f"{config}: {len(problems)} problem(s)", err=True)
        for problem in problems:
            typer.echo(f"  {redactor.redact(problem)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{config}: ok")


@i18n_app.command("check")
def i18n_check() -> None:
    """Report untranslated, fuzzy or missing messages and broken placeholders; exit 1 if any."""
    from bot.i18n.check import check, extract, source_root

    template = extract(source_root())
    problems = check(template)
    if problems:
        typer.echo(f"{len(problems)} catalogue problem(s):", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)
    count = sum(1 for m in template if m.id)
    typer.echo(f"{count} messages, every language complete: ok")


StatusOption = Annotated[
    str | None,
    typer.Option(
        help="Only leads of this status (new, claimed, contacted, booked, lost).",
        show_default=False,
    ),
]
SinceOption = Annotated[
    str | None,
    typer.Option(help="Only leads created on or after this date (YYYY-MM-DD).", show_default=False),
]


def _lead_filters(status: str | None, since: str | None) -> tuple[Any, Any]:
    from datetime import UTC, datetime

    from bot.domain.leads import LeadStatus

    try:
        wanted = LeadStatus(status) if status else None
        start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError as exc:
        _fail(f"leads: {exc}")
    return wanted, start


@enquiry_app.command("link")
def enquiry_link(source: str, config: ConfigOption = Path("config.toml")) -> None:
    """Print the Telegram and WhatsApp links of one source, and a line to put under an ad."""
    from bot.feature_config import enquiry_settings
    from handlers.enquiries.links import telegram_link, whatsapp_link

    settings = enquiry_settings(_load(config))
    try:
        telegram, whatsapp = telegram_link(settings, source), whatsapp_link(settings, source)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(f"Telegram: {telegram or '(set telegram.bot_username for a t.me link)'}")
    typer.echo(f"WhatsApp: {whatsapp or '(WhatsApp is off: no wa.me link)'}")
    links = [
        f"{name} {link}" for name, link in (("WhatsApp", whatsapp), ("Telegram", telegram)) if link
    ]
    if links:
        typer.echo("Under the ad: Tap to enquire: " + " · ".join(links))


@leads_app.command("list")
def leads_list(
    config: ConfigOption = Path("config.toml"),
    status: StatusOption = None,
    since: SinceOption = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """Print the newest leads, one line each."""
    from bot.tools.leads import fetch, list_lines

    cfg = _load(config)
    wanted, start = _lead_filters(status, since)
    with _reported(_secrets(cfg), logged=False):
        found = asyncio.run(fetch(cfg.database.url, status=wanted, since=start, limit=limit))
    for line in list_lines(found) or ["no leads"]:
        typer.echo(line)


@leads_app.command("show")
def leads_show(reference: str, config: ConfigOption = Path("config.toml")) -> None:
    """Print one lead and its history."""
    from bot.tools.leads import fetch_one, show_lines

    cfg = _load(config)
    with _reported(_secrets(cfg), logged=False):
        found = asyncio.run(fetch_one(cfg.database.url, reference.upper()))
    if found is None:
        _fail(f"no lead {reference!r}", code=1)
    for line in show_lines(*found):
        typer.echo(line)


@leads_app.command("stats")
def leads_stats(config: ConfigOption = Path("config.toml"), since: SinceOption = None) -> None:
    """Print the leads per source and status (all time, or since a date)."""
    from bot.tools.leads import stats
    from handlers.enquiries.stats import stats_lines

    cfg = _load(config)
    _, start = _lead_filters(None, since)
    with _reported(_secrets(cfg), logged=False):
        counts = asyncio.run(stats(cfg.database.url, start))
    for line in stats_lines(counts, none="(no source)") or ["no leads"]:
        typer.echo(line)


@leads_app.command("purge")
def leads_purge(reference: str, config: ConfigOption = Path("config.toml")) -> None:
    """Delete one lead and its history now (a customer's request under the NDPA)."""
    from bot.tools.leads import purge

    cfg = _load(config)
    with _reported(_secrets(cfg), logged=False):
        gone = asyncio.run(purge(cfg.database.url, reference.upper()))
    if not gone:
        _fail(f"no lead {reference!r}", code=1)
    typer.echo(f"{reference.upper()} and its history deleted")


@leads_app.command("export")
def leads_export(
    config: ConfigOption = Path("config.toml"),
    csv_out: Annotated[bool, typer.Option("--csv", help="Write CSV (the only format).")] = True,
    output: Annotated[
        Path | None,
        typer.Option(help="Write to this file instead of the terminal.", show_default=False),
    ] = None,
    status: StatusOption = None,
    since: SinceOption = None,
) -> None:
    """Export leads as CSV: UTF-8 with BOM, one row per lead, formulas neutralised."""
    import sys

    from bot.tools.leads import fetch, write_csv

    cfg = _load(config)
    wanted, start = _lead_filters(status, since)
    with _reported(_secrets(cfg), logged=False):
        found = asyncio.run(fetch(cfg.database.url, status=wanted, since=start, limit=None))
    if output is None:
        write_csv(found, sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as out:
        rows = write_csv(found, out)
    typer.echo(f"{rows} leads written to {output}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = Path("config.toml")) -> None:
    """Apply every pending database migration."""
    from bot.storage.migrate import upgrade_database

    cfg = _load(config)
    with _reported(_secrets(cfg), logged=False):
        revision = asyncio.run(upgrade_database(cfg.database.url))
    typer.echo(f"database at revision {revision}")


@bench_app.command("outbox")
def bench_outbox(
    messages: Annotated[int, typer.Option(min=1, help="Messages to enqueue and drain.")] = 100_000,
    db_url: Annotated[
        str | None, typer.Option(help="Database URL (default: a temp SQLite file).")
    ] = None,
) -> None:
    """Enqueue N messages for N recipients and drain them through an instant channel."""
    from bot.tools.bench_outbox import format_bench, run_outbox_bench

    result = asyncio.run(run_outbox_bench(messages, db_url=db_url))
    typer.echo(format_bench(result))


@bench_app.command("relay")
def bench_relay(
    trials: Annotated[int, typer.Option(min=1, help="Independent trials.")] = 6,
    interval: Annotated[float, typer.Option(min=10, help="forum.poll_interval in seconds.")] = 10.0,
) -> None:
    """Measure feed-to-chat latency against a local server replaying the SMF captures."""
    from bot.logs import configure_logging
    from bot.tools.bench_relay import format_relay_bench, run_relay_bench

    configure_logging("WARNING", "text")
    typer.echo(format_relay_bench(asyncio.run(run_relay_bench(trials, interval))))


@bench_app.command("telegram")
def bench_telegram(
    recipients: Annotated[int, typer.Option(min=1, help="Private chats to message.")] = 3000,
    kill_at: Annotated[
        str | None,
        typer.Option(
            help="Shares of the fan-out (e.g. 0.3,0.5,0.8) at which to kill -9 the service "
            "and restart it on the same database."
        ),
    ] = None,
) -> None:
    """Send to N chats through the service against a fake Bot API with Telegram's limits."""
    from bot.logs import configure_logging
    from bot.tools.bench_platforms import format_platform_bench, run_platform_bench

    configure_logging("WARNING", "text")
    if kill_at is not None:
        from bot.tools.bench_kill import format_kill_bench, run_kill_bench

        try:
            shares = [float(part) for part in kill_at.split(",") if part.strip()]
        except ValueError:
            raise typer.BadParameter("--kill-at takes shares such as 0.3,0.5,0.8") from None
        if not shares or not all(0 < s < 1 for s in shares):
            raise typer.BadParameter("--kill-at shares must lie between 0 and 1")
        typer.echo(format_kill_bench(asyncio.run(run_kill_bench(recipients, shares))))
        return
    result = asyncio.run(run_platform_bench("telegram", recipients))
    typer.echo(format_platform_bench(result))


@bench_app.command("whatsapp")
def bench_whatsapp(
    recipients: Annotated[int, typer.Option(min=1, help="WhatsApp numbers to message.")] = 3000,
    platform_rate: Annotated[float, typer.Option(help="The fake sender's limit (msg/s).")] = 80.0,
    sender_rate: Annotated[float, typer.Option(help="whatsapp.rate.per_second.")] = 79.2,
) -> None:
    """Send to N numbers through the service against a fake Twilio API at a sender rate."""
    from bot.logs import configure_logging
    from bot.tools.bench_platforms import format_platform_bench, run_platform_bench

    configure_logging("WARNING", "text")
    result = asyncio.run(
        run_platform_bench(
            "whatsapp", recipients, platform_rate=platform_rate, sender_rate=sender_rate
        )
    )
    typer.echo(format_platform_bench(result))


def main() -> None:
    """Run the command line."""
    app(prog_name="minbar")


if __name__ == "__main__":
    main()
