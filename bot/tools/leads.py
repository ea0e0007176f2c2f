"""Leads on the command line: list, show, and a CSV export that opens cleanly in a spreadsheet.

The CSV is UTF-8 with a byte-order mark (so Excel reads Hausa, Yoruba and Arabic letters),
one row per lead, in the columns of :data:`COLUMNS`. A cell that a spreadsheet would run as
a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
leading apostrophe; that also keeps ``+2348031234567`` as text instead of ``2.34803E+12``.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TextIO

from bot.domain.leads import Lead, LeadEvent, LeadStatus
from bot.storage.db import Database
from bot.storage.migrate import upgrade_database
from bot.storage.repositories.leads import LeadRepo

COLUMNS = (
    ("reference", "the lead's reference, e.g. ATQ-2612-0042"),
    ("status", "new, claimed, contacted, booked or lost"),
    ("created_at", "when it was confirmed (UTC, ISO 8601)"),
    ("channel", "telegram or whatsapp"),
    ("chat_id", "the customer's chat"),
    ("language", "the customer's language"),
    ("source", "the ad, promotion or topic it came from"),
    ("package", "the package key"),
    ("month", "when they want to travel"),
    ("travellers", "how many people"),
    ("name", "the customer's full name"),
    ("phone", "E.164, as text"),
    ("note", "what the customer added"),
    ("owner", "the agent who claimed it"),
    ("lost_reason", "why it was lost, when it was"),
)
"""The CSV columns, each with what it holds (``minbar leads export --help`` shows them)."""
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Return ``value`` as a CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_csv(leads: Iterable[Lead], out: TextIO) -> int:
    """Write the leads as CSV (BOM, header, one row each) to ``out``; return rows written."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    rows = 0
    for lead in leads:
        writer.writerow([safe_cell(v) for v in _values(lead)])
        rows += 1
    return rows


def list_lines(leads: Sequence[Lead]) -> list[str]:
    """Return one line per lead: reference, status, package, name, when, source."""
    return [
        f"{lead.ref}  {lead.status.value:<9}  {lead.package:<14}  {lead.full_name}  "
        f"{lead.created_at:%Y-%m-%d %H:%M}Z  {lead.source or '-'}"
        for lead in leads
    ]


def show_lines(lead: Lead, events: Sequence[LeadEvent]) -> list[str]:
    """Return one lead's fields and history, a line each."""
    lines = [f"{name}: {value}" for name, value in zip(_names(), _values(lead), strict=True)]
    lines.append("history:")
    lines += [f"  {e.at:%Y-%m-%d %H:%M}Z  {e.kind}  {e.by}  {e.detail}".rstrip() for e in events]
    return lines


@asynccontextmanager
async def _leads(url: str) -> AsyncIterator[LeadRepo]:
    """Yield the leads of the database at ``url``, migrated first, disposed after."""
    await upgrade_database(url)
    db = Database(url)
    try:
        yield LeadRepo(db)
    finally:
        await db.dispose()


async def fetch(
    url: str, *, status: LeadStatus | None, since: datetime | None, limit: int | None
) -> list[Lead]:
    """Return leads from the database at ``url``, newest first."""
    async with _leads(url) as leads:
        return list(await leads.latest(limit, status=status, since=since))


async def fetch_one(url: str, ref: str) -> tuple[Lead, list[LeadEvent]] | None:
    """Return one lead and its history, or None."""
    async with _leads(url) as leads:
        lead = await leads.get(ref)
        return None if lead is None else (lead, await leads.events(lead.ref))


async def stats(url: str, since: datetime | None) -> dict[tuple[str, str], int]:
    """Return the lead counts per (source, status) since ``since``."""
    async with _leads(url) as leads:
        return await leads.stats(since)


async def purge(url: str, ref: str) -> bool:
    """Delete one lead and its history; return whether it existed."""
    async with _leads(url) as leads:
        return await leads.purge(ref)


def _names() -> list[str]:
    return [name for name, _ in COLUMNS]


def _values(lead: Lead) -> list[object]:
    return [
        lead.ref,
        lead.status.value,
        lead.created_at.isoformat(),
        lead.channel,
        lead.chat_id,
        lead.language,
        lead.source,
        lead.package,
        lead.travel_month,
        lead.travellers,
        lead.full_name,
        lead.phone,
        lead.note,
        lead.owner,
        lead.lost_reason,
    ]
