"""The ``minbar`` command line: run, chat, config check, db upgrade, i18n check, bench.

The enquiry and lead commands are ``bot.cli_leads``; the helpers every command shares (the
config option, loading, failing and reporting without secrets) are ``bot.cli_support``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli_leads import enquiry_app, leads_app
from bot.cli_support import ConfigOption, load_or_fail, reported, secrets_of
from bot.logs import RedactingFilter

if TYPE_CHECKING:
    pass

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
app.add_typer(leads_app, name="leads")
app.add_typer(enquiry_app, name="enquiry")


@app.command()
def run(config: ConfigOption = Path("config.toml")) -> None:
    """Run the service: web server, channels, outbox, scheduler and forum poller."""
    from bot.app import build_service
    from bot.logs import configure_logging
    from bot.runtime import Runtime, run_until_stopped

    cfg = load_or_fail(config)
    secrets = secrets_of(cfg)
    configure_logging(cfg.service.log_level, cfg.service.log_format, secrets=secrets)

    async def main(runtime: Runtime) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runtime.request_stop)
        await run_until_stopped(runtime)

    with reported(secrets, logged=True):
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

    cfg = load_or_fail(config)
    secrets = secrets_of(cfg)
    configure_logging("WARNING", "text", secrets=secrets)
    with reported(secrets, logged=True):
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
        redactor = RedactingFilter(secrets_of())
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


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = Path("config.toml")) -> None:
    """Apply every pending database migration."""
    from bot.storage.migrate import upgrade_database

    cfg = load_or_fail(config)
    with reported(secrets_of(cfg), logged=False):
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
