"""The typed shape of config.toml: sections, defaults and the checks of single keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient

SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample_data"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_HEX32 = r"[0-9a-fA-F]{32}"
_KIND_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token


def _e164(value: str) -> str:
    if not E164.match(value):
        raise ValueError(f'"{value}" is not an E.164 number like "+2348012345678"')
    return value


PositiveId = Annotated[int, Field(ge=1)]
PhoneNumber = Annotated[str, AfterValidator(_e164)]


def _http_url(value: str, *, allow_empty: bool = False) -> str:
    if allow_empty and value == "":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are read-only and not coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _arrays_to_tuples(cls, data: Any) -> Any:
        # TOML arrays arrive as lists; strict mode only accepts tuples for our immutable fields.
        if isinstance(data, Mapping):
            return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return data


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


class TelegramRateSettings(Section):
    """[telegram.rate]: token buckets under Telegram's published limits."""

    global_per_second: float = Field(29.5, gt=0)
    global_burst: int = Field(30, ge=1)
    per_chat_per_second: float = Field(1.0, gt=0)
    per_chat_burst: int = Field(3, ge=1)
    per_group_per_minute: float = Field(19.5, gt=0)
    per_group_burst: int = Field(3, ge=1)


LINK_PREVIEW_DEFAULTS: Mapping[str, bool] = {
    "topic_alert": False,
    "broadcast": True,
    "reply": False,
}


class TelegramSettings(Section):
    """[telegram]: the Telegram channel."""

    mode: Literal["console", "live", "off"] = "console"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str = ""
    token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    link_preview: Mapping[str, bool] = Field(default_factory=lambda: dict(LINK_PREVIEW_DEFAULTS))
    rate: TelegramRateSettings = Field(default_factory=TelegramRateSettings)

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("webhook_url")
    @classmethod
    def _hook_url(cls, value: str) -> str:
        return _http_url(value, allow_empty=True)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BOT_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError('is not a bot token from @BotFather ("<digits>:<letters>")')
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("link_preview", mode="before")
    @classmethod
    def _merge_preview_defaults(cls, value: Any) -> Any:
        # A partial table changes only the kinds it names; the rest keep their defaults.
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str) or not _KIND_KEY.match(key):
                    raise ValueError(f'"{key}" is not a message kind name (a-z, 0-9, _)')
            return {**LINK_PREVIEW_DEFAULTS, **value}
        return value

    def preview_for(self, kind: str) -> bool:
        """Tell whether messages of ``kind`` show a link preview (unknown kinds: no)."""
        return self.link_preview.get(kind, False)


class WhatsAppTemplate(Section):
    """[whatsapp.templates.<kind>]: a Meta-approved Content API template for one message kind."""

    content_sid: str
    variables: tuple[str, ...] = ()

    @field_validator("content_sid")
    @classmethod
    def _hx_sid(cls, value: str) -> str:
        if not re.fullmatch("HX" + _HEX32, value):
            raise ValueError('must be a Content SID: "HX" followed by 32 hex digits')
        return value

    @field_validator("variables")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not name for name in value):
            raise ValueError("variable names must not be empty")
        if len(set(value)) != len(value):
            raise ValueError("variable names must be distinct")
        return value


class WhatsAppRateSettings(Section):
    """[whatsapp.rate]: the per-sender token bucket."""

    per_second: float = Field(80.0, gt=0)
    burst: int = Field(80, ge=1)


class WhatsAppSettings(Section):
    """[whatsapp]: the WhatsApp channel (through Twilio)."""

    mode: Literal["console", "live", "off"] = "console"
    from_number: str = "whatsapp:+14155238886"
    templates: Mapping[str, WhatsAppTemplate] = Field(default_factory=dict)
    rate: WhatsAppRateSettings = Field(default_factory=WhatsAppRateSettings)

    @field_validator("from_number")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not (value.startswith("whatsapp:") and E164.match(value.removeprefix("whatsapp:"))):
            raise ValueError('must be "whatsapp:" followed by an E.164 number ("whatsapp:+234...")')
        return value

    @field_validator("templates", mode="before")
    @classmethod
    def _kind_keys(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            for key in value:
                if not isinstance(key, str) or not _KIND_KEY.match(key):
                    raise ValueError(f'"{key}" is not a message kind name (a-z, 0-9, _)')
        return value


class TwilioSettings(Section):
    """[twilio]: the Twilio REST API used by the WhatsApp channel."""

    api_base_url: str = "https://api.twilio.com"
    account_sid: SecretStr | None = None
    auth_token: SecretStr | None = None

    @field_validator("api_base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("account_sid")
    @classmethod
    def _ac_sid(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch("AC" + _HEX32, value.get_secret_value()):
            raise ValueError('must be an Account SID: "AC" followed by 32 hex digits')
        return value


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
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    forum: ForumSettings = Field(default_factory=ForumSettings)
    admins: AdminSettings = Field(default_factory=AdminSettings)
    relay: RelaySettings = Field(default_factory=RelaySettings)
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
