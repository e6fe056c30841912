"""`newsbot summarize (URL | FILE | -) [--json]`: the contract outside tools rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo import sitegen
from bot.store import utcnow
from tests.fakes.newssite import NewsSite

ROOT = Path(__file__).resolve().parents[1]
TEXT = (
    "Apple to invest $1 billion in Texas\n"
    "Apple Inc. said on Monday it would invest $1 billion in a new campus in Austin, Texas. "
    "The campus will employ 5,000 people.\n"
    "“We are excited to grow in Texas,” said Tim Cook, Apple's chief executive. "
    "“Austin has been home to us for decades.”\n"
    "Construction starts next year."
)
KEYS = {"title", "summary", "quotes", "all_quotes", "companies", "summarizer"}


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["summarize", *args, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object
    return json.loads(out)


def test_text_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.txt"
    path.write_text(TEXT)
    result = run_json(capsys, str(path))
    assert set(result) == KEYS
    assert result["title"] == "Apple to invest $1 billion in Texas"
    assert result["summary"][0] == (
        "Apple Inc. said on Monday it would invest $1 billion in a new campus in Austin, Texas."
    )
    assert 1 <= len(result["quotes"]) <= 2
    assert all(q in result["all_quotes"] for q in result["quotes"])
    assert [q["text"] for q in result["all_quotes"]] == [
        "We are excited to grow in Texas",
        "Austin has been home to us for decades.",
    ]
    assert all(q["speaker"] == "Tim Cook" for q in result["all_quotes"])
    assert result["companies"] == ["Apple"]
    assert result["summarizer"] == "extractive"
    assert all(sentence in TEXT for sentence in result["summary"])


@pytest.fixture
def allow_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config that lets newsbot fetch from 127.0.0.1, where the test site is."""
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n[ingest]\nallow_private = ["127.0.0.1"]\n'
    )
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))


def test_html_page_from_a_url_on_the_loopback_site(
    site: NewsSite, capsys: pytest.CaptureFixture[str], allow_loopback: None
) -> None:
    article = next(a for a in sitegen.load_articles(utcnow()) if "huawei" in a.slug)
    result = run_json(capsys, site.url(sitegen.article_path(article)))
    assert result["title"] == article.title
    assert "Huawei" in result["companies"]
    assert result["summary"] and result["summary"][0] in "\n".join(article.paragraphs)
    assert all(q["text"] in "\n".join(article.paragraphs) for q in result["all_quotes"])


def test_standard_input_and_text_output() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "summarize", "-"],
        input=TEXT,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Apple to invest $1 billion in Texas\n")
    assert "” — Tim Cook" in done.stdout


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/nonexistent/file.html", "/nonexistent/file.html is neither an http(s) URL nor a"),
        ("http://127.0.0.1:9/x.html", "refused: 127.0.0.1 points inside a private network"),
        ("http://0177.0.0.1:9/", "refused: 127.0.0.1 points inside a private network"),
        ("http://127.000.000.001/", "refused: 127.0.0.1 points inside a private network"),
        ("http://0251.0376.0251.0376/", "refused: 169.254.169.254 points inside a private"),
        ("file:///etc/passwd", "refused: newsbot only fetches http:// and https:// addresses"),
        ("http://[::1", "refused: not a valid web address"),
    ],
)
def test_bad_input_says_what_is_wrong(
    target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["summarize", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"newsbot summarize: {message}") and err.count("\n") == 1


def test_an_allowed_address_that_does_not_answer(
    capsys: pytest.CaptureFixture[str], allow_loopback: None
) -> None:
    assert main(["summarize", "http://0177.0.0.1:9/x.html"]) == 2  # nothing listens on 9
    err = capsys.readouterr().err
    assert err.startswith("newsbot summarize: could not fetch 127.0.0.1: network error")


def test_empty_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "e.txt").write_text("  \n")
    assert main(["summarize", str(tmp_path / "e.txt")]) == 2
    assert "is empty" in capsys.readouterr().err


def test_llm_backend_through_the_cli_and_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fakes.openai_server import OpenAIServer, json_answer

    answer = json_answer(
        ["Apple will invest $1 billion in an Austin campus.", "It will employ 5,000 people."],
        [
            {"text": "We are excited to grow in Texas,", "speaker": "Tim Cook"},
            {"text": "Texas is the future,", "speaker": "Tim Cook"},
        ],  # not in the article
        ["Apple", "Samsung"],  # Samsung is not in the article
    )
    path = tmp_path / "a.txt"
    path.write_text(TEXT)
    with OpenAIServer(answer) as server:
        config = tmp_path / "newsbot.toml"
        config.write_text(
            f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n[summarizer]\nbackend = "llm"\n'
            f'[llm]\nbase_url = "{server.url}"\nmodel = "test-model"\n'
        )
        monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
        monkeypatch.setenv("NEWSBOT_LLM__API_KEY", "sk-test-key-0123456789")
        first = run_json(capsys, str(path), "--sentences", "2")
        second = run_json(capsys, str(path), "--sentences", "2")
        calls = server.count
    assert first == second and calls == 1  # the second run came from the store's cache
    assert first["summarizer"] == "llm"
    assert first["summary"] == [
        "Apple will invest $1 billion in an Austin campus.",
        "It will employ 5,000 people.",
    ]
    assert first["quotes"] == [{"text": "We are excited to grow in Texas,", "speaker": "Tim Cook"}]
    assert first["companies"] == ["Apple"]


def test_a_url_to_a_sign_in_wall_or_an_image_is_no_article(
    site: NewsSite, capsys: pytest.CaptureFixture[str], allow_loopback: None
) -> None:
    from tests.fakes.loopback import static
    from tests.test_cli_errors import PNG, WALLS

    site.routes["/wall.html"] = static(WALLS["login.html"].encode(), "text/html")
    site.routes["/photo"] = static(PNG, "text/html")  # a server that says HTML and sends PNG
    assert main(["summarize", site.url("/wall.html")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("newsbot summarize: found no article in 127.0.0.1")
    assert main(["summarize", site.url("/photo")]) == 2
    assert capsys.readouterr().err.startswith("newsbot summarize: 127.0.0.1 is a PNG image")
