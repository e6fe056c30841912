"""The bundled sample news site: articles, pages, feeds, and what trafilatura makes of the pages."""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
import trafilatura

from bot.demo import sitegen
from bot.demo.sitegen import SiteArticle

NOW = datetime(2026, 11, 23, 9, 30, 15, 250_000, tzinfo=UTC)
BASE = "http://127.0.0.1:8731"
ARTICLES = sitegen.load_articles(NOW)
MARKUP_TITLE = "AT&T <Beta> deal: Microsoft moves Azure R&D into the carrier's network core"
# Boilerplate of the three layouts that must never reach the extracted article text.
BOILERPLATE = [
    "Advertisement",
    "FiberMax",
    "Nimbus Backup",
    "DevCloud Summit",
    "The Daily Ledger",
    "LedgerLine Payroll",
    "Quanta Invest",
    "Stratus Freight",
    "Harbor Morning Briefing",
    "Meridian Wealth",
    "Markets Before the Bell",
    "in your inbox",
    "cookies",
    "All rights reserved",
    "Read next",
    "Reader comments",
]


def _by_slug(slug: str) -> SiteArticle:
    return next(a for a in ARTICLES if a.slug == slug)


def test_articles_are_enough_and_well_formed() -> None:
    assert len(ARTICLES) >= 20
    assert len(sitegen.OUTLETS) >= 3
    assert {a.outlet for a in ARTICLES} == set(sitegen.OUTLETS)
    assert len({a.slug for a in ARTICLES}) == len(ARTICLES)
    for a in ARTICLES:
        words = sum(len(p.split()) for p in a.paragraphs)
        assert 6 <= len(a.paragraphs) <= 12 and 350 <= words <= 900, a.slug
        assert 1 <= a.hours_ago <= 60 and len(a.comments) <= 4, a.slug
        assert a.published == (NOW - timedelta(hours=a.hours_ago)).replace(microsecond=0)
        assert a.published.tzinfo is not None and a.published.utcoffset() == timedelta(0)


def test_naive_now_is_taken_as_utc() -> None:
    naive = sitegen.load_articles(NOW.replace(tzinfo=None))
    assert [a.published for a in naive] == [a.published for a in ARTICLES]


def test_special_characters_are_present() -> None:
    texts = [" ".join([a.title, a.teaser, *a.paragraphs]) for a in ARTICLES]
    assert any(a.title == MARKUP_TITLE for a in ARTICLES)
    assert any("华为" in t and "€" in t and "é" in t for t in texts)
    assert any("<" in t and "R&D" in t for t in texts)


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.slug)
def test_page_renders_with_title_escaped(article: SiteArticle) -> None:
    page = sitegen.render_page(article, BASE, ARTICLES)
    assert "{{" not in page and "{%" not in page
    assert html.escape(article.title) in page
    assert f'<link rel="canonical" href="{BASE}{sitegen.article_path(article)}"' in page
    assert f'content="{html.escape(article.title)}"' in page  # og:title
    assert article.published.isoformat() in page
    for comment in article.comments:
        assert html.escape(comment["text"]) in page
    others = [a for a in ARTICLES if a.outlet == article.outlet and a is not article]
    assert any(BASE + sitegen.article_path(a) in page for a in others)  # related links
    assert not any(
        BASE + sitegen.article_path(a) in page for a in ARTICLES if a.outlet != article.outlet
    )


def test_markup_title_is_escaped_not_interpreted() -> None:
    article = _by_slug("att-microsoft-beta-edge-deal")
    page = sitegen.render_page(article, BASE, ARTICLES)
    assert "<Beta>" not in page and "AT&T " not in page
    assert '<h1 class="entry-title" itemprop="headline">AT&amp;T &lt;Beta&gt; deal' in page
    assert "latency of &lt;10 milliseconds" in page


@pytest.mark.parametrize("outlet", sitegen.OUTLETS)
def test_index_lists_the_outlets_headlines(outlet: str) -> None:
    page = sitegen.render_index(outlet, BASE, ARTICLES)
    mine = [a for a in ARTICLES if a.outlet == outlet]
    for a in mine:
        assert html.escape(a.title) in page
        assert BASE + sitegen.article_path(a) in page
    assert BASE + sitegen.feed_path(outlet) in page


def _parse(outlet: str) -> tuple[list[dict[str, str]], str]:
    """The outlet's feed as (entries with id/title/link/published/author, content type)."""
    body, content_type = sitegen.render_feed(outlet, BASE, ARTICLES)
    if content_type.startswith("application/feed+json"):  # feedparser 6 reads no JSON Feed
        doc = json.loads(body)
        assert doc["version"] == "https://jsonfeed.org/version/1.1"
        assert doc["feed_url"] == BASE + sitegen.feed_path(outlet)
        entries = [
            {"id": i["id"], "title": i["title"], "link": i["url"], "summary": i["summary"]}
            | {"published": i["date_published"], "author": i["authors"][0]["name"]}
            for i in doc["items"]
        ]
        return entries, content_type
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [dict(e) for e in parsed.entries], content_type


