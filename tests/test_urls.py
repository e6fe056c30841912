"""URL canonicalisation: tracking dropped, meaning kept."""

import pytest

from bot.ingest.http.urls import canonicalize_url, feed_url, host_of, web_url


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://Example.COM/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?id=7&fbclid=xyz&gclid=1#comments", "https://example.com/a?id=7"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://user:pw@example.com/a", "https://example.com/a"),
        ("https://例え.jp/記事", "https://xn--r8jz45g.jp/%E8%A8%98%E4%BA%8B"),
        ("  https://example.com/a%20b  ", "https://example.com/a%20b"),
    ],
)
def test_canonical_forms(raw: str, canonical: str) -> None:
    assert canonicalize_url(raw) == canonical


def test_relative_links_resolve_against_the_base() -> None:
    assert canonicalize_url("/news/1?utm_campaign=x", base="https://ex.com/feed") == (
        "https://ex.com/news/1"
    )


@pytest.mark.parametrize(
    "raw", ["", "javascript:alert(1)", "mailto:a@b.c", "ftp://ex.com/f", "http://", "http://[::1"]
)
def test_non_web_urls_are_refused(raw: str) -> None:
    assert canonicalize_url(raw) is None


@pytest.mark.parametrize(
    "given",
    [
        "https://example.com/news?rss",
        "https://example.com/index.php?format=feed&type=rss",
        "https://example.com/feed?utm_source=newsbot",
    ],
)
def test_a_feed_address_keeps_its_whole_query(given: str) -> None:
    assert feed_url(given) == given
    shouted = given.replace("https://example.com", "HTTPS://Example.COM:443") + "#top"
    assert feed_url(shouted) == given


def test_an_article_link_still_loses_its_tracking_query() -> None:
    assert canonicalize_url("https://example.com/a?rss&utm_source=x") == "https://example.com/a"
    assert feed_url("ftp://example.com/feed") is None


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("http://2130706433:8765/x", "http://127.0.0.1:8765/x"),
        ("http://0177.0.0.1:9/", "http://127.0.0.1:9/"),
        ("http://127.000.000.001/", "http://127.0.0.1/"),
        ("http://0251.0376.0251.0376/", "http://169.254.169.254/"),
        ("http://１２７。０。０。１/", "http://127.0.0.1/"),
        ("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/"),
        ("http:\\\\example.com\\a\\b", "http://example.com/a/b"),
        ("HTTP://Example.COM:80/a b#frag", "http://example.com/a%20b"),
        ("http://127.0.0.1:P\\@example.com/x", None),  # the port is "P": no URL at all
        ("http://1.2.3.4.5/", None),
        ("javascript:alert(1)", None),
    ],
)
def test_one_parser_reads_urls_as_a_browser_does(raw: str, read: str | None) -> None:
    assert web_url(raw) == read
    # canonicalisation reads the same URL: the same host, or nothing either
    canonical = canonicalize_url(raw)
    assert (canonical is None) == (read is None)
    if read is not None:
        assert host_of(canonical or "") == host_of(read)


def test_a_redirect_is_resolved_by_the_same_parser() -> None:
    assert web_url("//127.1:8/x", base="http://public.example/a") == "http://127.0.0.1:8/x"
    assert web_url("../feed?x=1", base="https://example.com/a/b/c") == (
        "https://example.com/a/feed?x=1"
    )
