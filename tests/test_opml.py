"""OPML import and export, and the shipped starter list."""

from pathlib import Path

import pytest

from bot.ingest.http.urls import canonicalize_url
from bot.ingest.opml import OPMLError, read_opml, write_opml
from bot.models import Feed

ROOT = Path(__file__).resolve().parents[1]


def test_round_trip_keeps_urls_and_titles() -> None:
    feeds = [
        Feed(url="https://a.example/rss", title="A & B <News>"),
        Feed(url="https://b.example/atom", site_url="https://b.example/"),
    ]
    outlines = read_opml(write_opml(feeds).encode())
    assert [(o.url, o.title) for o in outlines] == [
        ("https://a.example/rss", "A & B <News>"),
        ("https://b.example/atom", None),
    ]


def test_nested_groups_and_duplicates() -> None:
    doc = b"""<opml version="2.0"><body><outline text="Tech">
      <outline text="A" xmlUrl="https://a.example/rss"/>
      <outline text="A again" xmlUrl="https://a.example/rss"/></outline>
      <outline text="folder only"/></body></opml>"""
    assert [o.url for o in read_opml(doc)] == ["https://a.example/rss"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b"<rss/>", "not OPML"),
        (b"<opml><body>", "not valid XML"),
    ],
)
def test_bad_files_say_why(doc: bytes, message: str) -> None:
    with pytest.raises(OPMLError, match=message):
        read_opml(doc)


def test_starter_feeds_are_real_web_feeds() -> None:
    outlines = read_opml((ROOT / "config" / "feeds.opml").read_bytes())
    assert len(outlines) >= 10
    assert all(canonicalize_url(o.url) and o.url.startswith("https://") for o in outlines)
