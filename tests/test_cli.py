"""The newsbot command as an operator uses it."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file and SQLite store in tmp for in-process runs."""
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n')
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    return tmp_path


def test_feeds_add_list_export_import_remove(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feeds", "add", "https://News.example/rss?utm_source=x"]) == 0
    assert "Added https://news.example/rss" in capsys.readouterr().out
    assert main(["feeds", "add", "not a url"]) == 2
    assert capsys.readouterr().err == "newsbot feeds add: refused: not a valid web address\n"
    assert main(["feeds", "list"]) == 0
    listing = capsys.readouterr().out
    assert "https://news.example/rss" in listing and "never" in listing  # no success yet
    assert "due now" in listing  # and polled at the next round, not "never"
    assert listing.split("\n")[1].split()[0] == "1"  # the feed_id the logs use
    assert main(["feeds", "export", str(env / "out.opml")]) == 0
    assert main(["feeds", "remove", "https://news.example/rss"]) == 0
    assert main(["feeds", "remove", "https://news.example/rss"]) == 1
    assert main(["feeds", "import", str(env / "out.opml")]) == 0
    assert "Imported 1 new feeds" in capsys.readouterr().out
    assert main(["feeds", "import", str(env / "missing.opml")]) == 2


def test_check_reports_ok_and_broken_config(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    assert "Configuration OK" in capsys.readouterr().out
    (env / "newsbot.toml").write_text('[ingest]\nmax_body_bytes = "lots"\n')
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "[ingest] max_body_bytes" in err and str(env / "newsbot.toml") in err


def test_check_warns_about_a_secret_file_others_can_read(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = env / "token"
    secret.write_text("123:abc")
    secret.chmod(0o644)
    config = env / "newsbot.toml"
    config.write_text(config.read_text() + f'[telegram]\ntoken_file = "{secret}"\n')
    config.chmod(0o644)
    assert main(["check"]) == 0
    err = capsys.readouterr().err
    assert "readable by other users" in err and f"chmod 600 {secret}" in err
    assert "123:abc" not in err


def test_check_warns_about_feeds_the_poller_will_refuse(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private = ("http://10.1.2.3/rss?key=feed-key-123", "http://localhost:8080/feed")
    for url in private:  # the door refuses them now ...
        assert main(["feeds", "add", url]) == 2
    assert main(["feeds", "add", "https://news.example/rss"]) == 0
    with sqlite3.connect(env / "n.db") as db:  # ... so they were stored before it was there
        db.executemany(
            "INSERT INTO feeds (url, error_count, active, created_at) "
            "VALUES (?, 0, 1, CURRENT_TIMESTAMP)",
            [(url,) for url in private],
        )
    capsys.readouterr()
    assert main(["check"]) == 0  # a warning: the configuration itself is fine
    err = capsys.readouterr().err
    allow = "points inside a private network; allow it with [ingest] allow_private"
    assert f"warning: feed http://10.1.2.3/rss will be refused: 10.1.2.3 {allow}" in err
    assert f"warning: feed http://localhost:8080/feed will be refused: localhost {allow}" in err
    assert "news.example" not in err and "feed-key-123" not in err
    config = env / "newsbot.toml"
    config.write_text(config.read_text() + '[ingest]\nallow_private = ["10.1.2.0/24"]\n')
    assert main(["check"]) == 0
    err = capsys.readouterr().err
    assert "10.1.2.3" not in err and "localhost" in err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_twice_prints_a_digest_then_nothing_new(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "demo.db"
    command = [
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        str(port),
        "--store",
        f"sqlite:///{db}",
    ]
    run = dict(cwd=ROOT, capture_output=True, text=True, timeout=120)
    first = subprocess.run(command, **run)  # type: ignore[call-overload]
    assert first.returncode == 0, first.stderr
    assert "Digest: 12 stories" in first.stdout
    assert first.stdout.count("\n1. ") + first.stdout.count("\n12. ") == 2 or "1. " in first.stdout
    second = subprocess.run(command, **run)  # type: ignore[call-overload]
    assert second.returncode == 0, second.stderr
    assert "No new stories since your last digest" in second.stdout
    assert "0 new articles" in second.stderr
    with sqlite3.connect(db) as conn:
        total, urls = conn.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone()
    assert total == urls >= 20


def test_python_dash_m_bot_is_the_newsbot_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0 and "newsbot" in done.stdout and "demo" in done.stdout


def test_cluster_groups_the_sample_sites_shared_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from bot.demo import sitegen
    from bot.store import utcnow

    articles = sitegen.load_articles(utcnow())
    files = []
    for article in articles:
        path = tmp_path / f"{article.slug}.html"
        path.write_text(sitegen.render_page(article, "http://x.invalid", articles))
        files.append(str(path))
    assert main(["cluster", *files, "--json"]) == 0
    stories = json.loads(capsys.readouterr().out)["stories"]
    assert sorted(i for story in stories for i in story) == list(range(len(files)))
    together = sorted(sorted(articles[i].slug for i in s) for s in stories if len(s) > 1)
    # The sample site covers four events twice (one of them as a syndicated wire copy).
    assert together == sorted(
        [
            ["apple-india-iphone-assembly-us", "apple-suppliers-india-capacity"],
            ["samsung-hbm4-passes-nvidia-tests", "samsung-shares-jump-nvidia-hbm-nod"],
            ["tesla-camera-glitch-recall", "tesla-recall-rear-camera-software"],
            ["intel-sells-network-unit-stake-larchmont", "intel-sheds-control-network-chip-arm"],
        ]
    )
    assert main(["cluster", str(tmp_path / "missing.html")]) == 2


def test_feeds_list_does_not_pass_terminal_escapes_through(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feeds", "add", "https://news.example/rss"]) == 0
    capsys.readouterr()
    with sqlite3.connect(env / "n.db") as db:  # a feed's own title and a server's error text
        db.execute(
            "UPDATE feeds SET title = ?, last_error = ?, error_count = 1",
            ("Daily \x1b]0;pwned\x07News\x1b[2J", "HTTP 500 \x1b[31mred\x9b1m"),
        )
    assert main(["feeds", "list"]) == 0
    listing = capsys.readouterr().out
    assert "\x1b" not in listing and "\x07" not in listing and "\x9b" not in listing
    assert "Daily" in listing and "News" in listing and "pwned" not in listing
