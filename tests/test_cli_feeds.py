"""`newsbot feeds add` and `feeds import` go the chat's way (bot/ingest/feedlist.py): a page's
address adds the feed the page names, a page naming none is refused, against the loopback news
site (allowlisted, as an operator would for an intranet)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.loopback import static
from tests.fakes.newssite import RSS, NewsSite, rss

HTML = "text/html; charset=utf-8"
NOT_A_FEED = "That page is not a feed and names none."


@pytest.fixture
def blog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: NewsSite) -> NewsSite:
    """A config that lets newsbot fetch the loopback site, which serves a blog page naming
    its feed beside the feed."""
    config = tmp_path / "newsbot.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/n.db"\n'
        f'[ingest]\nfeeds_file = "{tmp_path}/none.opml"\nallow_private = ["127.0.0.1"]\n'
    )
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))
    head = '<link rel="alternate" type="application/rss+xml" title="Blog" href="feed.xml">'
    page = f"<html><head>{head}</head><body>Hi</body></html>".encode()
    site.routes["/blog/"] = static(page, HTML)
    items = [("b1", site.url("/blog/1.html"), "First post")]
    site.routes["/blog/feed.xml"] = static(rss(items, "Loopback Blog"), RSS)
    return site


def test_feeds_add_with_a_page_adds_the_feed_it_names(
    blog: NewsSite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["feeds", "add", blog.url("/blog/")]) == 0
    assert capsys.readouterr().out == f"Added {blog.url('/blog/feed.xml')}\n"
    assert main(["feeds", "add", blog.url("/blog/feed.xml")]) == 0
    assert capsys.readouterr().out == f"Already polling {blog.url('/blog/feed.xml')}\n"

    assert main(["feeds", "add", blog.url("/broken/html.xml")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"newsbot feeds add: {NOT_A_FEED} ")
    assert err.count("\n") == 1

    assert main(["feeds", "list"]) == 0
    listing = capsys.readouterr().out
    assert "Loopback Blog" in listing and "html.xml" not in listing


def test_feeds_import_adds_the_feeds_pages_name_and_leaves_out_what_is_none(
    blog: NewsSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ET.Element("opml", version="2.0")
    body = ET.SubElement(root, "body")
    for path in ("/blog/", "/good/feed.xml", "/broken/html.xml"):
        ET.SubElement(body, "outline", {"text": path, "xmlUrl": blog.url(path)})
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(ET.tostring(root, encoding="utf-8"))

    assert main(["feeds", "import", str(opml)]) == 1
    out, err = capsys.readouterr()
    assert out == "Imported 2 new feeds (0 already known).\n"
    assert err.splitlines()[0] == "Left out 1 feed:"
    assert err.splitlines()[1].startswith(f"  ✗ {blog.url('/broken/html.xml')}: {NOT_A_FEED}")

    assert main(["feeds", "export"]) == 0
    exported = capsys.readouterr().out
    assert blog.url("/blog/feed.xml") in exported and blog.url("/good/feed.xml") in exported
    assert f'xmlUrl="{blog.url("/blog/")}"' not in exported and "html.xml" not in exported
