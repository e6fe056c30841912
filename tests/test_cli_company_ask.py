"""`newsbot company NAME [--json]` and `newsbot ask QUESTION [--json]`: the contracts outside
tools rely on, over a store filled from the sample site on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.store import Store
from tests.chatbot import fill
from tests.fakes.newssite import NewsSite

STORY_KEYS = {"id", "title", "summary", "quote", "sources", "published"}
SOURCE_KEYS = {"n", "title", "name", "url", "story_id"}


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NewsSite]:
    """A config and SQLite store in tmp, holding the sample site's news."""
    url = f"sqlite:///{tmp_path}/n.db"
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[store]\nurl = "{url}"\n[ingest]\nfeeds_file = "{tmp_path}/none.opml"\n')
    loopback = {"allow_private": ["127.0.0.1"]}  # the site the poller reads is on 127.0.0.1
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))

    async def run(site: NewsSite) -> None:
        store = await Store.open(url)
        try:
            await fill(store, site, Settings(store={"url": url}, ingest=loopback))
        finally:
            await store.close()

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with NewsSite() as site:
        asyncio.run(run(site))
        yield site
    # main() logs to the stderr capsys gave it, which is closed after the test: put back ours.
    root.handlers[:], root.level = handlers, level


def run_json(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> dict:
    assert main([*args, "--json"]) == code
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object
    return json.loads(out)


def test_company_json(filled: NewsSite, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "company", "google")
    assert set(result) == {"company", "stories"}
    assert result["company"] == "Google"
    assert 1 <= len(result["stories"]) <= 5
    for story in result["stories"]:
        assert set(story) == STORY_KEYS
        assert isinstance(story["id"], int) and story["title"]
        assert isinstance(story["summary"], str) and story["summary"]
        assert story["quote"] is None or set(story["quote"]) == {"text", "speaker"}
        assert story["sources"] and all(set(s) == {"name", "url"} for s in story["sources"])
        assert all(s["url"].startswith(filled.base_url) for s in story["sources"])
        assert story["published"] is None or datetime.fromisoformat(story["published"]).tzinfo
    assert "Google Cloud" in result["stories"][0]["title"]


def test_company_json_two_word_name_and_unknown(
    filled: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_json(capsys, "company", "Huawei", "Technologies")["company"] == "Huawei"
    assert main(["company", "huawai", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"company": None, "stories": []}
    assert "Did you mean: Huawei" in captured.err
    assert main(["company", "", "--json"]) == 2
    assert "Which company?" in capsys.readouterr().err


def test_company_text(filled: NewsSite, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["company", "huawei"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Huawei: the latest")
    assert "Huawei brings HarmonyOS laptops to Europe" in out
    assert re.search(r"\[Longer summary: /summary \d+\]", out)


def test_ask_json_cites_only_listed_sources(
    filled: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_json(capsys, "ask", "What", "did", "Huawei", "announce", "about", "laptops?")
    assert set(result) == {"answer", "sources"}
    assert result["sources"]
    assert all(set(s) == SOURCE_KEYS for s in result["sources"])
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])}
    assert numbers == {s["n"] for s in result["sources"]}
    assert all(s["url"].startswith(filled.base_url) for s in result["sources"])
    assert "Huawei" in result["answer"]


def test_ask_not_answered_and_text(filled: NewsSite, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, "ask", "zyxxyq", "qwrtzp?")
    assert result == {"answer": "The stored news doesn't answer that.", "sources": []}
    assert set(run_json(capsys, "ask", "'; DROP TABLE articles; --")) == {"answer", "sources"}
    assert main(["ask", "Which", "chips", "did", "Samsung", "clear?"]) == 0
    out = capsys.readouterr().out
    assert "Sources:" in out and "[1] " in out
