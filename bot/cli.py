"""The ``minbar`` command line: run, chat, config check, db upgrade, bench."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated

import typer

from bot.core.errors import BotError, ConfigError

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Minbar: SMF forum ↔ Telegram & WhatsApp."
)
config_app = typer.Typer(no_args_is_help=True, help="Configuration tools.")
db_app = typer.Typer(no_args_is_help=True, help="Database tools.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print their figures.")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(bench_app, name="bench")

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Path of config.toml.", show_default=True)
]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"minbar: {message}", err=True)
    raise typer.Exit(code)


def _load(path: Path):  # type: ignore[no-untyped-def]
    from bot.config import load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        _fail(f"invalid configuration in {path}:\n{exc}")


@app.command()
def run(config: ConfigOption = Path("config.toml")) -> None:
    """Run the service: web server, channels, outbox, scheduler and forum poller."""
    from bot.app import build_service
    from bot.logs import configure_logging
    from bot.runtime import Runtime, run_until_stopped

    cfg = _load(config)
    configure_logging(cfg.service.log_level, cfg.service.log_format, secrets=_secrets(cfg))
    runtime = Runtime(build_service(cfg))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runtime.request_stop)
        await run_until_stopped(runtime)

    try:
        asyncio.run(main())
    except BotError as exc:
        _fail(str(exc))


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
) -> None:
    """Talk to the bot in this terminal, through the same handlers the platforms use."""
    from bot.logs import configure_logging
    from bot.tools.chat import run_chat

    cfg = _load(config)
    configure_logging("WARNING", "text", secrets=_secrets(cfg))
    try:
        asyncio.run(
            run_chat(cfg, user="console-admin" if admin else user, name=name, platform=platform)
        )
    except BotError as exc:
        _fail(str(exc))


@config_app.command("check")
def config_check(config: ConfigOption = Path("config.toml")) -> None:
    """Validate the configuration and the environment; exit non-zero on any problem."""
    from bot.config import check_config

    problems = check_config(config)
    if problems:
        typer.echo(f"{config}: {len(problems)} problem(s)", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{config}: ok")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = Path("config.toml")) -> None:
    """Apply every pending database migration."""
    from bot.storage.migrate import upgrade_database

    cfg = _load(config)
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
) -> None:
    """Send to N chats through the service against a fake Bot API with Telegram's limits."""
    from bot.logs import configure_logging
    from bot.tools.bench_platforms import format_platform_bench, run_platform_bench

    configure_logging("WARNING", "text")
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


def _secrets(cfg: object) -> list[str]:
    found: list[str] = []
    for section in ("telegram", "twilio"):
        part = getattr(cfg, section, None)
        for key in ("token", "webhook_secret", "account_sid", "auth_token"):
            value = getattr(part, key, None)
            if value is not None:
                found.append(value.get_secret_value())
    return found


def main() -> None:
    """Run the command line."""
    app(prog_name="minbar")


if __name__ == "__main__":
    main()
