"""The dependency rule between layers, checked on every module's imports."""

from __future__ import annotations

import ast
import sys
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
PACKAGES = ("bot", "handlers", "scheduler")

PLATFORM_SDKS = {"telegram", "twilio", "starlette", "uvicorn", "aiohttp"}

WIRING = {
    "bot/__main__.py",
    "bot/app.py",
    "bot/feature_config.py",
    "bot/cli.py",
    "bot/cli_leads.py",
    "bot/cli_support.py",
    "bot/runtime.py",
    "bot/tools/bench_outbox.py",
    "bot/tools/bench_kill.py",
    "bot/tools/bench_platforms.py",
    "bot/tools/bench_relay.py",
    "bot/tools/chat.py",
    "bot/tools/leads.py",
}
"""The modules that wire concrete parts together (the composition root and the tools)."""

WEB_SERVERS = {"bot/web.py", "bot/app.py", "bot/tools/bench_relay.py"}
"""Outside bot/channels, the modules that serve HTTP themselves (health, routes, a fake feed)."""


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Yield each absolute import as (line, module), also ``module.name`` for ``from`` imports.

    ``from bot.storage import models`` therefore yields both ``bot.storage`` and
    ``bot.storage.models``, so a rule on a module cannot be dodged by importing its parent.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _relative_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]


def _modules(package: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / package).rglob("*.py"))


def _rel(path: Path, root: Path = ROOT) -> str:
    return path.relative_to(root).as_posix()


