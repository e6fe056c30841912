"""Feed parsing: RSS, Atom, JSON Feed, stable entry keys, documents that are not feeds."""

from __future__ import annotations

import json

import pytest

from bot.ingest.feeds import FeedError, html_to_text, parse_feed
from tests.fakes.newssite import rss

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom &amp; Co</title>
<link href="https://atom.example/"/><id>urn:feed</id><updated>2026-11-24T10:00:00Z</updated>
<entry><id>urn:e1</id><title type="html">Chips &lt;b&gt;up&lt;/b&gt; 3.5%</title>
<link rel="alternate" href="/2026/chips?utm_source=atom"/>
<published>2026-11-24T09:30:00+01:00</published><author><name>Ada Li</name></author>
<summary type="html">&lt;p&gt;First para.&lt;/p&gt;&lt;p&gt;Second para.&lt;/p&gt;</summary></entry>
</feed>"""


def test_rss_entries_have_keys_links_and_dates() -> None:
    body = rss([("g1", "https://n.example/a?utm_source=rss", "A"), ("g2", "/b", "B")])
    parsed = parse_feed(body, "https://n.example/feed.xml")
    assert parsed.title == "Test feed"
    assert [e.key for e in parsed.entries] == ["g1", "g2"]
    assert parsed.entries[0].link == "https://n.example/a"
    assert parsed.entries[1].link == "http://example.invalid/b"  # relative to the channel link
    assert parsed.entries[0].published and parsed.entries[0].published.isoformat().startswith(
        "2026-11-23T08:00:00"
    )
    assert parsed.entries[0].summary == "Feed summary of A."


def test_atom_markup_in_titles_becomes_text() -> None:
    parsed = parse_feed(ATOM, "https://atom.example/feed")
    entry = parsed.entries[0]
    assert parsed.title == "Atom & Co"
    assert entry.title == "Chips up 3.5%"
    assert entry.link == "https://atom.example/2026/chips"
    assert entry.author == "Ada Li"
    assert entry.summary == "First para.\nSecond para."
    assert entry.published and entry.published.hour == 8  # 09:30+01:00 in UTC


def test_json_feed() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON News",
        "home_page_url": "https://j.example/",
        "items": [
            {
                "id": "1",
                "url": "https://j.example/1",
                "title": "One",
                "content_html": "<p>Body <b>one</b></p>",
                "date_published": "2026-11-24T08:00:00Z",
                "authors": [{"name": "Kim"}],
            },
            {"id": "2", "url": "https://j.example/2", "content_text": "Untitled body"},
        ],
    }
    parsed = parse_feed(
        json.dumps(doc).encode(), "https://j.example/feed.json", "application/feed+json"
    )
    assert parsed.title == "JSON News"
    assert [e.key for e in parsed.entries] == ["1", "2"]
    assert parsed.entries[0].content == "Body one"
    assert parsed.entries[0].author == "Kim"
    assert parsed.entries[1].title == "(untitled)"


def test_one_guid_for_every_entry_does_not_collapse_entries() -> None:
    body = rss([("same", f"https://x.example/{i}", f"Story {i}") for i in range(3)])
    parsed = parse_feed(body, "https://x.example/feed")
    keys = [e.key for e in parsed.entries]
    assert len(set(keys)) == 3
    # ... and the keys are stable: the same document gives the same keys next poll.
    assert keys == [e.key for e in parse_feed(body, "https://x.example/feed").entries]


def test_entries_without_guid_or_link_get_keys_from_title_and_date() -> None:
    body = (
        b"<rss version='2.0'><channel><title>t</title>"
        b"<item><title>A</title></item><item><title>B</title></item></channel></rss>"
    )
    keys = [e.key for e in parse_feed(body, "https://x.example/feed").entries]
    assert len(set(keys)) == 2 and all(k.startswith("h:") for k in keys)


def test_entry_cap() -> None:
    body = rss([(f"g{i}", f"https://x.example/{i}", f"S{i}") for i in range(30)])
    assert len(parse_feed(body, "https://x.example/f", max_entries=10).entries) == 10


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<!doctype html><html><body>Hi</body></html>", "text/html", "serves an HTML page"),
        (b"", "application/rss+xml", "response was empty"),
        (b"\x00\x01 <rss><<< not xml", "text/xml", "no RSS, Atom or JSON Feed"),
        (b'{"not": "a feed"}', "application/json", "no RSS, Atom or JSON Feed"),
    ],
)
def test_documents_that_are_not_feeds_raise_a_clear_error(
    body: bytes, content_type: str, message: str
) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(body, "https://x.example/feed", content_type)


def test_html_to_text() -> None:
    assert html_to_text("<p>A &amp; B</p><p>C<br>D</p>") == "A & B\nC\nD"
    assert html_to_text("plain   text") == "plain text"
    assert html_to_text("<script>x</script>") in ("", "x")


def test_plain_text_titles_keep_their_angle_brackets() -> None:
    body = rss([("g", "https://x.example/1", "AT&amp;T &lt;Beta&gt; deal &amp; R&amp;D")])
    assert parse_feed(body, "https://x.example/f").entries[0].title == "AT&T <Beta> deal & R&D"
