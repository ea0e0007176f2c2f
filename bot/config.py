"""Load config.toml, overlay MINBAR_* environment variables and validate the result."""

from __future__ import annotations

import copy
import difflib
import json
import os
import re
import tomllib
import types
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr, ValidationError

from bot.config_schema import E164, Config
from bot.core.errors import ConfigError

__all__ = [
    "DEFAULT_PATH",
    "ENV_PREFIX",
    "Config",
    "build_config",
    "check_config",
    "env_name",
    "load_config",
    "looks_like_placeholder",
]

DEFAULT_PATH = Path("config.toml")
ENV_PREFIX = "MINBAR_"
ENV_NESTING = "__"
SECRET_KEYS: tuple[tuple[str, str], ...] = (
    ("telegram", "token"),
    ("telegram", "webhook_secret"),
    ("twilio", "account_sid"),
    ("twilio", "auth_token"),
)
LIVE_SECRETS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "telegram": (("telegram", "token"),),
    "whatsapp": (("twilio", "account_sid"), ("twilio", "auth_token")),
}
# MINBAR_* variables that are not settings: the CLI's config path and the test suite's knobs.
_NOT_SETTINGS = re.compile(r"^MINBAR_(CONFIG|TEST_[A-Z0-9_]*)$")

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str]

_PLACEHOLDER_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"change[-_ ]?me",
        r"replace[-_ ]?me",
        r"^your[-_]",
        r"[-_]here$",
        r"^<.*>$",
        r"^(todo|fixme|tbd|placeholder|example|xxx+|\*+|\?+)$",
        r"\.\.\.|\u2026",
        r"^1234567?8?9?:",  # Telegram's documentation token "123456:ABC-DEF1234ghIkl-..."
        r"^110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw$",
        r"(^|[./@])example\.(com|org|net)([:/]|$)",
    )
] + [re.compile(r"X{4,}|x{4,}")]  # "+234XXXXXXXXXX", "ACxxxxxxxx..."


def env_name(path: Sequence[str | int]) -> str:
    """Return the environment variable that overrides the key at ``path``."""
    return ENV_PREFIX + ENV_NESTING.join(str(part).upper() for part in path)


def looks_like_placeholder(value: str) -> bool:
    """Tell whether ``value`` is an example from documentation rather than a real setting."""
    return any(p.search(value.strip()) for p in _PLACEHOLDER_PATTERNS)


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read, overlay and validate the configuration; raise ``ConfigError`` listing every problem.

    ``path`` defaults to ./config.toml and ``environ`` to ``os.environ``.
    """
    return build_config(_read_toml(path), os.environ if environ is None else environ)


def check_config(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Return the problems, one ``<dotted.key>: <what is wrong>`` per item; [] when valid."""
    try:
        load_config(path, environ)
    except ConfigError as exc:
        return str(exc).splitlines()
    return []


def build_config(data: Mapping[str, Any], environ: Mapping[str, str]) -> Config:
    """Validate already-parsed TOML data overlaid with ``environ`` (pass {} for none)."""
    config, problems = _validate(data, environ)
    if problems or config is None:
        raise ConfigError("\n".join(problems))
    return config


def _read_toml(path: str | Path | None) -> dict[str, Any]:
    file = Path(path) if path is not None else DEFAULT_PATH
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read the configuration file ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None


