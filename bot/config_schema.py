"""The typed shape of config.toml: sections, defaults and the checks of single keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    field_validator,
)

from bot.config_base import (
    E164,
    SAMPLE_DATA_DIR,
    PhoneNumber,
    PositiveId,
    Section,
    _http_url,
)
from bot.config_enquiries import EnquirySettings
from bot.config_platforms import (
    LINK_PREVIEW_DEFAULTS,
    TelegramRateSettings,
    TelegramSettings,
    TwilioSettings,
    WhatsAppRateSettings,
    WhatsAppSettings,
    WhatsAppTemplate,
)
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient

__all__ = [
    "E164",
    "LINK_PREVIEW_DEFAULTS",
    "CalendarSettings",
    "Config",
    "DisplaySettings",
    "InboxSettings",
    "TelegramRateSettings",
    "TelegramSettings",
    "TwilioSettings",
    "WhatsAppRateSettings",
    "WhatsAppSettings",
    "WhatsAppTemplate",
]


class ServiceSettings(Section):
    """[service]: identity, time zone, logging and shutdown."""

    name: str = Field("Minbar", min_length=1)
    timezone: str = "Africa/Lagos"
    data_dir: str = Field("var", min_length=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    shutdown_timeout: float = Field(10.0, ge=1, le=60)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f'unknown time zone "{value}"; use an IANA name such as "Africa/Lagos"'
            ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def tz(self) -> ZoneInfo:
        """Return the configured time zone."""
        return ZoneInfo(self.timezone)

    @property
    def data_path(self) -> Path:
        """Return the data directory as a path (relative to the working directory)."""
        return Path(self.data_dir)


class DisplaySettings(Section):
    """[display]: the language of people who have not chosen one, and Hijri dates."""

    default_language: Literal["en", "ha", "yo", "ar"] = "en"
    ask_language: bool = True
    hijri_dates: bool = False


class InboxSettings(Section):
    """[inbox]: how fast one private chat may write before it is paused."""

    per_chat_per_minute: int = Field(20, ge=1, le=600)


class CalendarSettings(Section):
    """[calendar]: the local moon sighting's difference from Umm al-Qura, in days."""

    hijri_offset_days: int = Field(0, ge=-2, le=2)


