"""The command's error path: a store that cannot be opened, an unreadable, binary or empty
file, a page with no article on it, a bad option: one line that says what to do, a non-zero
exit, and no traceback unless --debug."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import bot.cli
from bot.cli import main
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[1]
TODO_SQLITE = "check [store] url: its folder must exist and be writable by newsbot"
TODO_SERVER = "check [store] url, and that the database server is running and lets this user in"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n'
        f'[ingest]\nfeeds_file = "{tmp_path}/none.opml"\n'
    )
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    return tmp_path


def _stores(tmp_path: Path) -> list[tuple[str, str, str]]:
    """(store URL, how it should be shown, what to do) for stores that cannot be opened."""
    port = closed_port()
    pg = f"postgresql://newsbot:hunter2-pw@127.0.0.1:{port}/news"
    return [
        ("sqlite:////proc/nope/nb.db", "sqlite:////proc/nope/nb.db", TODO_SQLITE),
        (f"sqlite:///{tmp_path}", f"sqlite:///{tmp_path}", TODO_SQLITE),  # a directory
        ("sqlite:////dev/null/nb.db", "sqlite:////dev/null/nb.db", TODO_SQLITE),
        (pg, pg.replace("hunter2-pw", "***"), TODO_SERVER),  # nothing listens there
    ]


COMMANDS = [
    ["feeds", "list"],
    ["feeds", "remove", "https://example.com/feed"],
    ["feeds", "export"],
    ["poll"],
    ["digest"],
    ["company", "Apple"],
    ["ask", "What", "did", "Apple", "say?"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_a_store_that_cannot_be_opened_is_one_line(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    for url, shown, todo in _stores(env):
        monkeypatch.setenv("NEWSBOT_STORE__URL", url)
        assert main(command) == 1, url
        out, err = capsys.readouterr()
        name = command[0]
        assert err.startswith(f"newsbot {name}: cannot open the store {shown} (")
        assert err.endswith(f"); {todo}\n") and err.count("\n") == 1, err
        assert "hunter2" not in out + err and "Traceback" not in err


def test_summarize_and_feeds_add_reach_the_store_last(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = env / "a.txt"
    text.write_text("Title\nThe council approved the tram line on Monday after a debate.\n")
    monkeypatch.setenv("NEWSBOT_STORE__URL", "sqlite:////proc/nope/nb.db")
    for command in (["summarize", str(text)], ["feeds", "add", "https://news.example/feed"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "cannot open the store sqlite:////proc/nope/nb.db" in err
        assert err.count("\n") == 1


@pytest.mark.skipif(not PG_URL, reason="set NEWSBOT_TEST_POSTGRES_URL to try a real server")
def test_a_database_server_that_refuses_the_user(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert PG_URL
    host = PG_URL.split("@", 1)[1].split("/", 1)[0]
    monkeypatch.setenv("NEWSBOT_STORE__URL", f"postgresql://nobody-here:pw-123456@{host}/test")
    assert main(["feeds", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"newsbot feeds: cannot open the store postgresql://nobody-here:***@{host}"
    )
    assert "nobody-here" in err and "pw-123456" not in err and err.count("\n") == 1


def test_check_says_the_same_and_exits_1(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSBOT_STORE__URL", "sqlite:////dev/null/nb.db")
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "error: [store] cannot open the store sqlite:////dev/null/nb.db (" in err
    assert "Traceback" not in err


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken(args: object, settings: object) -> int:
        raise RuntimeError("boom at http://feeds.example/x?token=tok-123456")

    monkeypatch.setitem(bot.cli.COMMANDS, "digest", broken)
    assert main(["digest"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "newsbot digest: unexpected error (RuntimeError: boom at http://feeds.example/…); "
        "run the command again with --debug to see where, and report it\n"
    )
    with pytest.raises(RuntimeError, match="boom"):
        main(["--debug", "digest"])


# summarize: files that are no article -------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
BINARIES = [
    ("image.png", PNG, "a PNG image"),
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "a JPEG image"),
    ("paper.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
    ("page.html.gz", gzip.compress(b"<html><p>hello</p></html>"), "a gzip archive"),
    ("data.bin", bytes(range(256)) * 4, "a binary file"),
    ("clip.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "an audio or video file"),
]


@pytest.mark.parametrize(("name", "data", "kind"), BINARIES, ids=[b[0] for b in BINARIES])
def test_a_binary_file_is_refused_before_summarizing(
    env: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes, kind: str
) -> None:
    (env / name).write_bytes(data)
    assert main(["summarize", str(env / name)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"newsbot summarize: {name} is {kind}, not an article; "
        "give a web page's address, an HTML file or a text file\n"
    )


def test_text_in_other_encodings_is_still_text(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "Café owners in Zürich said on Monday that prices would rise by a tenth next year."
    for name, data in (
        ("utf16.txt", ("Zürich cafés raise prices\n" + body).encode("utf-16")),
        ("latin1.txt", ("Zurich cafes raise prices\n" + body).encode("latin-1")),
    ):
        (env / name).write_bytes(data)
        assert main(["summarize", str(env / name)]) == 0, capsys.readouterr().err
        assert "prices" in capsys.readouterr().out


def test_a_folder_and_an_unreadable_file(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summarize", str(env)]) == 2
    assert capsys.readouterr().err == (
        f"newsbot summarize: {env} is a folder; "
        "give a web page's address, an HTML file or a text file\n"
    )
    locked = env / "locked.html"
    locked.write_text("<p>secret</p>")
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the read fail as it does for others
        real = Path.read_bytes

        def denied(self: Path) -> bytes:
            if self == locked:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", denied)
    assert main(["summarize", str(locked)]) == 2
    assert capsys.readouterr().err == (
        f"newsbot summarize: cannot read {locked}: Permission denied; check that you may read it\n"
    )


# Sign-in walls and paywall stubs, written for these tests in the languages newsbot reads.
WALLS = {
    "en.txt": "Sign in to continue reading\nEmail address\nForgot password?\n"
    "Subscribe for $1 a week\n",
    "de.txt": "Jetzt anmelden und weiterlesen\nE-Mail\nPasswort vergessen?\n"
    "Abonnieren Sie für 1 € pro Woche\n",
    "fr.txt": "Connectez-vous pour lire la suite\nAdresse e-mail\nMot de passe oublié ?\n"
    "Abonnez-vous pour 1 € par semaine\n",
    "es.txt": "Inicia sesión para seguir leyendo\nCorreo electrónico\n"
    "¿Olvidaste tu contraseña?\nSuscríbete por 1 € a la semana\n",
    "ru.txt": "Войдите, чтобы продолжить чтение\nЭлектронная почта\nЗабыли пароль?\n"
    "Оформите подписку за 99 ₽ в неделю\n",
    "ja.txt": "ログインして続きを読む\nメールアドレス\nパスワードをお忘れですか\n購読は週100円\n",
    "stub.html": "<!doctype html><html><head><title>Council backs tram line</title></head>"
    "<body><article><h1>Council backs tram line</h1>"
    "<p>The city council approved the new tram line on Monday after a long debate.</p>"
    "<p>This article is for subscribers. Subscribe now to continue reading.</p>"
    "<p>Already a subscriber? Log in.</p></article></body></html>",
    "login.html": "<!doctype html><html><head><title>Sign in</title></head><body><main>"
    "<h1>Sign in to continue reading</h1><form><p>Email address</p><input name=email>"
    "<p>Password</p><input type=password name=pw><p><a href=/forgot>Forgot password?</a></p>"
    "<p>Not a member? Subscribe for $1 a week.</p></form></main></body></html>",
}


@pytest.mark.parametrize("name", sorted(WALLS))
def test_a_page_with_no_article_is_refused(
    env: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (env / name).write_text(WALLS[name], encoding="utf-8")
    assert main(["summarize", str(env / name)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"newsbot summarize: found no article in {name}: it is a sign-in")
    assert "save its text to a file and summarize that" in err


ARTICLES = {
    # A short brief with the site's own sign-up lines left in.
    "brief.txt": "Tram line approved\n"
    "The city council approved the new tram line on Monday after a debate that lasted "
    "most of the night. Construction is due to start in the spring and the line should "
    "open in three years, the mayor said.\n"
    "Subscribe to our newsletter.\nSign in to comment.\n",
    # News about passwords and accounts: much prose, many account words.
    "breach.txt": "Retailer says millions of passwords leaked\n"
    + (
        "The retailer said on Tuesday that attackers had copied the password hashes of "
        "millions of customer accounts, and asked every customer to sign in and change "
        "their password. Subscribers to its delivery plan were also affected, it said. "
    )
    * 4,
}


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_an_article_that_mentions_accounts_is_still_summarized(
    env: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (env / name).write_text(ARTICLES[name], encoding="utf-8")
    assert main(["summarize", str(env / name)]) == 0
    assert ARTICLES[name].splitlines()[0] in capsys.readouterr().out


@pytest.mark.parametrize("value", ["-5", "0", "21", "three"])
def test_sentences_must_be_a_sensible_number(
    env: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    (env / "a.txt").write_text("Title\nOne sentence here. Another one there.\n")
    with pytest.raises(SystemExit) as done:
        main(["summarize", str(env / "a.txt"), "--sentences", value])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --sentences: expected a whole number from 1 to 20, got '{value}'" in err


# the real command, in a process of its own ---------------------------------------------------


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, **env},
    )


def test_the_real_command_refuses_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n'
        f'[ingest]\nfeeds_file = "{tmp_path}/none.opml"\n'
    )
    env = {"NEWSBOT_CONFIG": str(config)}
    port = closed_port()
    allow = "allow it with [ingest] allow_private"

    done = _run("summarize", f"http://2130706433:{port}/x", env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"newsbot summarize: refused: 127.0.0.1 points inside a private network; {allow}\n"
    )

    done = _run("feeds", "add", "http://169.254.169.254/latest/meta-data/", env=env)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"newsbot feeds add: refused: 169.254.169.254 points inside a private network; {allow}\n"
    )

    root = ET.Element("opml", version="2.0")
    body = ET.SubElement(root, "body")
    for url in ("file:///etc/passwd", "javascript:alert(1)", "gopher://127.0.0.1:70/_x"):
        ET.SubElement(body, "outline", {"text": "x", "xmlUrl": url})
    (tmp_path / "bad.opml").write_bytes(ET.tostring(root))
    done = _run("feeds", "import", str(tmp_path / "bad.opml"), env=env)
    assert (done.returncode, done.stdout) == (1, "Imported 0 new feeds (0 already known).\n")
    scheme = "refused: newsbot only fetches http:// and https:// addresses"
    assert done.stderr.splitlines() == [
        "Left out 3 feeds:",
        f"  ✗ file:///etc/passwd: {scheme}",
        f"  ✗ javascript:alert(1): {scheme}",
        f"  ✗ gopher://127.0.0.1:70/_x: {scheme}",
    ]
    assert "No feeds yet" in _run("feeds", "list", env=env).stdout


def test_the_real_command_on_a_broken_store_and_with_debug(tmp_path: Path) -> None:
    (tmp_path / "empty.toml").write_text("")
    env = {
        "NEWSBOT_CONFIG": str(tmp_path / "empty.toml"),
        "NEWSBOT_STORE__URL": "sqlite:////proc/nope/nb.db",
    }
    done = _run("feeds", "list", env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("newsbot feeds: cannot open the store sqlite:////proc/nope/nb.db")
    assert done.stderr.count("\n") == 1
    debug = _run("--debug", "feeds", "list", env=env)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "StoreUnavailable: cannot open the store sqlite:////proc/nope/nb.db" in debug.stderr
