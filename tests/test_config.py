"""Tests for bot.config: loading config.toml, environment overrides and validation messages."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, SecretStr

from bot.config import build_config, check_config, env_name, load_config, looks_like_placeholder
from bot.config_schema import Config
from bot.core.errors import ConfigError
from bot.core.ids import ChannelName, ChatId
from bot.core.messages import ChatKind, Recipient

SHIPPED = Path(__file__).resolve().parents[1] / "config.toml"
TOKEN = "7012345678:AAHk3jQz_real-looking-token-value42"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> list[str]:
    return check_config(write(tmp_path, text), environ or {})


def only_problem(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    found = problems(tmp_path, text, environ)
    assert len(found) == 1, found
    return found[0]


def leaf_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths += leaf_paths(annotation, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def test_shipped_config_loads_with_empty_environment() -> None:
    """The shipped config.toml is valid without any secret or override."""
    config = load_config(SHIPPED, {})

    assert config.telegram.mode == "console"
    assert config.whatsapp.mode == "console"
    assert config.database.is_sqlite
    assert config.forum.bundled_feed is not None
    assert config.forum.bundled_feed.is_file()
    [dest] = config.relay.destinations
    assert (dest.channel, dest.chat_id, dest.kind) == ("telegram", "@attaqwaa_demo", "channel")


def test_empty_file_gives_the_defaults_the_shipped_file_documents(tmp_path: Path) -> None:
    """Every default in config.toml is the built-in one (only the samples differ)."""
    shipped = load_config(SHIPPED, {})
    empty = load_config(write(tmp_path, ""), {})

    assert empty.relay.destinations == ()
    same_relay = shipped.relay.model_copy(update={"destinations": ()})
    # The sample enquiry (travel board 4, packages, a console agent) is the shipped file's
    # own; the schema default is off with none.
    sample = {"enabled": False, "boards": (), "packages": (), "agents": ()}
    same_enquiries = shipped.enquiries.model_copy(update=sample)
    assert empty == shipped.model_copy(update={"relay": same_relay, "enquiries": same_enquiries})
    for section in Config.model_fields:
        if section not in {"relay", "enquiries"}:
            assert getattr(empty, section) == getattr(shipped, section), section


def test_shipped_file_lists_every_key() -> None:
    """config.toml carries every setting; secrets appear only as their environment variable."""
    text = SHIPPED.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    secrets = {
        ("telegram", "token"),
        ("telegram", "webhook_secret"),
        ("twilio", "account_sid"),
        ("twilio", "auth_token"),
    }
    for path in leaf_paths(Config):
        if path in secrets:
            assert env_name(path) in text, path
            continue
        node: Any = data
        for part in path:
            assert part in node, ".".join(path)
            node = node[part]


def test_environment_overrides_nested_keys_with_toml_types(tmp_path: Path) -> None:
    """MINBAR_A__B values are parsed as TOML numbers, booleans and arrays, else taken as text."""
    environ = {
        "MINBAR_FORUM__POLL_INTERVAL": "30",
        "MINBAR_FORUM__FETCH_FULL_TEXT": "true",
        "MINBAR_TELEGRAM__RATE__GLOBAL_BURST": "20",
        "MINBAR_ADMINS__TELEGRAM": "[111, 222]",
        "MINBAR_ADMINS__WHATSAPP": '["+2348012345678"]',
        "MINBAR_DATABASE__URL": "postgresql+asyncpg://minbar@db/minbar",
        "MINBAR_SERVICE__NAME": "12345",
        "MINBAR_WEB__HOST": '"localhost"',
    }
    config = load_config(SHIPPED, environ)

    assert config.forum.poll_interval == 30
    assert config.forum.fetch_full_text is True
    assert config.telegram.rate.global_burst == 20
    assert config.admins.telegram == (111, 222)
    assert config.admins.whatsapp == ("+2348012345678",)
    assert config.database.url == "postgresql+asyncpg://minbar@db/minbar"
    assert config.service.name == "12345"
    assert config.web.host == "localhost"


def test_environment_changes_one_link_preview_kind(tmp_path: Path) -> None:
    """Overriding one link-preview kind keeps the defaults of the others."""
    config = load_config(SHIPPED, {"MINBAR_TELEGRAM__LINK_PREVIEW__BROADCAST": "false"})

    expected = {"topic_alert": False, "broadcast": False, "reply": False}
    assert config.telegram.link_preview == expected
    assert config.telegram.preview_for("admin_alert") is False


def test_unknown_key_in_file_is_named_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt key in the file is reported by its dotted path with the likely intended key."""
    message = only_problem(tmp_path, "[forum]\npoll_intervall = 30\n")

    assert message == 'forum.poll_intervall: unknown key; did you mean "poll_interval"?'


