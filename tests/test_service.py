"""`newsbot run` as a process: imports starter feeds, polls, stays healthy, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.demo.server import feed_urls
from bot.ingest.opml import write_opml
from bot.models import Feed
from tests.fakes.newssite import NewsSite

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def stored(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_run_polls_the_starter_feeds_and_stops_cleanly(tmp_path: Path, site: NewsSite) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(write_opml([Feed(url=u) for u in feed_urls(site.base_url)]))
    db = tmp_path / "data" / "newsbot.db"
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{db}"\n'
        f'[ingest]\nfeeds_file = "{opml}"\nallow_private = ["127.0.0.1"]\n'
    )
    env = {**os.environ, "NEWSBOT_CONFIG": str(config)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: stored(db) >= 20), "no articles were stored"
        assert (tmp_path / "data" / "heartbeat").exists()
        health = subprocess.run(
            [sys.executable, "-m", "bot", "health"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert health.returncode == 0, health.stderr
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "imported starter feeds" in err and "stopping" in err


def test_health_fails_without_a_running_service(tmp_path: Path) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n')
    env = {**os.environ, "NEWSBOT_CONFIG": str(config)}
    health = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert health.returncode == 1 and "no heartbeat" in health.stderr
