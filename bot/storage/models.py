"""SQLAlchemy 2 typed models: the tables Minbar owns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC (naive on SQLite, which keeps no offset)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UtcDateTime(),
    }


class OutboxRow(Base):
    """One message to send: written first, then sent under the rate limits."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(64))
    chat_kind: Mapped[str] = mapped_column(String(16))
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    rate_key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    send_started_at: Mapped[datetime | None]
    """Set, durably, just before the send of the current claim: the row is then in flight."""
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_status: Mapped[str | None] = mapped_column(String(16))
    error_key: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    broadcast_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True
    )
    topic_id: Mapped[int | None] = mapped_column(BigInteger)
    subscriber_id: Mapped[int | None] = mapped_column(BigId)
    destination_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_rate_key_status", "rate_key", "status"),
    )


class OutboxWorkerRow(Base):
    """A running outbox worker (one per process start); its liveness is a lock, not this row."""

    __tablename__ = "outbox_workers"

    worker_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]


class DestinationRow(Base):
    """A Telegram channel or group (or any chat) that topics are relayed to."""

    __tablename__ = "destinations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(64))
    chat_kind: Mapped[str] = mapped_column(String(16))
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200), default="")
    boards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    error_key: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    paused_at: Mapped[datetime | None]
    """Set by an admin's /pause; unlike ``active``, the config sync leaves it alone."""
    paused_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("channel", "chat_id", "thread_id", name="uq_destination"),)


class SubscriberRow(Base):
    """A person (or group) who asked for topic alerts or promotions."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(64))
    chat_kind: Mapped[str] = mapped_column(String(16), default="private")
    display_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(64))
    opted_out_at: Mapped[datetime | None]
    opt_in_at: Mapped[datetime | None]
    opt_in_source: Mapped[str | None] = mapped_column(String(64))
    last_inbound_at: Mapped[datetime | None]
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_subscriber"),)


class ForumTopicRow(Base):
    """A forum topic Minbar has seen, and what it decided about it."""

    __tablename__ = "forum_topics"

    topic_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    board_id: Mapped[int | None] = mapped_column(BigInteger)
    board_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(500))
    link: Mapped[str] = mapped_column(String(500))
    posted_at: Mapped[datetime]
    first_seen_at: Mapped[datetime]
    decision: Mapped[str] = mapped_column(String(32))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    author: Mapped[str | None] = mapped_column(String(200))
    body_html: Mapped[str | None] = mapped_column(Text)
    """The feed's teaser, kept so a topic held for review can be relayed later as it was."""


class RelayRuleRow(Base):
    """A routing rule: which topics one destination watches or mutes (precedence in handlers)."""

    __tablename__ = "relay_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    destination_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("destinations.id", ondelete="CASCADE"), index=True
    )
    filter: Mapped[str] = mapped_column(String(8))
    """``watch`` or ``mute``."""
    board_id: Mapped[int | None] = mapped_column(BigInteger)
    """None matches every board."""
    include_keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    exclude_keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64), default="config")
    created_at: Mapped[datetime]


class DialogRow(Base):
    """Where one chat is in a multi-step conversation; lives here so both platforms share it."""

    __tablename__ = "dialogs"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Choices last offered (label and data), so a typed number picks one."""
    prompt_ref: Mapped[str | None] = mapped_column(String(200))
    """Outbox idempotency key of the last prompt (a step may edit it in place)."""
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class InboxRow(Base):
    """One inbound item as the platform sent it, stored before the platform is answered.

    ``kind`` is ``message`` (handled in order per ``chat_key``), ``report`` (a delivery
    report, applied in batches) or ``unreadable`` (kept for the record, never handled).
    ``(platform, provider_ref)`` is unique for as long as the row is kept, so a redelivered
    update or ``MessageSid`` is stored, and handled, once.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "provider_ref"),
        Index("ix_inbox_due", "state", "kind", "next_attempt_at"),
        Index("ix_inbox_chat", "chat_key", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    chat_key: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(index=True)
    handled_at: Mapped[datetime | None] = mapped_column(default=None)


class BroadcastRow(Base):
    """An admin-scheduled promotion; its outbox rows share its progress and report."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    send_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    whatsapp_template_kind: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ServiceStateRow(Base):
    """Small named facts the service keeps between runs (last poll, alerts raised)."""

    __tablename__ = "service_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class LateTopicRow(Base):
    """A topic id below the newest seen that no feed listed yet: maybe approved later."""

    __tablename__ = "relay_late_topics"

    topic_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    noticed_at: Mapped[datetime]
    """When the id was first found missing; the horizon counts from here."""
    last_probed_at: Mapped[datetime | None]
    probes: Mapped[int] = mapped_column(Integer, default=0)


class DeliveryProblemRow(Base):
    """A permanent failure, deactivation or skipped message, kept until the admins are told."""

    __tablename__ = "delivery_problems"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(64))
    destination_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(16))
    """``failed``, ``deactivated`` or ``skipped``."""
    message_kind: Mapped[str | None] = mapped_column(String(32))
    """The outbox kind of the message concerned, when one is (``topic``, ``admin_alert``…)."""
    error_key: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime]
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_delivery_problems_alerted", "alerted", "id"),)


class LeadRow(Base):
    """An enquiry a customer confirmed: their answers, where they came from, and its status."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    source: Mapped[str | None] = mapped_column(String(64))
    package: Mapped[str] = mapped_column(String(64))
    travel_month: Mapped[str] = mapped_column(String(64))
    travellers: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str | None] = mapped_column(String(100))
    """The agent who claimed it (their configured name)."""
    lost_reason: Mapped[str | None] = mapped_column(String(500))
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    """How many times the unclaimed lead was passed on (next agent, then the admins)."""
    escalated_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_leads_chat", "channel", "chat_id", "created_at"),)


class LeadEventRow(Base):
    """One change of a lead: who did what, when (created, claimed, status changes)."""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lead_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("leads.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime]


class LeadSequenceRow(Base):
    """The last reference number given out in one month (``2612`` → 42)."""

    __tablename__ = "lead_sequences"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