def test_unknown_key_in_a_destination_is_named(tmp_path: Path) -> None:
    """A misspelt key inside an array of tables names the entry's index."""
    text = '[[relay.destinations]]\nchannel = "console"\nchat_id = "log"\nbord = [1]\n'

    assert only_problem(tmp_path, text).startswith("relay.destinations[0].bord: unknown key")


def test_unknown_environment_variable_is_named(tmp_path: Path) -> None:
    """An unknown MINBAR_ variable stops the load and names both the key and the variable."""
    message = only_problem(tmp_path, "", {"MINBAR_FORUM__POL_INTERVAL": "30"})

    assert message.startswith("forum.pol_interval: unknown key")
    assert "MINBAR_FORUM__POL_INTERVAL" in message


def test_non_setting_variables_are_ignored(tmp_path: Path) -> None:
    """MINBAR_CONFIG, MINBAR_TEST_* and other programs' variables are not settings."""
    environ = {
        "MINBAR_CONFIG": "/etc/minbar.toml",
        "MINBAR_TEST_PG_URL": "postgresql://localhost/test",
        "PATH": "/usr/bin",
        "minbar_forum__limit": "lowercase is not ours",
    }

    assert problems(tmp_path, "", environ) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[forum]\nlimit = "5"\n', 'forum.limit: must be an integer (got "5")', id="int"
        ),
        pytest.param('[web]\nenabled = "yes"\n', "web.enabled: must be true or false", id="bool"),
        pytest.param("[admins]\ntelegram = 5\n", "admins.telegram: must be an array", id="array"),
        pytest.param("[service]\nname = 5\n", "service.name: must be a string", id="str"),
        pytest.param("forum = 5\n", "forum: must be a table", id="table"),
        pytest.param('[relay]\nmode = "manual"\n', 'relay.mode: must be one of "auto"', id="enum"),
    ],
)
def test_wrong_type_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    """A value of the wrong type is reported with the key and the expected type."""
    assert only_problem(tmp_path, text).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "[forum]\npoll_interval = 5\n",
            "forum.poll_interval: must be at least 10",
            id="poll-interval",
        ),
        pytest.param("[web]\nport = 70000\n", "web.port: must be at most 65535", id="port"),
        pytest.param("[outbox]\nworkers = 0\n", "outbox.workers: must be at least 1", id="workers"),
        pytest.param(
            "[service]\nshutdown_timeout = 61\n",
            "service.shutdown_timeout: must be at most 60",
            id="shutdown",
        ),
        pytest.param(
            "[telegram.rate]\nglobal_per_second = 0\n",
            "telegram.rate.global_per_second: must be greater than 0",
            id="rate",
        ),
        pytest.param(
            "[calendar]\nhijri_offset_days = 3\n",
            "calendar.hijri_offset_days: must be at most 2",
            id="hijri-offset",
        ),
        pytest.param(
            '[display]\ndefault_language = "fr"\n',
            "display.default_language:",
            id="language",
        ),
        pytest.param(
            '[whatsapp.templates.topic_alert]\ncontent_sid = "HX' + "a" * 32 + '"\n'
            'languages = { ha = "HXnope" }\n',
            "whatsapp.templates.topic_alert.languages:",
            id="template-language-sid",
        ),
    ],
)
def test_out_of_range_value_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    """A value outside its range is reported with the key and the bound."""
    assert only_problem(tmp_path, text).startswith(expected)


