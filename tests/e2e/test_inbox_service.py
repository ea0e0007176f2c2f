"""The inbound guarantee through the whole service: stored before acknowledged, handled once.

A second writer holds the SQLite lock while a message is handled; a process is killed between
its answer to Twilio and the handling; a status callback outlives a crash; a platform delivers
the same update again to the next process.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from bot.channels.whatsapp.webhook import INBOUND_PATH, STATUS_PATH
from bot.domain.inbox import InboxState
from bot.domain.topics import Topic
from bot.storage.db import Database
from bot.storage.repositories.inbox import InboxRepo
from tests.e2e.conftest import (
    AUTH,
    SECRETS,
    SID,
    TOKEN,
    WEBHOOK_SECRET,
    Harness,
    eventually,
    running_service,
)
from tests.fakes.telegram_api import FakeTelegramApi
from tests.fakes.twilio_api import DEFAULT_SENDER, FakeTwilioApi
from tests.service_config import service_data

ROOT = Path(__file__).resolve().parents[2]
CRASH_SCRIPT = Path(__file__).with_name("crash_after_ack.py")
AMINA = "+2348030000001"
BUSY_TIMEOUT = 5.0
"""bot/storage/db.py sets ``PRAGMA busy_timeout=5000``; no config key lowers it."""
GREETING = "Salaam! I am the Minbar bot."
"""How the answer to a first "hello" begins."""


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilioApi]:
    """A fake Twilio account."""
    async with FakeTwilioApi.running(SID, AUTH) as api:
        yield api


def inbound_form(sid: str, body: str = "hello") -> dict[str, str]:
    """Return the form Twilio posts when Amina writes ``body`` (message ``sid``)."""
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": SID,
        "From": f"whatsapp:{AMINA}",
        "To": DEFAULT_SENDER,
        "Body": body,
        "NumMedia": "0",
        "ProfileName": "Amina",
        "WaId": AMINA.lstrip("+"),
        "ApiVersion": "2010-04-01",
    }


def status_form(sid: str, status: str) -> dict[str, str]:
    """Return the status callback Twilio posts for our message ``sid``."""
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": SID,
        "From": DEFAULT_SENDER,
        "To": f"whatsapp:{AMINA}",
        "ChannelPrefix": "whatsapp",
        "ApiVersion": "2010-04-01",
    }


def database_file(tmp_path: Path) -> Path:
    """Return the SQLite file every service of a test shares (see running_service)."""
    return tmp_path / "minbar.db"


async def crash_after_ack(
    tmp_path: Path, fake: FakeTwilioApi, path: str, form: dict[str, str]
) -> str:
    """Run a process that answers one signed webhook and is SIGKILLed; return its answer."""
    config: dict[str, Any] = service_data(tmp_path)
    config.update(
        relay={"destinations": []},
        telegram={"mode": "off"},
        whatsapp={"mode": "live"},
        twilio={"api_base_url": fake.base_url},
    )
    spec = {"config": config, "environ": SECRETS, "path": path, "form": form}
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINBAR_")}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(CRASH_SCRIPT)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    return done.stdout.strip()


async def inbox_state(tmp_path: Path, platform: str, ref: str) -> InboxState | None:
    """Return where the stored item is, read through its own connection."""
    db = Database(f"sqlite+aiosqlite:///{database_file(tmp_path)}")
    try:
        return await InboxRepo(db).state_of(platform, ref)
    finally:
        await db.dispose()


class SecondWriter:
    """Another connection to the service's SQLite file that takes the write lock mid-handling.

    Armed for one inbox row, it looks at every transaction the service begins; at the first
    one after that row was leased (the handling's first) it takes the lock, or, when one of
    the service's other writers is mid-transaction, takes it from a thread the moment that
    writer commits. It holds the lock for ``hold`` seconds, past the service's busy timeout.
    """

    def __init__(self, path: Path, ref: str, hold: float) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
        self._ref = ref
        self._hold = hold
        self._mutex = threading.Lock()
        self._taking = False
        self.locked = threading.Event()
        self.released = threading.Event()

    def on_begin(self, conn: Connection) -> None:
        """Take the lock once the armed row is leased (runs before the service's BEGIN)."""
        with self._mutex:
            if self._taking or not self._leased():
                return
            self._taking = True
            locked = self._try_lock()
        if locked:
            threading.Thread(target=self._hold_then_release).start()
        else:
            threading.Thread(target=self._lock_hold_release).start()

    def _leased(self) -> bool:
        try:
            row = self._conn.execute(
                "SELECT lease_until FROM inbox WHERE provider_ref = ? AND state = 'pending'",
                (self._ref,),
            ).fetchone()
        except sqlite3.OperationalError:
            return False  # the file is busy for a moment (a checkpoint): look again next time
        return row is not None and row[0] is not None

    def _try_lock(self) -> bool:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        self.locked.set()
        return True

    def _lock_hold_release(self) -> None:
        while True:
            with self._mutex:
                if self._try_lock():
                    break
            time.sleep(0)
        self._hold_then_release()

    def _hold_then_release(self) -> None:
        time.sleep(self._hold)
        with self._mutex:
            self._conn.execute("COMMIT")
        self.released.set()

    def row(self) -> tuple[str, int, str | None]:
        """Return the armed row's state, attempts and last error."""
        with self._mutex:
            found = self._conn.execute(
                "SELECT state, attempts, last_error FROM inbox WHERE provider_ref = ?",
                (self._ref,),
            ).fetchone()
        return found[0], found[1], found[2]

    def close(self) -> None:
        """Wait for the release, then close the connection."""
        if self._taking:
            self.released.wait(timeout=30)
        self._conn.close()


class QuietForum:
    """A forum with no topics: no relay writes crowd the handling a test watches."""

    async def fetch_topics(self, limit: int) -> list[Topic]:
        """Return no topics."""
        return []

    async def aclose(self) -> None:
        """Release nothing."""


@pytest.fixture
def watch_begins() -> Iterator[list[tuple[Any, SecondWriter]]]:
    """Detach every SecondWriter from its engine and close it at the end."""
    attached: list[tuple[Any, SecondWriter]] = []
    yield attached
    for engine, writer in attached:
        event.remove(engine, "begin", writer.on_begin)
        writer.close()


async def test_a_second_writer_holding_the_lock_during_handling_loses_no_reply(
    tmp_path: Path, fake: FakeTwilioApi, watch_begins: list[tuple[Any, SecondWriter]]
) -> None:
    """The handling meets a lock held past the busy timeout; it is retried and answered once."""
    sid = "SM" + secrets.token_hex(16)
    ref = f"whatsapp:msg:{sid}"
    async with running_service(tmp_path, twilio=fake, source=QuietForum()) as h:
        writer = SecondWriter(database_file(tmp_path), ref, hold=BUSY_TIMEOUT + 2)
        engine = h.service.db.engine.sync_engine
        event.listen(engine, "begin", writer.on_begin, insert=True)
        watch_begins.append((engine, writer))
        answer = await fake.send_inbound(h.inbound_url, AMINA, "hello", MessageSid=sid)
        await eventually(writer.locked.is_set, what="the second writer's lock")
        await eventually(lambda: bool(h.twilio_to(AMINA)), within=30, what="the reply")
        await eventually(h.settled, within=10, what="outbox settled")
        await asyncio.to_thread(writer.released.wait, 30)
        state, attempts, last_error = writer.row()
    assert answer.status_code == 200
    [reply] = h.twilio_to(AMINA)
    assert reply["Body"].startswith(GREETING)
    assert (state, attempts) == ("done", 2)
    assert last_error is not None
    assert "database is locked" in last_error


@pytest.mark.slow
async def test_a_message_acknowledged_before_a_kill_is_answered_by_the_next_process(
    tmp_path: Path, fake: FakeTwilioApi
) -> None:
    """Twilio heard 200, then the process died; the next answers once, a redelivery included."""
    sid = "SM" + secrets.token_hex(16)
    ref = f"whatsapp:msg:{sid}"
    fake.set_last_inbound(AMINA, fake.clock.now())  # Amina wrote: the reply is in the window
    assert await crash_after_ack(tmp_path, fake, INBOUND_PATH, inbound_form(sid)) == "200"
    assert await inbox_state(tmp_path, "whatsapp", ref) is InboxState.PENDING
    async with running_service(tmp_path, twilio=fake) as h:
        await eventually(lambda: bool(h.twilio_to(AMINA)), what="the reply")
        again = await fake.send_inbound(h.inbound_url, AMINA, "hello", MessageSid=sid)
        await fake.send_inbound(h.inbound_url, AMINA, "/chatid")
        await eventually(lambda: len(h.twilio_to(AMINA)) >= 2, what="the /chatid reply")
        await eventually(h.settled, what="outbox settled")
        state = await h.service.ctx.repos.inbox.state_of("whatsapp", ref)
    assert again.status_code == 200
    bodies = [m["Body"] for m in h.twilio_to(AMINA)]
    assert bodies[0].startswith(GREETING)
    assert bodies[1:] == [f"This chat is *whatsapp:{AMINA}* (private)."]
    assert state is InboxState.DONE


async def _reply_status(h: Harness, status: str) -> bool:
    rows = await h.rows_for(AMINA)
    return bool(rows) and rows[0].provider_status == status


@pytest.mark.slow
async def test_a_status_callback_acknowledged_before_a_kill_is_applied_by_the_next_process(
    tmp_path: Path, fake: FakeTwilioApi
) -> None:
    """A "read" callback answered 204 by a process that then died moves the row afterwards."""
    async with running_service(tmp_path, twilio=fake) as h:
        await fake.send_inbound(h.inbound_url, AMINA, "hello")
        await eventually(lambda: _reply_status(h, "delivered"), what="the reply delivered")
        await eventually(h.settled, what="outbox settled")
    [reply] = fake.messages
    ref = f"{reply.sid}:read:"
    assert (
        await crash_after_ack(tmp_path, fake, STATUS_PATH, status_form(reply.sid, "read")) == "204"
    )
    assert await inbox_state(tmp_path, "reports", ref) is InboxState.PENDING
    async with running_service(tmp_path, twilio=fake) as h:
        await eventually(lambda: _reply_status(h, "read"), what="the stored report applied")
        state = await h.service.ctx.repos.inbox.state_of("reports", ref)
    assert state is InboxState.DONE


async def test_a_telegram_update_redelivered_to_the_next_process_is_handled_once(
    tmp_path: Path,
) -> None:
    """An update one process answered and Telegram delivers again to its successor: one reply."""
    user = 502
    environ = {"MINBAR_TELEGRAM__WEBHOOK_SECRET": WEBHOOK_SECRET}
    async with FakeTelegramApi.running(TOKEN) as telegram:
        telegram.add_private_chat(user, "Amina")
        options: dict[str, Any] = {"telegram": telegram, "telegram_webhook": True}
        async with running_service(tmp_path, environ=environ, **options) as h:
            first = telegram.push_message(user, user, "/start")
            await eventually(lambda: bool(h.sent_to(user)), what="a reply to /start")
            await eventually(h.settled, what="outbox settled")
        async with running_service(tmp_path, environ=environ, **options) as h:
            assert await telegram.redeliver_last() == 200
            telegram.push_message(user, user, "/chatid")
            await eventually(lambda: len(h.sent_to(user)) >= 2, what="a reply to /chatid")
            await eventually(h.settled, what="outbox settled")
            state = await h.service.ctx.repos.inbox.state_of("telegram", f"telegram:update:{first}")
        texts = [m.text for m in telegram.sent if m.chat_id == user]
    assert [d.update_id for d in telegram.webhook_deliveries].count(first) == 2
    assert len(texts) == 2
    assert "Assalamu alaikum, Amina!" in texts[0]
    assert texts[1] == f"This chat is telegram:{user} (private)."
    assert state is InboxState.DONE
