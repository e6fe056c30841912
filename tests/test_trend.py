"""/trend and `newsbot trend`: a generated month of Huawei stories, indexed by the real indexer,
counted per day in the reader's time zone, charted as a PNG a phone can read."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image as PILImage
from PIL import ImageStat

from bot.cli import main
from bot.demo.month import PEAK_DAY, month_of_articles, news_day
from bot.digest.chart import render_png
from bot.digest.trend import build_trend, parse_period
from bot.models import CompanyArticle
from bot.nlp.indexer import StoryIndexer
from bot.reply import Image
from bot.store import Store
from bot.store.news import NewsIndex
from bot.store.trend import company_articles
from bot.summarize.embedded import load_gazetteer
from tests.chatbot import ChatBot, testbot_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
BERLIN = ZoneInfo("Europe/Berlin")


async def fill_month(store: Store, now: datetime) -> None:
    """Store the month and index it with the real indexer (companies, then stories)."""
    feed, _ = await store.add_feed("https://feeds.test/all.xml")
    items = month_of_articles(now)
    for item in items:
        item.feed_id = feed.id
    # The indexer follows the news as it comes: built first, then fed in order of publication
    # (built after, it would see the month as old news, out of its window).
    index = NewsIndex(store)
    indexer = await StoryIndexer.rebuild(index, load_gazetteer(ROOT / "config/companies.toml"))
    stored = await store.store_articles([(a, a.url or "") for a in items])
    await indexer.index(index, stored)


def test_a_story_counts_once_on_its_first_day_in_the_readers_zone() -> None:
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 December in Berlin

    def row(article_id: int, story: int | None, when: datetime, source: str) -> CompanyArticle:
        return CompanyArticle(article_id, story, f"Story {story}", source, None, when)

    rows = [
        row(1, 10, late, "A"),
        row(2, 10, late + timedelta(days=1), "B"),  # same story the next day: not counted again
        row(3, None, late, "A"),  # an article in no story yet is a story of its own
        row(4, 11, now - timedelta(days=40), "C"),  # before the period
    ]
    trend = build_trend("Huawei", rows, days=7, zone=BERLIN, now=now)
    by_day = {d.day.isoformat(): (d.stories, d.sources) for d in trend.days}
    assert len(trend.days) == 7 and trend.days[-1].day.isoformat() == "2026-12-06"
    assert by_day["2026-12-02"] == (2, 1)  # two stories, one outlet
    assert by_day["2026-12-03"] == (0, 1)  # no new story, but B wrote about story 10
    assert trend.total == 2
    assert parse_period("90d") == 90 and parse_period("2w") is None and parse_period("7 days") == 7


async def test_month_counts_peaks_and_chart(store: Store) -> None:
    now = datetime.now(UTC)
    await fill_month(store, now)
    since = now - timedelta(days=40)
    rows = await company_articles(store, "Huawei", since, now)
    assert len(rows) == len(month_of_articles(now))  # every article names Huawei
    assert all(r.published.tzinfo is not None for r in rows)
    trend = build_trend("Huawei", rows, days=30, zone=BERLIN, now=now)
    stored_stories = {r.story_id for r in rows}
    assert None not in stored_stories and trend.total == len(stored_stories)
    assert trend.total >= 20  # the indexer told the month's events apart
    peak_day = news_day(now, PEAK_DAY)  # the same date in Berlin
    assert [p.day for p in trend.peaks] == [peak_day]
    (peak,) = trend.peaks
    assert peak.stories == 8 and peak.story_id in stored_stories  # one story per event
    assert peak.title.startswith("Huawei ")
    assert json.loads(json.dumps(trend.to_json()))["peaks"][0]["date"] == peak_day.isoformat()

    png = render_png([trend])
    picture = PILImage.open(io.BytesIO(png))
    assert picture.format == "PNG" and picture.size == (1000, 500)
    spread = ImageStat.Stat(picture.convert("L")).stddev[0]
    assert spread > 20  # not a blank picture: bars, labels and axes on white


def test_cli_trend_png_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    url = f"sqlite:///{tmp_path}/n.db"
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[store]\nurl = "{url}"\n[digest]\ndefault_timezone = "Europe/Berlin"\n')
    monkeypatch.setenv("NEWSBOT_CONFIG", str(config))

    async def fill() -> None:
        store = await Store.open(url)
        try:
            await fill_month(store, datetime.now(UTC))
        finally:
            await store.close()

    asyncio.run(fill())
    png = tmp_path / "huawei.png"
    assert main(["trend", "huawei", "--png", str(png), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"company", "days", "peaks"} and out["company"] == "Huawei"
    assert len(out["days"]) == 30
    assert all(set(d) == {"date", "stories", "sources"} for d in out["days"])
    assert all(set(p) == {"date", "story_id", "title"} for p in out["peaks"])
    peak_day = news_day(datetime.now(UTC), PEAK_DAY)
    assert [p["date"] for p in out["peaks"]] == [peak_day.isoformat()]
    assert PILImage.open(png).size == (1000, 500)

    assert main(["trend", "huawei", "--period", "7d"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Huawei: ") and " in 7 days" in text

    assert main(["trend", "tsmc"]) == 1  # known company, no stories: a sentence, no chart
    assert "No stories about TSMC in the last 30 days" in capsys.readouterr().out
    assert main(["trend", "huawai"]) == 1
    assert "I don't know a company called “huawai”" in capsys.readouterr().err
    assert main(["trend", "a", "vs", "b", "vs", "c", "vs", "d", "vs", "e"]) == 2
    assert "up to 4 companies" in capsys.readouterr().err


async def test_chat_trend_sends_a_chart_with_its_caption(testbot: ChatBot) -> None:
    reply = await testbot.reply("/trend huawei 30d")
    images = [b for b in reply.blocks if isinstance(b, Image)]
    assert reply.ok and len(images) == 1
    assert PILImage.open(io.BytesIO(images[0].png)).size == (1000, 500)
    caption = reply.plain()
    assert "Huawei: " in caption and " in 30 days" in caption and "Top: " in caption

    two = await testbot.reply("/trend Huawei vs Google 7d")
    assert [b.alt for b in two.blocks if isinstance(b, Image)] == [
        "Huawei vs Google: stories per day, last 7 days"
    ]
    assert "Which company?" in await testbot.exec("/trend")
    assert "I can chart 7, 30 or 90 days" in await testbot.exec("/trend huawei 45d")
    unknown = await testbot.exec("/trend huawai")
    assert "I don't know a company called “huawai”" in unknown and "Huawei" in unknown


def test_chart_draws_chinese_and_japanese_titles(recwarn: pytest.WarningsRecorder) -> None:
    """A company written in CJK script, and a peak labelled with a Japanese headline, are drawn
    with their letters, not as empty boxes (matplotlib warns of each glyph it cannot draw)."""
    now = datetime(2026, 12, 6, 12, tzinfo=UTC)
    day = timedelta(days=1)
    title, outlet = "华为发布新款手机", "新华社"
    rows = [CompanyArticle(h, 10 + h, title, outlet, None, now - day) for h in range(3)]
    rows += [CompanyArticle(9, 19, "ファーウェイが新型スマホ", "NHK", None, now - 3 * day)]
    trend = build_trend("华为", rows, days=7, zone=BERLIN, now=now)
    png = render_png([trend])
    missing = [str(w.message) for w in recwarn if "missing from font" in str(w.message)]
    assert missing == []
    assert PILImage.open(io.BytesIO(png)).size == (1000, 500)