def test_environment_value_errors_name_the_variable(tmp_path: Path) -> None:
    """A bad value that came from the environment says which variable set it."""
    message = only_problem(tmp_path, "", {"MINBAR_FORUM__POLL_INTERVAL": "5"})

    assert message == (
        "forum.poll_interval: must be at least 10 (got 5) (from MINBAR_FORUM__POLL_INTERVAL)"
    )


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param(
            '[database]\nurl = "postgresql+asyncpg://CHANGE_ME@db/x"\n',
            "database.url",
            id="change-me",
        ),
        pytest.param('[admins]\nwhatsapp = ["+234XXXXXXXXXX"]\n', "admins.whatsapp[0]", id="phone"),
        pytest.param(
            '[forum]\nfeed_url = "https://forum.example.com/index.php"\n',
            "forum.feed_url",
            id="example-domain",
        ),
        pytest.param(
            '[web]\npublic_url = "https://your-domain-here"\n', "web.public_url", id="your-here"
        ),
        pytest.param(
            '[[relay.destinations]]\nchannel = "telegram"\nchat_id = "<chat id>"\n',
            "relay.destinations[0].chat_id",
            id="angle-brackets",
        ),
    ],
)
def test_placeholder_in_file_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    """An example value copied from documentation is refused and its key named once."""
    message = only_problem(tmp_path, text)

    assert message.startswith(f"{key}: ")
    assert "example value" in message


@pytest.mark.parametrize(
    ("var", "value"),
    [
        pytest.param(
            "MINBAR_TELEGRAM__TOKEN", "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", id="docs-token"
        ),
        pytest.param("MINBAR_TELEGRAM__TOKEN", "your-token-here", id="your-token-here"),
        pytest.param("MINBAR_TWILIO__ACCOUNT_SID", "AC" + "X" * 32, id="sid"),
        pytest.param("MINBAR_TWILIO__AUTH_TOKEN", "CHANGE_ME", id="auth-token"),
    ],
)
def test_placeholder_secret_is_refused_without_echoing_it(
    tmp_path: Path, var: str, value: str
) -> None:
    """A documentation example used as a secret is refused; the message does not repeat it."""
    message = only_problem(tmp_path, "", {var: value})

    assert message.startswith(var.removeprefix("MINBAR_").lower().replace("__", ".") + ": ")
    assert "example value" in message
    assert value not in message


@pytest.mark.parametrize(
    "value",
    [
        "Minbar",
        "+2348012345678",
        TOKEN,
        "1234567890:AAHk3jQzrealtokenvalue",
        ACCOUNT_SID,
        "https://forum.attaqwaa.ng/index.php?action=.xml;sa=news",
        "whatsapp:+14155238886",
        "",
    ],
)
def test_real_values_are_not_placeholders(value: str) -> None:
    """Ordinary values are not mistaken for examples."""
    assert not looks_like_placeholder(value)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("telegram", "token"),
        ("telegram", "webhook_secret"),
        ("twilio", "account_sid"),
        ("twilio", "auth_token"),
    ],
)
def test_secret_in_file_is_an_error(tmp_path: Path, section: str, key: str) -> None:
    """A secret written in config.toml is refused and the message names its variable."""
    message = only_problem(tmp_path, f'[{section}]\n{key} = "s3cr3t-value"\n')

    var = f"MINBAR_{section.upper()}__{key.upper()}"
    assert message == f"{section}.{key}: secrets come only from the environment (set {var})"
    assert "s3cr3t-value" not in message


