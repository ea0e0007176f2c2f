"""Lead figures per source and status: where the enquiries come from and what became of them."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.leads import LeadStatus

STATUSES = tuple(s.value for s in LeadStatus)


def stats_table(counts: Mapping[tuple[str, str], int]) -> list[tuple[str, dict[str, int], int]]:
    """Return one row per source (busiest first): counts by status and the total."""
    by_source: dict[str, dict[str, int]] = {}
    for (source, status), n in counts.items():
        by_source.setdefault(source, dict.fromkeys(STATUSES, 0))[status] = n
    rows = [(source, row, sum(row.values())) for source, row in by_source.items()]
    return sorted(rows, key=lambda r: (-r[2], r[0]))


def stats_lines(counts: Mapping[tuple[str, str], int], none: str = "—") -> list[str]:
    """Return the table as text lines: source, total, then each status's count."""
    lines = []
    for source, row, total in stats_table(counts):
        parts = " · ".join(f"{status} {row[status]}" for status in STATUSES if row[status])
        lines.append(f"{source or none}: {total} ({parts})")
    return lines
