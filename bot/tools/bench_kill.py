"""``minbar bench telegram --kill-at 0.3,0.5,0.8``: kill -9 the service mid-fan-out, restart it.

The fake Bot API runs in its own process as in the plain Telegram benchmark; the service runs
in a child process (``python -m bot.tools.bench_kill <config>``) on one SQLite file. When the
fake has accepted the given share of the messages the child is killed with SIGKILL and at once
started again on the same database. Per kill it prints the messages sent twice, the rows the
database recorded in flight at the kill (duplicates may not exceed them), the rows merely
claimed, and the time from the restart to the next accepted message.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.app import build_service
from bot.config import build_config
from bot.core.messages import bold, plain, text_message
from bot.domain.outbox import NewOutboxItem
from bot.runtime import Runtime
from bot.storage.db import Database
from bot.storage.migrate import upgrade_database
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.outbox_workers import OutboxWorkerRepo
from bot.tools.bench_platforms import ROOT, config_data, recipient_of, start_fake

RESUME_TARGET = 3.0


@dataclass(frozen=True, slots=True)
class KillRound:
    """What one kill did."""

    at: float
    accepted_at_kill: int
    in_flight: int
    claimed: int
    duplicates: int
    resume_seconds: float


@dataclass(frozen=True, slots=True)
class KillBenchResult:
    """The whole run: every kill, and the totals at the end."""

    recipients: int
    rounds: list[KillRound]
    accepted: int
    duplicates: int
    wall_seconds: float

    @property
    def lost(self) -> int:
        """Return how many recipients never got their message."""
        return self.recipients - (self.accepted - self.duplicates)


async def run_kill_bench(recipients: int, kill_at: Sequence[float]) -> KillBenchResult:
    """Fan out to ``recipients`` chats, killing and restarting the service at each share."""
    with tempfile.TemporaryDirectory(prefix="minbar-bench-kill-") as tmp:
        workdir = Path(tmp)
        fake, fake_url = await start_fake("telegram", recipients, 30.0, workdir)
        child: asyncio.subprocess.Process | None = None
        try:
            data, environ = config_data("telegram", fake_url, workdir, 0.0)
            data["outbox"] = {"poll_interval": 0.05, "batch_size": 200, "workers": 4}
            config_file = workdir / "service.json"
            config_file.write_text(json.dumps(data), encoding="utf-8")
            url = data["database"]["url"]
            await _enqueue(url, recipients)
            env = os.environ | environ
            started = time.monotonic()
            child = await _spawn(config_file, env, workdir)
            rounds: list[KillRound] = []
            async with httpx.AsyncClient(timeout=5) as client:
                for share in sorted(kill_at):
                    await _until_accepted(client, fake_url, int(recipients * share))
                    child.send_signal(signal.SIGKILL)
                    await child.wait()
                    before = await _stats(client, fake_url)
                    in_flight, claimed = await _leftovers(url)
                    restarted = time.monotonic()
                    child = await _spawn(config_file, env, workdir)
                    await _until_accepted(client, fake_url, int(before["accepted"]) + 1)
                    resume = time.monotonic() - restarted
                    rounds.append(
                        KillRound(
                            share,
                            int(before["accepted"]),
                            in_flight,
                            claimed,
                            int(before["duplicates"]),  # made per round below
                            resume,
                        )
                    )
                await _until_accepted(client, fake_url, recipients, unique=True)
                await asyncio.sleep(1.0)  # a late duplicate would show up now
                final = await _stats(client, fake_url)
            rounds = duplicates_per_kill(rounds, int(final["duplicates"]))
            wall = time.monotonic() - started
        finally:
            if child is not None and child.returncode is None:
                child.terminate()
                await asyncio.wait_for(child.wait(), timeout=30)
            fake.terminate()
            await asyncio.wait_for(fake.wait(), timeout=10)
    return KillBenchResult(
        recipients,
        rounds,
        int(final["accepted"]),
        int(final["duplicates"]),
        wall,
    )


def duplicates_per_kill(rounds: list[KillRound], total: int) -> list[KillRound]:
    """Turn the running duplicate counts taken at each kill into each kill's own share.

    A kill's repeats go out first after its restart (the rows it had in flight keep their
    place at the head of the queue), so they are counted before the next kill comes.
    """
    marks = [r.duplicates for r in rounds] + [total]
    return [
        KillRound(r.at, r.accepted_at_kill, r.in_flight, r.claimed, later - now, r.resume_seconds)
        for r, now, later in zip(rounds, marks, marks[1:], strict=False)
    ]


async def _enqueue(url: str, recipients: int) -> None:
    await upgrade_database(url)
    db = Database(url)
    try:
        items = [
            NewOutboxItem(
                f"bench:{index}",
                text_message(
                    recipient_of("telegram", index),
                    [bold("Ramadan Umrah"), plain(f" — offer {index} for you & family")],
                    kind="broadcast",
                ),
            )
            for index in range(recipients)
        ]
        await OutboxRepo(db).enqueue(items)
    finally:
        await db.dispose()


async def _leftovers(url: str) -> tuple[int, int]:
    """Return the rows in flight and the rows claimed (``sending``) the dead process left."""
    db = Database(url)
    try:
        in_flight = await OutboxWorkerRepo(db).in_flight()
        claimed = (await OutboxRepo(db).depth_by_status()).get("sending", 0)
    finally:
        await db.dispose()
    return in_flight, claimed


async def _spawn(
    config_file: Path, env: dict[str, str], workdir: Path
) -> asyncio.subprocess.Process:
    log = (workdir / "service.log").open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.tools.bench_kill",
            str(config_file),
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )
    finally:
        log.close()


async def _stats(client: httpx.AsyncClient, fake_url: str) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get(f"{fake_url}/_bench/stats")).json()
    return body


async def _until_accepted(
    client: httpx.AsyncClient, fake_url: str, count: int, *, unique: bool = False
) -> dict[str, Any]:
    deadline = time.monotonic() + 600
    while True:
        stats = await _stats(client, fake_url)
        have = int(stats["accepted"]) - (int(stats["duplicates"]) if unique else 0)
        if have >= count:
            return stats
        if time.monotonic() > deadline:
            raise RuntimeError(f"the fake accepted {have} of {count} messages in 10 minutes")
        await asyncio.sleep(0.02)


def format_kill_bench(result: KillBenchResult) -> str:
    """Return the printed report: per kill, and the totals."""
    ok = result.lost == 0 and all(
        r.duplicates <= r.in_flight and r.resume_seconds <= RESUME_TARGET for r in result.rounds
    )
    lines = [
        f"telegram kill benchmark: {result.recipients:,} recipients, kill -9 at "
        f"{', '.join(f'{r.at:.0%}' for r in result.rounds)} — {'OK' if ok else 'MISSED'}",
        "  kill at  accepted  in flight  claimed  duplicates  restart → next send",
    ]
    for r in result.rounds:
        lines.append(
            f"  {r.at:6.0%}  {r.accepted_at_kill:8,}  {r.in_flight:9}  {r.claimed:7}  "
            f"{r.duplicates:10}  {r.resume_seconds:6.2f} s"
        )
    lines += [
        f"  lost           {result.lost}  (target 0)",
        f"  duplicates     {result.duplicates} in all (target ≤ in flight, per kill)",
        f"  restart target ≤ {RESUME_TARGET:g} s from the new process's start to its first send",
        f"  wall time      {result.wall_seconds:.1f} s",
    ]
    return "\n".join(lines)


async def _serve(data: dict[str, Any]) -> None:
    """Run the service from a benchmark config until killed (the child's whole life)."""
    service = build_service(build_config(data, dict(os.environ)))
    runtime = Runtime(service, lead=False)
    await runtime.start()
    try:
        await asyncio.Event().wait()
    finally:
        await runtime.stop()


if __name__ == "__main__":
    asyncio.run(_serve(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
