"""Relay rules: which topics each destination watches or mutes (stored as data)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, text

from bot.core.clock import Clock, SystemClock
from bot.core.errors import ConfigError
from bot.storage.db import Database
from bot.storage.models import Destination, RelayRule

CONFIG_AUTHOR = "config"
"""``created_by`` of rules seeded from config.toml; every other value is an admin's id."""
FILTERS = frozenset({"watch", "mute"})

_SEED_LOCK_KEY = 0x6D696E6261720003
"""pg_advisory_xact_lock id: two processes starting together must not both insert the seeds."""

_RuleKey = tuple[int, str, int | None, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class RuleSeedSpec:
    """One rule as the configuration describes it; the destination is named, not numbered."""

    channel: str
    chat_id: str
    filter: str = "watch"
    board_id: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_ref(
        cls,
        destination: str,
        filter: str = "watch",
        board_id: int | None = None,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
    ) -> RuleSeedSpec:
        """Build a seed from config's ``"<channel>:<chat_id>"`` destination reference."""
        channel, sep, chat_id = destination.partition(":")
        if not sep or not channel or not chat_id:
            raise ConfigError(
                f"relay.rules: destination {destination!r} must read '<channel>:<chat_id>'"
            )
        return cls(channel, chat_id, filter, board_id, tuple(include), tuple(exclude))


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
        return row

    async def get(self, rule_id: int) -> RelayRule | None:
        """Return the rule with this id."""
        async with self._db.read() as session:
            return await session.get(RelayRule, rule_id)

    async def remove(self, rule_id: int) -> bool:
        """Delete a rule; return whether it existed."""
        async with self._db.write() as session:
            row = await session.get(RelayRule, rule_id)
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
        stmt = select(RelayRule).where(RelayRule.destination_id.in_(wanted)).order_by(RelayRule.id)
        async with self._db.read() as session:
            for row in (await session.scalars(stmt)).all():
                found[row.destination_id].append(row)
        return found

    async def all(self) -> list[RelayRule]:
        """Return every rule, grouped by destination, oldest first."""
        stmt = select(RelayRule).order_by(RelayRule.destination_id, RelayRule.id)
        async with self._db.read() as session:
            return list((await session.scalars(stmt)).all())

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
            active = select(Destination).where(Destination.active.is_(True))
            for dest in (await session.scalars(active.order_by(Destination.id))).all():
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
                select(RelayRule)
                .where(RelayRule.created_by == CONFIG_AUTHOR)
                .order_by(RelayRule.id)
            )
            kept: list[RelayRule] = []
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
        return sorted(kept, key=lambda r: r.id)

    def _row(
        self,
        destination_id: int,
        filter: str,
        board_id: int | None,
        include: Sequence[str],
        exclude: Sequence[str],
        created_by: str,
    ) -> RelayRule:
        return RelayRule(
            destination_id=destination_id,
            filter=filter,
            board_id=board_id,
            include_keywords=list(include),
            exclude_keywords=list(exclude),
            created_by=created_by,
            created_at=self._clock.now(),
        )


def _key(row: RelayRule) -> _RuleKey:
    return (
        row.destination_id,
        row.filter,
        row.board_id,
        tuple(str(w) for w in row.include_keywords),
        tuple(str(w) for w in row.exclude_keywords),
    )