def test_live_telegram_without_token_names_the_variable(tmp_path: Path) -> None:
    """Telegram in live mode needs MINBAR_TELEGRAM__TOKEN."""
    message = only_problem(tmp_path, '[telegram]\nmode = "live"\n')

    assert message.startswith("telegram.token: required")
    assert "MINBAR_TELEGRAM__TOKEN" in message


def test_live_whatsapp_without_credentials_names_both_variables(tmp_path: Path) -> None:
    """WhatsApp in live mode needs both Twilio secrets, each reported on its own line."""
    found = problems(tmp_path, '[whatsapp]\nmode = "live"\n', {"MINBAR_TWILIO__AUTH_TOKEN": ""})

    assert len(found) == 2
    assert "MINBAR_TWILIO__ACCOUNT_SID" in found[0]
    assert "MINBAR_TWILIO__AUTH_TOKEN" in found[1]


def test_live_modes_load_with_secrets_from_environment(tmp_path: Path) -> None:
    """With the secrets in the environment, live modes load and the secrets are readable."""
    environ = {
        "MINBAR_TELEGRAM__MODE": "live",
        "MINBAR_TELEGRAM__TOKEN": TOKEN,
        "MINBAR_TELEGRAM__WEBHOOK_SECRET": "hook_Secret-1",
        "MINBAR_WHATSAPP__MODE": "live",
        "MINBAR_TWILIO__ACCOUNT_SID": ACCOUNT_SID,
        "MINBAR_TWILIO__AUTH_TOKEN": AUTH_TOKEN,
    }
    config = load_config(SHIPPED, environ)

    assert isinstance(config.telegram.token, SecretStr)
    assert config.telegram.token.get_secret_value() == TOKEN
    assert config.twilio.account_sid is not None
    assert config.twilio.account_sid.get_secret_value() == ACCOUNT_SID


def test_secrets_never_appear_in_repr_or_str(tmp_path: Path) -> None:
    """Neither the config nor its sections print a secret or a database password."""
    environ = {
        "MINBAR_TELEGRAM__TOKEN": TOKEN,
        "MINBAR_TELEGRAM__WEBHOOK_SECRET": "hook_Secret-1",
        "MINBAR_TWILIO__ACCOUNT_SID": ACCOUNT_SID,
        "MINBAR_TWILIO__AUTH_TOKEN": AUTH_TOKEN,
        "MINBAR_DATABASE__URL": "postgresql+asyncpg://minbar:pa55word@db/minbar",
    }
    config = load_config(SHIPPED, environ)

    printed = " ".join(
        [
            repr(config),
            str(config),
            repr(config.telegram),
            repr(config.twilio),
            str(config.database),
        ]
    )
    for secret in (TOKEN, "hook_Secret-1", ACCOUNT_SID, AUTH_TOKEN, "pa55word"):
        assert secret not in printed
    assert config.database.display_url == "postgresql+asyncpg://minbar:***@db/minbar"


def test_malformed_secret_is_reported_without_its_value(tmp_path: Path) -> None:
    """A token that cannot be a bot token is named, but its value is not printed."""
    message = only_problem(tmp_path, "", {"MINBAR_TELEGRAM__TOKEN": "not a token at all"})

    assert message.startswith("telegram.token: is not a bot token")
    assert "not a token at all" not in message


def test_bad_timezone_is_named(tmp_path: Path) -> None:
    """A time zone unknown to zoneinfo is refused with its key."""
    message = only_problem(tmp_path, '[service]\ntimezone = "Lagos/Nigeria"\n')

    assert message.startswith('service.timezone: unknown time zone "Lagos/Nigeria"')


def test_timezone_accessor_returns_zoneinfo(tmp_path: Path) -> None:
    """Config.tz is the configured zone as a ZoneInfo."""
    config = load_config(write(tmp_path, '[service]\ntimezone = "Europe/London"\n'), {})

    assert config.tz == ZoneInfo("Europe/London")


