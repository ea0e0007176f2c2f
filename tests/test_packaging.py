"""The wheel holds every module: built, installed outside the checkout, and imported from there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "scheduler")


def _modules() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__" or "migrations" in parts:
                continue  # __main__ runs the CLI; migrations run inside Alembic
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_installed_wheel_imports_every_module(tmp_path: Path) -> None:
    """Every module of the checkout imports from a non-editable install of the built wheel."""
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(wheels.glob("minbar-*.whl"))
    target = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    script = (
        "import importlib, sys\n"
        f"target = {str(target)!r}\n"
        "bad = []\n"
        "for name in sys.argv[1:]:\n"
        "    module = importlib.import_module(name)\n"
        "    if not (module.__file__ or '').startswith(target):\n"
        "        bad.append(f'{name} from {module.__file__}')\n"
        "import bot.forum.source, bot.storage.migrate\n"
        "from importlib.resources import files\n"
        "assert files('bot.sample_data').joinpath('feed_news_smf.xml').is_file()\n"
        "assert files('bot.storage').joinpath('alembic.ini').is_file()\n"
        "assert files('bot.i18n').joinpath('locales/ha/LC_MESSAGES/minbar.po').is_file()\n"
        "from bot.i18n.catalog import Catalogs\n"
        "assert Catalogs().translations('ha').gettext('Choose your language') == 'Zaɓi harshenka'\n"
        "print('\\n'.join(bad))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    run = subprocess.run(
        [sys.executable, "-c", script, *_modules()],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "", f"imported from outside the wheel:\n{run.stdout}"