def _validate(
    data: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[Config | None, list[str]]:
    merged: dict[str, Any] = copy.deepcopy(dict(data))
    problems: list[Problem] = list(_pop_file_secrets(merged))
    overrides, env_problems = _env_overrides(environ)
    problems += env_problems
    sources: dict[KeyPath, str] = {}
    for key_path, value, var in overrides:
        if _assign(merged, key_path, value):
            sources[key_path] = var
    problems += _placeholders(merged, ())
    problems += [p for p in _missing_live_secrets(merged) if p[0] not in dict(problems)]
    config: Config | None = None
    try:
        config = Config.model_validate(merged)
    except ValidationError as exc:
        problems += _unreported(problems, [(tuple(e["loc"]), _describe(e)) for e in exc.errors()])
    if config is not None:
        problems += _unreported(problems, list(_cross_check(config)))
    return config, [_format(p, msg, sources) for p, msg in problems]


def _unreported(reported: list[Problem], found: list[Problem]) -> list[Problem]:
    # One message per key: an example value also fails its format check, say only the first.
    known = [path for path, _ in reported]
    return [(p, msg) for p, msg in found if not any(p[: len(k)] == k for k in known)]


def _pop_file_secrets(data: dict[str, Any]) -> Iterator[Problem]:
    for section, key in SECRET_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and key in table:
            del table[key]
            yield (
                (section, key),
                (f"secrets come only from the environment (set {env_name((section, key))})"),
            )


def _env_overrides(
    environ: Mapping[str, str],
) -> tuple[list[tuple[tuple[str, ...], Any, str]], list[Problem]]:
    overrides: list[tuple[tuple[str, ...], Any, str]] = []
    problems: list[Problem] = []
    for var in sorted(environ):
        if not var.startswith(ENV_PREFIX) or _NOT_SETTINGS.match(var):
            continue
        parts = tuple(var.removeprefix(ENV_PREFIX).lower().split(ENV_NESTING))
        annotation = _annotation_at(parts)
        if annotation is None:
            problems.append((parts, f"unknown key{_suggest(parts)} (environment variable {var})"))
            continue
        raw = environ[var]
        if _is_secret(annotation) and raw == "":
            continue  # an empty secret means "not set", as with an unset variable
        overrides.append((parts, _parse_env_value(raw, annotation), var))
    return overrides, problems


def _parse_env_value(raw: str, annotation: Any) -> Any:
    if "\n" in raw:
        return raw
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
    # A text key keeps "123" as text; a quoted TOML string is unquoted.
    if _is_text(annotation) and not isinstance(value, str):
        return raw
    return value


def _assign(data: dict[str, Any], key_path: tuple[str, ...], value: Any) -> bool:
    node = data
    for part in key_path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return False  # the file gave this table a wrong type; validation reports it
        node = child
    node[key_path[-1]] = value
    return True


def _placeholders(node: Any, path: KeyPath) -> Iterator[Problem]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _placeholders(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _placeholders(value, (*path, index))
    elif isinstance(node, str) and looks_like_placeholder(node):
        if path in SECRET_KEYS:
            yield path, "looks like an example value, not a real one"
        else:
            yield path, f'"{node}" looks like an example value; replace it with the real one'


def _missing_live_secrets(data: Mapping[str, Any]) -> Iterator[Problem]:
    for platform, needed in LIVE_SECRETS.items():
        table = data.get(platform)
        if not isinstance(table, dict) or table.get("mode") != "live":
            continue
        for section, key in needed:
            present = data.get(section)
            if not isinstance(present, dict) or key not in present:
                yield (
                    (section, key),
                    (f'required when {platform}.mode = "live"; set {env_name((section, key))}'),
                )


def _cross_check(config: Config) -> Iterator[Problem]:
    """Check rules that involve more than one key."""
    if config.outbox.backoff_max < config.outbox.backoff_base:
        yield ("outbox", "backoff_max"), "must not be less than outbox.backoff_base"
    if config.forum.backfill > config.forum.limit:
        yield ("forum", "backfill"), f"must not exceed forum.limit ({config.forum.limit})"
    if config.telegram.webhook_url and not config.web.enabled:
        yield ("telegram", "webhook_url"), "needs web.enabled = true to receive updates"
    if config.telegram.webhook_url and not config.telegram.webhook_url.rstrip("/").endswith(
        "/webhooks/telegram"
    ):
        yield ("telegram", "webhook_url"), 'must end with "/webhooks/telegram" (Minbar\'s route)'

    seen: set[tuple[str, str, int | None]] = set()
    for index, dest in enumerate(config.relay.destinations):
        where: KeyPath = ("relay", "destinations", index)
        key = (dest.channel, dest.chat_id, dest.thread_id)
        if key in seen:
            yield (*where, "chat_id"), "the same chat is listed twice"
        seen.add(key)
        if dest.channel == "telegram" and not re.fullmatch(
            r"-?\d+|@[A-Za-z][A-Za-z0-9_]{3,31}", dest.chat_id
        ):
            yield (*where, "chat_id"), 'must be a numeric chat id or "@channelname"'
        if dest.channel == "telegram" and dest.chat_id.startswith("@") and dest.kind == "private":
            yield (*where, "kind"), 'a private chat cannot be addressed by "@name"'
        if dest.channel == "whatsapp":
            if not E164.match(dest.chat_id.removeprefix("whatsapp:")):
                yield (*where, "chat_id"), 'must be an E.164 number like "+2348012345678"'
            if dest.kind != "private":
                yield (*where, "kind"), 'must be "private": WhatsApp sends to single numbers'
        if dest.thread_id is not None and dest.kind != "group":
            yield (*where, "thread_id"), 'only a group (kind = "group") has topic threads'
    known = {f"{d.channel}:{d.chat_id}" for d in config.relay.destinations}
    for index, rule in enumerate(config.relay.rules):
        if rule.destination not in known:
            yield (
                ("relay", "rules", index, "destination"),
                f'"{rule.destination}" is not a configured destination ("<channel>:<chat_id>")',
            )


def _describe(err: Any) -> str:
    loc: KeyPath = tuple(err["loc"])
    kind: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    secret = loc[:2] in SECRET_KEYS
    got = "" if secret or kind == "missing" else f" (got {_show(err.get('input'))})"
    simple = {
        "missing": "is required",
        "int_type": "must be an integer",
        "float_type": "must be a number",
        "bool_type": "must be true or false",
        "string_type": "must be a string (in quotes)",
        "tuple_type": "must be an array",
        "model_type": "must be a table",
        "dict_type": "must be a table",
    }
    if kind in simple:
        return simple[kind] + got
    if kind == "extra_forbidden":
        return "unknown key" + _suggest(loc)
    if kind == "literal_error":
        return "must be one of " + str(ctx.get("expected", "")).replace("'", '"') + got
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("greater than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, name = bounds[kind]
        return f"must be {words} {_number(ctx.get(name))}{got}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    message: str = err["msg"]
    return message[:1].lower() + message[1:] + got


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _format(path: KeyPath, message: str, sources: Mapping[KeyPath, str]) -> str:
    dotted = ""
    for part in path:
        dotted += f"[{part}]" if isinstance(part, int) else (f".{part}" if dotted else part)
    for source, var in sources.items():
        if path[: len(source)] == source:
            return f"{dotted}: {message} (from {var})"
    return f"{dotted}: {message}"


def _annotation_at(parts: KeyPath) -> Any | None:
    """Return the type of the key at ``parts`` in the schema, or None when there is no such key."""
    current: Any = Config
    for part in parts:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = _unwrap_optional(field.annotation)
        elif get_origin(current) is tuple and isinstance(part, int):
            current = get_args(current)[0]
        elif _is_mapping(current):
            if not part:
                return None
            current = _unwrap_optional(get_args(current)[1])
        else:
            return None
    return current


def _suggest(parts: KeyPath) -> str:
    parent = _annotation_at(parts[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return ""
    close = difflib.get_close_matches(str(parts[-1]), list(parent.model_fields), n=1)
    return f'; did you mean "{close[0]}"?' if close else ""


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_mapping(annotation: Any) -> bool:
    origin = get_origin(annotation)
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr


def _is_text(annotation: Any) -> bool:
    if annotation in (str, SecretStr):
        return True
    args = get_args(annotation)
    return get_origin(annotation) is Literal and all(isinstance(a, str) for a in args)
