"""`newsbot worker`, `jobs` and `migrate` where workers cannot run: one clear line each, and the
embedded mode untouched (no PostgreSQL needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file and SQLite store in tmp for in-process runs."""
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n')
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    return tmp_path


def test_worker_refuses_when_workers_are_off_or_the_store_is_sqlite(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["worker"]) == 2
    assert "[workers] enabled is off" in capsys.readouterr().err
    monkeypatch.setenv("NEWSBOT_WORKERS__ENABLED", "true")
    assert main(["worker"]) == 2
    assert "[workers] enabled needs a PostgreSQL store" in capsys.readouterr().err
    assert main(["worker", "--queues", "poll,polls"]) == 2
    assert "no queue polls; the queues are poll, index" in capsys.readouterr().err
    assert main(["worker", "--concurrency", "0"]) == 2
    assert "--concurrency takes a whole number" in capsys.readouterr().err
    assert main(["jobs"]) == 1
    assert "needs a PostgreSQL store" in capsys.readouterr().err


def test_migrate_on_sqlite_migrates_the_store_only(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out == "Store migrated.\n"
    assert (env / "n.db").exists()