class DatabaseSettings(Section):
    """[database]: where state lives."""

    # repr=False: a PostgreSQL URL may carry a password.
    url: str = Field("sqlite+aiosqlite:///var/minbar.db", repr=False)
    migrate_on_start: bool = True
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _supported_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError('must start with "sqlite+aiosqlite://" or "postgresql+asyncpg://"')
        return value

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the database is SQLite."""
        return self.url.startswith("sqlite")

    @property
    def display_url(self) -> str:
        """Return the URL with any password masked, for logs and /status."""
        return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", self.url)


class WebSettings(Section):
    """[web]: the HTTP server for webhooks and health checks."""

    enabled: bool = True
    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8080, ge=0, le=65535)
    public_url: str = "http://127.0.0.1:8080"

    @field_validator("public_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        _http_url(value)
        parts = urlsplit(value)
        if value.endswith("/"):
            raise ValueError("must not end with a slash")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value


class ForumSettings(Section):
    """[forum]: the SMF feed that is polled for new topics."""

    feed_url: str = "bundled:feed_news_smf.xml"
    poll_interval: float = Field(60.0, ge=10, le=3600)
    limit: int = Field(50, ge=1, le=255)
    backfill: int = Field(5, ge=0)
    timeout: float = Field(10.0, gt=0, le=300)
    failure_alert_after: int = Field(3, ge=1)
    fetch_full_text: bool = False
    late_approval_days: int = Field(14, ge=0, le=90)
    """How long a topic held in moderation is still looked for and relayed once approved."""
    user_agent: str = Field("Minbar/0.1 (+forum relay)", min_length=1)

    @field_validator("feed_url")
    @classmethod
    def _feed_location(cls, value: str) -> str:
        if value.startswith("bundled:"):
            name = value.removeprefix("bundled:")
            if not name or "/" in name or "\\" in name or name.startswith("."):
                raise ValueError('"bundled:" must be followed by a file name from bot/sample_data')
            if not (SAMPLE_DATA_DIR / name).is_file():
                raise ValueError(f'no bundled sample "{name}" in bot/sample_data')
            return value
        parts = urlsplit(value)
        if parts.scheme == "file" and parts.path:
            return value
        if parts.scheme in ("http", "https") and parts.netloc:
            return value
        raise ValueError('must be "bundled:<file>", an http(s):// URL or a file:// URL')

    @property
    def bundled_feed(self) -> Path | None:
        """Return the bundled sample file the feed reads, or None for a real URL."""
        if not self.feed_url.startswith("bundled:"):
            return None
        return SAMPLE_DATA_DIR / self.feed_url.removeprefix("bundled:")


class AdminSettings(Section):
    """[admins]: who may run admin commands, per platform."""

    telegram: tuple[PositiveId, ...] = ()
    whatsapp: tuple[PhoneNumber, ...] = ()


class Destination(Section):
    """One [[relay.destinations]] entry: a chat that receives relayed topics."""

    channel: Literal["telegram", "whatsapp", "console"]
    chat_id: str = Field(min_length=1)
    kind: Literal["private", "group", "channel"] = "channel"
    thread_id: int | None = Field(None, ge=1)
    boards: tuple[PositiveId, ...] = ()
    name: str = ""
    language: Literal["en", "ha", "yo", "ar"] | None = None

    @field_validator("chat_id", mode="before")
    @classmethod
    def _numeric_chat_id(cls, value: Any) -> Any:
        # A bare TOML integer is the natural way to write a Telegram chat id.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @property
    def recipient(self) -> Recipient:
        """Return the neutral recipient this destination sends to."""
        return Recipient(
            ChannelName(self.channel), ChatId(self.chat_id), ChatKind(self.kind), self.thread_id
        )

    def matches_board(self, board_id: int) -> bool:
        """Tell whether a topic from ``board_id`` goes to this destination."""
        return not self.boards or board_id in self.boards


class RelayRuleSeed(Section):
    """One [[relay.rules]] entry: a watch or mute rule for one destination (seeded at start)."""

    destination: str = Field(min_length=3)
    """``<channel>:<chat_id>`` of a configured destination, e.g. ``telegram:@attaqwaa_demo``."""
    filter: Literal["watch", "mute"] = "watch"
    board: int | None = Field(None, ge=1)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class SpamSettings(Section):
    """[relay.spam]: the scoring filter that holds suspected spam for review."""

    enabled: bool = True
    threshold: float = Field(1.0, gt=0)
    blocked_words: tuple[str, ...] = ()
    allowed_scripts: tuple[Literal["latin", "arabic", "cyrillic", "greek", "han"], ...] = (
        "latin",
        "arabic",
    )
    max_links: int = Field(3, ge=0)


class RelaySettings(Section):
    """[relay]: how new topics are relayed and where to."""

    mode: Literal["auto", "review"] = "auto"
    review_chats: tuple[str, ...] = ()
    """Telegram chats that get review cards; empty = each Telegram admin privately."""
    digest_time: str = Field("20:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    """Local time (service.timezone) of the daily digest for digest subscribers."""
    destinations: tuple[Destination, ...] = ()
    rules: tuple[RelayRuleSeed, ...] = ()
    spam: SpamSettings = Field(default_factory=SpamSettings)


class ConsoleSettings(Section):
    """[console]: where console channels print."""

    output: str = ""


class OutboxSettings(Section):
    """[outbox]: the durable send queue and its workers."""

    workers: int = Field(4, ge=1, le=64)
    batch_size: int = Field(200, ge=1, le=5000)
    poll_interval: float = Field(0.5, gt=0, le=60)
    lease_seconds: float = Field(60.0, ge=1)
    max_attempts: int = Field(8, ge=1, le=100)
    backoff_base: float = Field(2.0, ge=0)
    backoff_max: float = Field(600.0, ge=0)


class ClusterSettings(Section):
    """[cluster]: leader election between processes sharing one PostgreSQL database."""

    leader_lock_id: int = Field(727170, ge=-(2**63), le=2**63 - 1)
    leader_check_interval: float = Field(10.0, ge=1, le=30)


class SchedulerSettings(Section):
    """[scheduler]: APScheduler job defaults."""

    misfire_grace_time: int = Field(300, ge=1)


class Config(Section):
    """The whole validated configuration; build it with ``bot.config.load_config``."""

    service: ServiceSettings = Field(default_factory=ServiceSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    inbox: InboxSettings = Field(default_factory=InboxSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    forum: ForumSettings = Field(default_factory=ForumSettings)
    admins: AdminSettings = Field(default_factory=AdminSettings)
    relay: RelaySettings = Field(default_factory=RelaySettings)
    enquiries: EnquirySettings = Field(default_factory=EnquirySettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    whatsapp: WhatsAppSettings = Field(default_factory=WhatsAppSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)

    @property
    def tz(self) -> ZoneInfo:
        """Return the service time zone."""
        return self.service.tz
