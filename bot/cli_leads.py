"""``minbar enquiry link`` and ``minbar leads list|show|stats|purge|export``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli_support import ConfigOption, fail, load_or_fail, reported, secrets_of

leads_app = typer.Typer(no_args_is_help=True, help="Enquiry leads: list, show, export.")
enquiry_app = typer.Typer(no_args_is_help=True, help="Links into the enquiry.")

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
        fail(f"leads: {exc}")
    return wanted, start


@enquiry_app.command("link")
def enquiry_link(source: str, config: ConfigOption = Path("config.toml")) -> None:
    """Print the Telegram and WhatsApp links of one source, and a line to put under an ad."""
    from bot.feature_config import enquiry_settings
    from handlers.enquiries.links import telegram_link, whatsapp_link

    settings = enquiry_settings(load_or_fail(config))
    try:
        telegram, whatsapp = telegram_link(settings, source), whatsapp_link(settings, source)
    except ValueError as exc:
        fail(str(exc))
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

    cfg = load_or_fail(config)
    wanted, start = _lead_filters(status, since)
    with reported(secrets_of(cfg), logged=False):
        found = asyncio.run(fetch(cfg.database.url, status=wanted, since=start, limit=limit))
    for line in list_lines(found) or ["no leads"]:
        typer.echo(line)


@leads_app.command("show")
def leads_show(reference: str, config: ConfigOption = Path("config.toml")) -> None:
    """Print one lead and its history."""
    from bot.tools.leads import fetch_one, show_lines

    cfg = load_or_fail(config)
    with reported(secrets_of(cfg), logged=False):
        found = asyncio.run(fetch_one(cfg.database.url, reference.upper()))
    if found is None:
        fail(f"no lead {reference!r}", code=1)
    for line in show_lines(*found):
        typer.echo(line)


@leads_app.command("stats")
def leads_stats(config: ConfigOption = Path("config.toml"), since: SinceOption = None) -> None:
    """Print the leads per source and status (all time, or since a date)."""
    from bot.tools.leads import stats
    from handlers.enquiries.stats import stats_lines

    cfg = load_or_fail(config)
    _, start = _lead_filters(None, since)
    with reported(secrets_of(cfg), logged=False):
        counts = asyncio.run(stats(cfg.database.url, start))
    for line in stats_lines(counts, none="(no source)") or ["no leads"]:
        typer.echo(line)


@leads_app.command("purge")
def leads_purge(reference: str, config: ConfigOption = Path("config.toml")) -> None:
    """Delete one lead and its history now (a customer's request under the NDPA)."""
    from bot.tools.leads import purge

    cfg = load_or_fail(config)
    with reported(secrets_of(cfg), logged=False):
        gone = asyncio.run(purge(cfg.database.url, reference.upper()))
    if not gone:
        fail(f"no lead {reference!r}", code=1)
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

    cfg = load_or_fail(config)
    wanted, start = _lead_filters(status, since)
    with reported(secrets_of(cfg), logged=False):
        found = asyncio.run(fetch(cfg.database.url, status=wanted, since=start, limit=None))
    if output is None:
        write_csv(found, sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as out:
        rows = write_csv(found, out)
    typer.echo(f"{rows} leads written to {output}")
