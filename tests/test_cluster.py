"""Several Minbar processes on one PostgreSQL: one leader, shared outbox, takeover."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from bot.core.clock import SystemClock
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient, text_message
from bot.domain.outbox import NewOutboxItem
from bot.storage.db import Database
from bot.storage.repositories.outbox import OutboxRepo
from tests.dbfixtures import pg_url, require_pg
from tests.service_config import service_data, write_config

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
HEADER = re.compile(r"^── (\w+) → (\S+) .*\n(.*)$", re.MULTILINE)


@pytest.fixture
async def cluster_db_url() -> AsyncIterator[str]:
    """A brand-new PostgreSQL database for the processes, dropped afterwards."""
    base = await require_pg()
    name = f"minbar_cluster_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield base.rsplit("/", 1)[0] + f"/{name}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class Node:
    """One `minbar run` process with its own port and console file."""

    def __init__(self, name: str, tmp_path: Path, db_url: str) -> None:
        self.name = name
        self.port = _free_port()
        self.console = tmp_path / f"{name}-console.txt"
        self.log = tmp_path / f"{name}.log"
        data = service_data(
            tmp_path,
            database={"url": db_url},
            web={"port": self.port},
            console={"output": str(self.console)},
            cluster={"leader_check_interval": 1.0},
            forum={"poll_interval": 10.0},
        )
        self.config = write_config(tmp_path / f"{name}.toml", data)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process and wait until /healthz answers."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MINBAR_")}
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, f"{self.name} did not come up"
            time.sleep(0.1)

    def logs(self) -> str:
        """Return what the process logged so far."""
        return self.log.read_text(errors="replace")

    def sent(self) -> list[tuple[str, str, str]]:
        """Return (channel, chat, first line) of every message this process printed."""
        text = self.console.read_text() if self.console.exists() else ""
        return HEADER.findall(text)

    def kill(self) -> None:
        """Kill the process without any chance to clean up (a crash)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop the process if it still runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def nodes(tmp_path: Path, cluster_db_url: str) -> Iterator[list[Node]]:
    """Two service processes sharing one PostgreSQL database."""
    pair = [Node("a", tmp_path, cluster_db_url), Node("b", tmp_path, cluster_db_url)]
    yield pair
    for node in pair:
        node.stop()


async def _wait(predicate, within: float, what: str) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > within:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def test_two_processes_share_the_work_and_one_takes_over(
    nodes: list[Node], cluster_db_url: str
) -> None:
    """One leader polls; both send; no row goes out twice; the follower leads within 30 s."""
    a, b = nodes
    a.start()
    await _wait(lambda: "This process leads" in a.logs(), 15, "a to lead")
    b.start()
    await _wait(lambda: "Another process leads" in b.logs(), 15, "b to follow")
    assert "This process leads" not in b.logs()

    db = Database(cluster_db_url)
    try:
        repo = OutboxRepo(db, SystemClock())
        items = [
            NewOutboxItem(
                f"load:{i}",
                text_message(
                    Recipient(ChannelName("console"), ChatId(f"user{i}"), ChatKind.PRIVATE),
                    f"message {i}",
                ),
            )
            for i in range(300)
        ]
        assert await repo.enqueue(items) == 300
        assert await repo.enqueue(items[:50]) == 0  # the same keys again are ignored
        await _wait(lambda: len(a.sent()) + len(b.sent()) >= 305, 60, "all messages sent")
        await asyncio.sleep(1.0)  # let any duplicate show itself
        everything = Counter(a.sent() + b.sent())
        assert [key for key, n in everything.items() if n > 1] == []
        load = [line for channel, _, line in everything if channel == "console"]
        assert sorted(load) == sorted(f"message {i}" for i in range(300))
        topics = [chat for channel, chat, _ in a.sent() + b.sent() if channel == "telegram"]
        assert topics == ["@attaqwaa_demo"] * 5  # the leader relayed the feed once

        a.kill()
        took = await _wait(lambda: "This process leads" in b.logs(), 30, "b to take over")
        assert took <= 30
    finally:
        await db.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_cluster_database_url_points_at_postgresql() -> None:
    """The cluster test talks to PostgreSQL, never to SQLite."""
    assert pg_url().startswith("postgresql+asyncpg://")
