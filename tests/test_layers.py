"""The dependency rule between layers, checked on every module's imports."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}

PLATFORM_SDKS = {"telegram", "twilio", "starlette", "uvicorn", "aiohttp"}


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _violations(package: str, allowed: set[str] | None, forbidden: set[str]) -> list[str]:
    found = []
    for path in _modules(package):
        for line, name in _imports(path):
            top = name.split(".")[0]
            rel = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if (
                top in forbidden
                or any(name.startswith(f + ".") or name == f for f in forbidden)
                or (
                    allowed is not None
                    and top not in allowed
                    and name.split(".")[0:2] != ["bot", "core"]
                )
            ):
                found.append(rel)
    return found


def test_core_imports_only_the_standard_library() -> None:
    """bot/core depends on nothing but the standard library and itself."""
    assert _violations("bot/core", allowed=STDLIB, forbidden=set()) == []


def test_handlers_never_import_a_platform_sdk() -> None:
    """Features are written against neutral types: no telegram, twilio or starlette in handlers/."""
    forbidden = PLATFORM_SDKS | {"bot.channels", "bot.app", "bot.web", "bot.runtime"}
    assert _violations("handlers", allowed=None, forbidden=forbidden) == []


def test_scheduler_never_imports_a_platform_sdk() -> None:
    """Jobs call handlers through the host; they never touch a platform SDK or a channel."""
    forbidden = PLATFORM_SDKS | {"bot.channels", "bot.web"}
    assert _violations("scheduler", allowed=None, forbidden=forbidden) == []


def test_storage_and_forum_never_import_platforms_or_features() -> None:
    """Infrastructure below the features does not reach up into handlers or platform SDKs."""
    forbidden = PLATFORM_SDKS | {"handlers", "scheduler", "bot.channels", "bot.app"}
    assert _violations("bot/storage", allowed=None, forbidden=forbidden) == []
    assert _violations("bot/forum", allowed=None, forbidden=forbidden) == []


@pytest.mark.parametrize("sdk", ["telegram", "twilio"])
def test_only_its_own_adapter_and_the_root_import_each_sdk(sdk: str) -> None:
    """A platform SDK is imported by its adapter modules in bot/channels and nowhere else."""
    offenders = []
    for package in ("bot", "handlers", "scheduler"):
        for path in _modules(package):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("bot/channels/"):
                continue
            offenders += [f"{rel}:{ln} {n}" for ln, n in _imports(path) if n.split(".")[0] == sdk]
    assert offenders == []


def test_queries_are_built_only_in_storage() -> None:
    """No module outside bot/storage imports SQLAlchemy: repositories own every query."""
    offenders = []
    for package in ("bot", "handlers", "scheduler"):
        for path in _modules(package):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith("bot/storage/"):
                continue
            offenders += [
                f"{rel}:{ln} {n}" for ln, n in _imports(path) if n.split(".")[0] == "sqlalchemy"
            ]
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The import scanner reports a platform import, so the rules above can fail."""
    module = tmp_path / "bad.py"
    module.write_text("import telegram\nfrom twilio.rest import Client\n", encoding="utf-8")
    assert [name for _, name in _imports(module)] == ["telegram", "twilio.rest"]


WIRING = {
    "app.py",
    "runtime.py",
    "chat.py",
    "cli.py",
    "__main__.py",
    "bench_relay.py",
    "bench_platforms.py",
}


def test_infrastructure_never_reaches_up_into_features() -> None:
    """Outside the wiring modules, bot/ imports neither handlers/ nor scheduler/."""
    offenders = []
    for path in _modules("bot"):
        if path.parent == ROOT / "bot" and path.name in WIRING:
            continue
        rel = path.relative_to(ROOT).as_posix()
        offenders += [
            f"{rel}:{line} {name}"
            for line, name in _imports(path)
            if name.split(".")[0] in ("handlers", "scheduler")
        ]
    assert offenders == []
