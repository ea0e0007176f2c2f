"""Relay rules: which topics each destination watches or mutes (stored as data)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import select, text

from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError
from bot.domain.rules import CONFIG_AUTHOR, RelayRule, RuleSeedSpec
from bot.domain.rules import FILTERS as RULE_FILTERS
from bot.storage.db import Database
from bot.storage.models import DestinationRow, RelayRuleRow

FILTERS = frozenset(RULE_FILTERS)

_SEED_LOCK_KEY = 0x6D696E6261720003
"""pg_advisory_xact_lock id: two processes starting together must not both insert the seeds."""

_RuleKey = tuple[int, str, int | None, tuple[str, ...], tuple[str, ...]]


class RuleRepo:
    """Store and list relay rules."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def add(
        self,
        destination_id: int,
        filter: str,
        board_id: int | None,
        include: Sequence[str],
        exclude: Sequence[str],
        created_by: str,
    ) -> RelayRule:
        """Store a new rule and return it with its id."""
        if filter not in FILTERS:
            raise ValueError(f"filter {filter!r} is not 'watch' or 'mute'")
        async with self._db.write() as session:
            row = self._row(destination_id, filter, board_id, include, exclude, created_by)
            session.add(row)
            await session.flush()
            return to_rule(row)

    async def get(self, rule_id: int) -> RelayRule | None:
        """Return the rule with this id."""
        async with self._db.read() as session:
            row = await session.get(RelayRuleRow, rule_id)
            return to_rule(row) if row is not None else None

    async def remove(self, rule_id: int) -> bool:
        """Delete a rule; return whether it existed."""
        async with self._db.write() as session:
            row = await session.get(RelayRuleRow, rule_id)
            if row is None:
                return False
            await session.delete(row)
        return True

    async def for_destinations(self, ids: Iterable[int]) -> dict[int, list[RelayRule]]:
        """Return the rules of each given destination (every id is a key), oldest first."""
        wanted = list(dict.fromkeys(ids))
        found: dict[int, list[RelayRule]] = {i: [] for i in wanted}
        if not wanted:
            return found
        stmt = (
            select(RelayRuleRow)
            .where(RelayRuleRow.destination_id.in_(wanted))
            .order_by(RelayRuleRow.id)
        )
        async with self._db.read() as session:
            for row in (await session.scalars(stmt)).all():
                found[row.destination_id].append(to_rule(row))
        return found

    async def all(self) -> list[RelayRule]:
        """Return every rule, grouped by destination, oldest first."""
        stmt = select(RelayRuleRow).order_by(RelayRuleRow.destination_id, RelayRuleRow.id)
        async with self._db.read() as session:
            return [to_rule(r) for r in (await session.scalars(stmt)).all()]

    async def seed_from_config(self, seeds: Sequence[RuleSeedSpec]) -> list[RelayRule]:
        """Make the config-made rules equal ``seeds`` in one transaction; keep admins' rules.

        Call it after the destinations are synced: a seed applies to every active destination
        with its channel and chat id (all threads of a forum supergroup). Rules already equal
        to a seed keep their ids, so the ids admins see in /rules survive restarts. Returns the
        config rules now stored.

        Raises:
            ConfigError: a seed names no configured destination or an unknown filter.
        """
        for seed in seeds:
            if seed.filter not in FILTERS:
                raise ConfigError(f"relay.rules: filter {seed.filter!r} is not 'watch' or 'mute'")
        async with self._db.write() as session:
            if self._db.dialect == "postgresql":
                await session.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK_KEY}
                )
            targets: dict[tuple[str, str], list[int]] = {}
            active = select(DestinationRow).where(DestinationRow.active.is_(True))
            for dest in (await session.scalars(active.order_by(DestinationRow.id))).all():
                targets.setdefault((dest.channel, dest.chat_id), []).append(dest.id)
            wanted: Counter[_RuleKey] = Counter()
            for seed in seeds:
                ids = targets.get((seed.channel, seed.chat_id))
                if not ids:
                    raise ConfigError(
                        f"relay.rules: destination '{seed.channel}:{seed.chat_id}' is not "
                        "one of relay.destinations"
                    )
                for dest_id in ids:
                    include, exclude = tuple(seed.include), tuple(seed.exclude)
                    key = (dest_id, seed.filter, seed.board_id, include, exclude)
                    wanted[key] += 1
            existing = await session.scalars(
                select(RelayRuleRow)
                .where(RelayRuleRow.created_by == CONFIG_AUTHOR)
                .order_by(RelayRuleRow.id)
            )
            kept: list[RelayRuleRow] = []
            for row in existing.all():
                key = _key(row)
                if wanted[key] > 0:
                    wanted[key] -= 1
                    kept.append(row)
                else:
                    await session.delete(row)
            for (dest_id, filter_, board_id, include, exclude), count in wanted.items():
                for _ in range(count):
                    row = self._row(dest_id, filter_, board_id, include, exclude, CONFIG_AUTHOR)
                    session.add(row)
                    kept.append(row)
            await session.flush()
            return [to_rule(r) for r in sorted(kept, key=lambda r: r.id)]

    def _row(
        self,
        destination_id: int,
        filter: str,
        board_id: int | None,
        include: Sequence[str],
        exclude: Sequence[str],
        created_by: str,
    ) -> RelayRuleRow:
        return RelayRuleRow(
            destination_id=destination_id,
            filter=filter,
            board_id=board_id,
            include_keywords=list(include),
            exclude_keywords=list(exclude),
            created_by=created_by,
            created_at=self._clock.now(),
        )


def _key(row: RelayRuleRow) -> _RuleKey:
    return (
        row.destination_id,
        row.filter,
        row.board_id,
        tuple(str(w) for w in row.include_keywords),
        tuple(str(w) for w in row.exclude_keywords),
    )


def to_rule(row: RelayRuleRow) -> RelayRule:
    """Return the domain record of a stored rule."""
    return RelayRule(
        id=row.id,
        destination_id=row.destination_id,
        filter=row.filter,
        board_id=row.board_id,
        include=tuple(str(w) for w in row.include_keywords or ()),
        exclude=tuple(str(w) for w in row.exclude_keywords or ()),
        created_by=row.created_by,
        created_at=row.created_at,
    )