def test_check_config_lists_every_problem_one_per_line(tmp_path: Path) -> None:
    """check_config returns all problems, and load_config raises them joined by newlines."""
    text = '[forum]\nlimit = 0\n[web]\nport = "80"\n[service]\nlog_format = "xml"\n'
    path = write(tmp_path, text)

    found = check_config(path, {})
    assert [line.split(":")[0] for line in found] == [
        "service.log_format",
        "web.port",
        "forum.limit",
    ]
    with pytest.raises(ConfigError) as raised:
        load_config(path, {})
    assert str(raised.value).splitlines() == found
    assert check_config(SHIPPED, {}) == []


def test_missing_file_is_named(tmp_path: Path) -> None:
    """A missing configuration file is an error naming the path."""
    missing = tmp_path / "nope.toml"

    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_config(missing, {})


def test_invalid_toml_is_named_with_its_line(tmp_path: Path) -> None:
    """A TOML syntax error names the file and the line."""
    [message] = problems(tmp_path, "[forum]\nlimit = = 3\n")

    assert "config.toml: not valid TOML" in message
    assert "line 2" in message


def test_defaults_are_the_working_directory_and_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without arguments, ./config.toml and os.environ are used."""
    write(tmp_path, "[forum]\nlimit = 20\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINBAR_FORUM__BACKFILL", "2")

    config = load_config()

    assert (config.forum.limit, config.forum.backfill) == (20, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "[forum]\nlimit = 3\n", "forum.backfill: must not exceed forum.limit (3)", id="backfill"
        ),
        pytest.param(
            "[outbox]\nbackoff_base = 10.0\nbackoff_max = 5.0\n",
            "outbox.backoff_max: must not be less than outbox.backoff_base",
            id="backoff",
        ),
        pytest.param(
            '[web]\nenabled = false\n[telegram]\nwebhook_url = "https://bot.attaqwaa.ng/webhooks/telegram"\n',
            "telegram.webhook_url: needs web.enabled = true",
            id="webhook",
        ),
        pytest.param(
            '[[relay.destinations]]\nchannel = "whatsapp"\nchat_id = "+2348012345678"\n',
            'relay.destinations[0].kind: must be "private"',
            id="whatsapp-kind",
        ),
        pytest.param(
            '[[relay.destinations]]\nchannel = "telegram"\nchat_id = "attaqwaa"\n',
            "relay.destinations[0].chat_id: must be a numeric chat id",
            id="tg-chat-id",
        ),
        pytest.param(
            '[[relay.destinations]]\nchannel = "telegram"\nchat_id = "-100123"\nthread_id = 4\n',
            "relay.destinations[0].thread_id: only a group",
            id="thread",
        ),
        pytest.param(
            '[[relay.destinations]]\nchannel = "console"\nchat_id = "a"\n'
            '[[relay.destinations]]\nchannel = "console"\nchat_id = "a"\n',
            "relay.destinations[1].chat_id: the same chat is listed twice",
            id="duplicate",
        ),
    ],
)
def test_rules_across_keys_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    """Rules that involve several keys are reported on the key to change."""
    assert only_problem(tmp_path, text).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[database]\nurl = "mysql://db/x"\n', "database.url: must start with", id="db-driver"
        ),
        pytest.param(
            '[forum]\nfeed_url = "bundled:missing.xml"\n',
            'forum.feed_url: no bundled sample "missing.xml"',
            id="bundled",
        ),
        pytest.param(
            '[forum]\nfeed_url = "ftp://forum/feed"\n', "forum.feed_url: must be", id="feed-scheme"
        ),
        pytest.param(
            '[web]\npublic_url = "https://bot.attaqwaa.ng/"\n',
            "web.public_url: must not end with a slash",
            id="slash",
        ),
        pytest.param(
            '[whatsapp]\nfrom_number = "+14155238886"\n', "whatsapp.from_number: must be", id="from"
        ),
        pytest.param(
            '[whatsapp.templates.broadcast]\ncontent_sid = "HX123"\n',
            "whatsapp.templates.broadcast.content_sid: must be a Content SID",
            id="hx",
        ),
        pytest.param(
            '[admins]\nwhatsapp = ["08012345678"]\n',
            'admins.whatsapp[0]: "08012345678" is not an E.164 number',
            id="e164",
        ),
    ],
)
def test_malformed_values_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    """Values of the right type but the wrong form are refused with their key."""
    assert only_problem(tmp_path, text).startswith(expected)


def test_destination_reads_as_a_recipient(tmp_path: Path) -> None:
    """A destination gives its recipient, accepts a bare numeric chat id and filters boards."""
    text = (
        '[[relay.destinations]]\nchannel = "telegram"\nchat_id = -1001234567890\n'
        'kind = "group"\nthread_id = 7\nboards = [2, 3]\n'
    )
    [dest] = load_config(write(tmp_path, text), {}).relay.destinations

    expected = Recipient(ChannelName("telegram"), ChatId("-1001234567890"), ChatKind.GROUP, 7)
    assert dest.recipient == expected
    assert dest.matches_board(2)
    assert not dest.matches_board(1)


def test_whatsapp_templates_load(tmp_path: Path) -> None:
    """A template table per message kind loads with its variables in order."""
    sid = "HX" + "ab" * 16
    text = f'[whatsapp.templates.broadcast]\ncontent_sid = "{sid}"\nvariables = ["title", "link"]\n'
    config = load_config(write(tmp_path, text), {})

    template = config.whatsapp.templates["broadcast"]
    assert (template.content_sid, template.variables) == (sid, ("title", "link"))


def test_build_config_validates_parsed_data() -> None:
    """build_config checks a mapping the same way as a file."""
    with pytest.raises(ConfigError, match=r"^forum\.limit: must be at most 255"):
        build_config({"forum": {"limit": 300}}, {})


def test_loader_imports_no_platform_sdk() -> None:
    """Loading the configuration never imports telegram, twilio or starlette."""
    code = (
        "import sys, bot.config; bot.config.load_config('config.toml', {}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('telegram', 'twilio', 'starlette')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=SHIPPED.parent,
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.stdout.strip() == "[]"


def test_a_telegram_webhook_url_must_point_at_minbars_route(tmp_path: Path) -> None:
    """A webhook URL with another path would only ever get 404s, so it is refused."""
    found = problems(tmp_path, '[telegram]\nwebhook_url = "https://bot.attaqwaa.ng/hooks/tg"\n')
    assert any(p.startswith("telegram.webhook_url:") and "/webhooks/telegram" in p for p in found)
    ok = '[telegram]\nwebhook_url = "https://bot.attaqwaa.ng/webhooks/telegram"\n'
    assert problems(tmp_path, ok) == []


def test_templates_per_language_and_the_display_keys_load(tmp_path: Path) -> None:
    """A template with a Hausa version, Hausa as the default and Hijri dates: all accepted."""
    hausa, english = "HX" + "b" * 32, "HX" + "a" * 32
    text = (
        '[display]\ndefault_language = "ha"\nhijri_dates = true\n'
        "[calendar]\nhijri_offset_days = 1\n"
        f'[whatsapp.templates.topic_alert]\ncontent_sid = "{english}"\n'
        f'languages = {{ ha = "{hausa}" }}\n'
    )
    config = load_config(write(tmp_path, text), environ={})
    template = config.whatsapp.templates["topic_alert"]
    assert (template.language, dict(template.languages)) == ("en", {"ha": hausa})
    assert (config.display.default_language, config.display.hijri_dates) == ("ha", True)
    assert config.calendar.hijri_offset_days == 1
