"""The import contract `make lint` runs (pyproject.toml [tool.importlinter]) catches what it is
for: planted in a copy of bot/, an upward import, a Telegram→Slack import and a cycle each
break it, named by module and line; the tree as it is keeps it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # Run from the tree: import-linter reads its pyproject.toml and the bot/ package there.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plant(path: Path, line: str) -> int:
    """Append an import to a module; returns its line number."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


def test_planted_upward_cross_adapter_and_cyclic_imports_break_the_contract(
    tmp_path: Path,
) -> None:
    shutil.copytree(ROOT / "bot", tmp_path / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert lint_imports(tmp_path).returncode == 0  # the copy as it is keeps the contract

    upward = plant(tmp_path / "bot/store/schema.py", "from bot.chat import core  # noqa")
    across = plant(tmp_path / "bot/chat/telegram/menu.py", "from bot.chat.slack import words")
    plant(tmp_path / "bot/ingest/http/urls.py", "from bot.ingest.http import fetch")
    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout
    assert "bot.store is not allowed to import bot.chat" in result.stdout
    assert f"bot.store.schema -> bot.chat.core (l.{upward})" in result.stdout
    assert f"bot.chat.telegram.menu -> bot.chat.slack.words (l.{across})" in result.stdout
    assert "No cycles are allowed in bot.ingest.http" in result.stdout
    assert "Contracts: 0 kept, 3 broken." in result.stdout
