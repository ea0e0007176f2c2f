"""Leads on the command line: the CSV opens cleanly in a spreadsheet, list and show read them."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.core.clock import FrozenClock
from bot.storage.db import Database
from bot.storage.migrate import upgrade_database
from bot.storage.repositories.leads import LeadRepo
from bot.tools.leads import COLUMNS, safe_cell, write_csv
from tests.dbfixtures import db
from tests.service_config import service_data, write_config
from tests.storage.test_leads_repo import DEC, enquiry

__all__ = ["db"]


def test_formula_cells_are_neutralised_and_phones_stay_text() -> None:
    """=, +, -, @, tab and CR starts get an apostrophe; other text is as typed."""
    assert [safe_cell(v) for v in ("=1+1", "+2348031234567", "-2", "@x", "\tA", "Ɗanlami")] == [
        "'=1+1",
        "'+2348031234567",
        "'-2",
        "'@x",
        "'\tA",
        "Ɗanlami",
    ]
    assert safe_cell(None) == ""


async def test_the_csv_has_a_bom_a_header_and_one_row_per_lead(db: Database) -> None:
    """UTF-8 with BOM, the documented columns, Hausa letters and emoji intact."""
    leads = LeadRepo(db, FrozenClock(DEC))
    await leads.create(enquiry(), "ATQ")
    hostile = replace(enquiry("+2348031234568"), full_name='=HYPERLINK("http://x","y")')
    await leads.create(hostile, "ATQ")
    out = io.StringIO()
    rows = write_csv(await leads.latest(None), out)
    text = out.getvalue()
    assert rows == 2
    assert text.startswith("\ufeffreference,status,created_at,")
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert table[0] == [name for name, _ in COLUMNS]
    newest, first = (
        dict(zip(table[0], table[1], strict=True)),
        dict(zip(table[0], table[2], strict=True)),
    )
    assert newest["name"] == '\'=HYPERLINK("http://x","y")'
    assert first["name"] == "Ɗanlami Ƙasim 🕋"
    assert first["phone"] == "'+2348031234567"
    assert (first["reference"], first["source"], first["travellers"]) == (
        "ATQ-2612-0001",
        "t42",
        "3",
    )


def test_the_cli_lists_shows_and_exports_leads(tmp_path: Path) -> None:
    """minbar leads list, show and export --csv --output read the configured database."""
    import asyncio

    data = service_data(tmp_path, web={"enabled": False})
    config = write_config(tmp_path / "minbar.toml", data)
    url = data["database"]["url"]

    async def seed() -> None:
        await upgrade_database(url)
        db = Database(url)
        try:
            await LeadRepo(db, FrozenClock(DEC)).create(enquiry(), "ATQ")
        finally:
            await db.dispose()

    asyncio.run(seed())
    runner = CliRunner()
    listed = runner.invoke(app, ["leads", "list", "--config", str(config)])
    assert listed.exit_code == 0, listed.output
    assert "ATQ-2612-0001  new" in listed.output
    shown = runner.invoke(app, ["leads", "show", "atq-2612-0001", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    assert "history:" in shown.output
    assert "created  whatsapp:+2348031234567  t42" in shown.output
    target = tmp_path / "leads.csv"
    exported = runner.invoke(
        app, ["leads", "export", "--csv", "--output", str(target), "--config", str(config)]
    )
    assert exported.exit_code == 0, exported.output
    assert exported.output.strip() == f"1 leads written to {target}"
    assert target.read_bytes().startswith(b"\xef\xbb\xbfreference,")
    missing = runner.invoke(app, ["leads", "show", "ATQ-0000-0000", "--config", str(config)])
    assert missing.exit_code == 1
    counted = runner.invoke(app, ["leads", "stats", "--config", str(config)])
    assert counted.exit_code == 0, counted.output
    assert counted.output.strip() == "t42: 1 (new 1)"
    purged = runner.invoke(app, ["leads", "purge", "atq-2612-0001", "--config", str(config)])
    assert purged.exit_code == 0, purged.output
    assert "ATQ-2612-0001 and its history deleted" in purged.output
    again = runner.invoke(app, ["leads", "show", "ATQ-2612-0001", "--config", str(config)])
    assert again.exit_code == 1


async def test_old_leads_are_deleted_with_their_history(db: Database) -> None:
    """Retention: a lead older than the cut-off goes, with its events; a newer one stays."""
    clock = FrozenClock(DEC)
    leads = LeadRepo(db, clock)
    old = await leads.create(enquiry(), "ATQ")
    clock.advance(10 * 86400)
    await leads.create(enquiry("+2348031234568"), "ATQ")
    assert await leads.prune(created_before=DEC + timedelta(days=1)) == 1
    assert await leads.get(old.ref) is None
    assert await leads.events(old.ref) == []
    assert len(await leads.latest()) == 1