def test_feed_kinds() -> None:
    kinds = {o: sitegen.render_feed(o, BASE, ARTICLES)[1].split(";")[0] for o in sitegen.OUTLETS}
    assert sorted(kinds.values()) == [
        "application/atom+xml",
        "application/feed+json",
        "application/rss+xml",
    ]
    versions = {
        o: feedparser.parse(sitegen.render_feed(o, BASE, ARTICLES)[0]).version
        for o, kind in kinds.items()
        if kind != "application/feed+json"
    }
    assert sorted(versions.values()) == ["atom10", "rss20"]


@pytest.mark.parametrize("outlet", sitegen.OUTLETS)
def test_feed_entries_are_complete_absolute_and_newest_first(outlet: str) -> None:
    entries, _ = _parse(outlet)
    mine = sorted(
        (a for a in ARTICLES if a.outlet == outlet), key=lambda a: a.published, reverse=True
    )
    assert len(entries) == len(mine)
    assert [e["title"] for e in entries] == [a.title for a in mine]
    for entry, article in zip(entries, mine, strict=True):
        assert entry["link"].startswith(BASE + "/")
        assert urlsplit(entry["link"]).path == sitegen.article_path(article)
        assert entry["id"] and "127.0.0.1" not in entry["id"]  # the port changes between runs
        assert entry["author"] == article.author
        assert entry["summary"]
        assert entry["published"]


def test_feed_ids_and_paths_are_stable_across_runs() -> None:
    later = sitegen.load_articles(NOW + timedelta(minutes=1, seconds=7))
    assert [sitegen.article_path(a) for a in later] == [sitegen.article_path(a) for a in ARTICLES]
    for outlet in sitegen.OUTLETS:
        assert sitegen.feed_path(outlet).startswith(f"/{outlet}/")
        first = [e["id"] for e in _parse(outlet)[0]]
        body, _ = sitegen.render_feed(outlet, "http://127.0.0.1:9999", later)
        if body.lstrip().startswith(b"{"):
            second = [i["id"] for i in json.loads(body)["items"]]
        else:
            second = [e["id"] for e in feedparser.parse(body).entries]
        assert first == second and len(set(first)) == len(first)


def test_rss_is_well_formed_with_tracking_links_and_rfc822_dates() -> None:
    body, _ = sitegen.render_feed("circuit-ledger", BASE, ARTICLES)
    parsed = feedparser.parse(body)
    assert parsed.feed.ttl == "15"
    assert b'isPermaLink="false"' in body and b"GMT</pubDate>" in body
    assert all("utm_source=rss" in e.link for e in parsed.entries)
    for entry in parsed.entries:
        assert entry.guidislink is False
        assert entry.published_parsed is not None


def test_markup_title_round_trips_through_the_feed() -> None:
    body, _ = sitegen.render_feed("circuit-ledger", BASE, ARTICLES)
    assert b"AT&amp;T &lt;Beta&gt; deal" in body
    titles = [e.title for e in feedparser.parse(body).entries]
    assert MARKUP_TITLE in titles


def test_json_feed_carries_non_ascii_text() -> None:
    body, content_type = sitegen.render_feed("markets-daily", BASE, ARTICLES)
    assert content_type == "application/feed+json"
    doc = json.loads(body.decode("utf-8"))
    assert any("€" in item["summary"] for item in doc["items"])


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a.slug)
def test_trafilatura_extracts_the_body_without_boilerplate(article: SiteArticle) -> None:
    page = sitegen.render_page(article, BASE, ARTICLES)
    text = trafilatura.extract(page, favor_precision=True, include_comments=False)
    assert text
    assert article.paragraphs[0] in text
    assert article.paragraphs[-1] in text
    for junk in BOILERPLATE + [c["text"] for c in article.comments]:
        assert junk not in text, junk


def test_some_events_are_covered_by_two_outlets() -> None:
    # The same story at two outlets: clustering has to put these pairs together.
    pairs = [
        ("apple-india-iphone-assembly-us", "apple-suppliers-india-capacity"),
        ("samsung-hbm4-passes-nvidia-tests", "samsung-shares-jump-nvidia-hbm-nod"),
        ("tesla-recall-rear-camera-software", "tesla-camera-glitch-recall"),
        ("intel-sells-network-unit-stake-larchmont", "intel-sheds-control-network-chip-arm"),
    ]
    for one, other in pairs:
        a, b = _by_slug(one), _by_slug(other)
        assert a.outlet != b.outlet and a.title != b.title
    wire, copy = _by_slug(pairs[3][0]), _by_slug(pairs[3][1])
    shared = Counter(wire.paragraphs) & Counter(copy.paragraphs)
    assert sum(shared.values()) >= len(wire.paragraphs) - 1  # syndicated near-verbatim