def _names(name: str, prefixes: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(
    package: str, allowed: set[str] | None, forbidden: set[str], root: Path = ROOT
) -> list[str]:
    """Return imports of ``package`` that are forbidden, or outside ``allowed`` and bot.core."""
    found = []
    for path in _modules(package, root):
        for line, name in _imports(path):
            outside = (
                allowed is not None
                and name.split(".")[0] not in allowed
                and not _names(name, {"bot.core"})
            )
            if _names(name, forbidden) or outside:
                found.append(f"{_rel(path, root)}:{line} imports {name}")
    return found


def _importers(prefixes: set[str], *, skip: Collection[str] = ()) -> list[str]:
    """Return every import of ``prefixes`` in bot/, handlers/ and scheduler/ outside ``skip``.

    ``skip`` holds module paths, and folders ending in ``/``.
    """
    found = []
    for package in PACKAGES:
        for path in _modules(package):
            rel = _rel(path)
            if rel in skip or any(rel.startswith(s) for s in skip if s.endswith("/")):
                continue
            found += [f"{rel}:{ln} {n}" for ln, n in _imports(path) if _names(n, prefixes)]
    return found


def test_core_imports_only_the_standard_library() -> None:
    """bot/core depends on nothing but the standard library and itself."""
    assert _violations("bot/core", allowed=STDLIB, forbidden=set()) == []


def test_domain_imports_only_the_standard_library_and_core() -> None:
    """bot/domain's records depend on the standard library and bot.core, nothing else."""
    assert _violations("bot/domain", allowed=STDLIB, forbidden=set()) == []


def test_handlers_never_import_a_platform_sdk() -> None:
    """Features are written against neutral types: no telegram, twilio or starlette in handlers/."""
    forbidden = PLATFORM_SDKS | {"bot.channels", "bot.app", "bot.web", "bot.runtime", "bot.tools"}
    assert _violations("handlers", allowed=None, forbidden=forbidden) == []


@pytest.mark.parametrize("package", ["handlers", "bot/outbox", "bot/inbox"])
def test_features_and_the_outbox_never_see_orm_rows(package: str) -> None:
    """handlers/, bot/outbox/ and bot/inbox/ get domain records, never bot.storage.models."""
    assert _violations(package, allowed=None, forbidden={"bot.storage.models"}) == []


@pytest.mark.parametrize("package", ["bot/outbox", "bot/inbox"])
def test_the_outbox_and_inbox_never_import_platforms_or_features(package: str) -> None:
    """Both queues move neutral items: they name no platform, no SDK and no feature."""
    forbidden = PLATFORM_SDKS | {"bot.channels", "bot.app", "handlers", "scheduler"}
    assert _violations(package, allowed=None, forbidden=forbidden) == []


def test_scheduler_never_imports_a_platform_sdk() -> None:
    """Jobs are features' declarations; the scheduler never touches a platform SDK or a channel."""
    forbidden = PLATFORM_SDKS | {"bot.channels", "bot.web", "bot.app"}
    assert _violations("scheduler", allowed=None, forbidden=forbidden) == []


def test_storage_and_forum_never_import_platforms_or_features() -> None:
    """Infrastructure below the features does not reach up into handlers or platform SDKs."""
    forbidden = PLATFORM_SDKS | {"handlers", "scheduler", "bot.channels", "bot.app", "bot.outbox"}
    assert _violations("bot/storage", allowed=None, forbidden=forbidden) == []
    assert _violations("bot/forum", allowed=None, forbidden=forbidden) == []


def test_starlette_is_for_channels_and_the_web_server_only() -> None:
    """bot/channels may import starlette (webhooks); handlers and the rest of bot/ may not."""
    assert _importers({"starlette"}, skip={"bot/channels/"} | WEB_SERVERS) == []
    assert any("starlette" in n for p in _modules("bot/channels") for _, n in _imports(p))


@pytest.mark.parametrize("sdk", ["telegram", "twilio"])
def test_only_its_own_adapter_imports_each_sdk(sdk: str) -> None:
    """A platform SDK is imported by its own platform's folder in bot/channels, nowhere else."""
    assert _importers({sdk}, skip={f"bot/channels/{'whatsapp' if sdk == 'twilio' else sdk}/"}) == []


def test_queries_are_built_only_in_storage() -> None:
    """No module outside bot/storage imports SQLAlchemy: repositories own every query."""
    assert _importers({"sqlalchemy"}, skip={"bot/storage/"}) == []


def test_infrastructure_never_reaches_up_into_features() -> None:
    """Outside the wiring modules, bot/ imports neither handlers/ nor scheduler/."""
    offenders = [
        f"{_rel(path)}:{line} {name}"
        for path in _modules("bot")
        if _rel(path) not in WIRING
        for line, name in _imports(path)
        if _names(name, {"handlers", "scheduler"})
    ]
    assert offenders == []


def test_only_the_wiring_imports_the_composition_root() -> None:
    """bot.app, bot.runtime, bot.cli and bot.tools are imported by wiring modules alone."""
    root = {"bot.app", "bot.runtime", "bot.cli", "bot.tools"}
    assert _importers(root, skip=WIRING) == []


def test_the_wiring_set_names_modules_that_exist() -> None:
    """Every module the rules above exempt exists, and every tool in bot/tools is wiring."""
    assert [name for name in sorted(WIRING | WEB_SERVERS) if not (ROOT / name).is_file()] == []
    tools = {_rel(p) for p in _modules("bot/tools") if p.name != "__init__.py"}
    assert tools <= WIRING


def test_no_module_uses_relative_imports() -> None:
    """Every import is absolute, so the scanner above sees each one."""
    offenders = [
        f"{_rel(path)}:{line}"
        for package in PACKAGES
        for path in _modules(package)
        for line in _relative_imports(path)
    ]
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The import scanner reports platform and submodule imports, so the rules above can fail."""
    module = tmp_path / "bad.py"
    module.write_text(
        "import telegram\nfrom twilio.rest import Client\nfrom bot.storage import models\n"
        "def later():\n    from handlers import relay\n",
        encoding="utf-8",
    )
    assert [name for _, name in _imports(module)] == [
        "telegram",
        "twilio.rest",
        "twilio.rest.Client",
        "bot.storage",
        "bot.storage.models",
        "handlers",
        "handlers.relay",
    ]
    assert _names("bot.storage.models", {"bot.storage.models"})
    assert not _names("bot.storage.models_extra", {"bot.storage.models"})
    relative = tmp_path / "rel.py"
    relative.write_text("from . import x\nfrom ..storage import models\n", encoding="utf-8")
    assert _relative_imports(relative) == [1, 2]


def test_the_rules_report_what_they_forbid(tmp_path: Path) -> None:
    """A domain module importing storage, and an outbox module importing models, are reported."""
    (tmp_path / "bot" / "domain").mkdir(parents=True)
    (tmp_path / "bot" / "outbox").mkdir(parents=True)
    (tmp_path / "bot" / "domain" / "ok.py").write_text(
        "import datetime\nfrom bot.core.ids import ChatId\n", encoding="utf-8"
    )
    (tmp_path / "bot" / "domain" / "bad.py").write_text(
        "from bot.storage.db import Database\nimport pydantic\n", encoding="utf-8"
    )
    (tmp_path / "bot" / "outbox" / "bad.py").write_text(
        "from bot.storage import models\n", encoding="utf-8"
    )
    assert _violations("bot/domain", allowed=STDLIB, forbidden=set(), root=tmp_path) == [
        "bot/domain/bad.py:1 imports bot.storage.db",
        "bot/domain/bad.py:1 imports bot.storage.db.Database",
        "bot/domain/bad.py:2 imports pydantic",
    ]
    orm = _violations("bot/outbox", allowed=None, forbidden={"bot.storage.models"}, root=tmp_path)
    assert orm == ["bot/outbox/bad.py:1 imports bot.storage.models"]
