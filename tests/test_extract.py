"""Article extraction and its scorer: no network; the benchmark test needs the shared eval set."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.eval.extraction import EvalDataMissing, lost_page, run, score
from bot.ingest.extract import extract
from bot.models import Extracted

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval" / "extraction"

BODY = [
    "The city council voted on Tuesday to expand the riverside tram line by six kilometres, "
    "ending a debate that has divided the town for almost a decade.",
    "Supporters say the extension will link the northern housing estates to the hospital and "
    "the university, cutting commuting times by up to twenty minutes for thousands of people.",
    "Opponents warned that construction would close the main bridge for at least eighteen "
    "months and that the projected ridership figures were overly optimistic.",
    "Mayor Elena Ruiz said the council had listened to both sides. “We cannot keep waiting for "
    "a perfect plan while traffic gets worse every single year,” she told reporters.",
    "Work is expected to begin next spring, with the first trams running on the new section "
    "in late 2027 if the national transport agency approves the funding request.",
]

PAGE = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>Council backs tram extension | The Riverside Gazette</title>
  <meta property="og:title" content="Council backs tram extension after decade of debate">
  <meta property="og:site_name" content="The Riverside Gazette">
  <meta property="og:url" content="https://gazette.example/news/tram-extension">
  <meta name="author" content="Jane Doe">
  <meta property="article:published_time" content="2024-03-05T09:30:00+01:00">
  <link rel="canonical" href="/news/tram-extension">
  <script type="application/ld+json">
  {{"@context": "https://schema.org", "@graph": [
    {{"@type": "WebSite", "name": "The Riverside Gazette"}},
    {{"@type": "NewsArticle", "headline": "Council backs tram extension",
      "author": [{{"@type": "Person", "name": "Jane Doe"}},
                 {{"@type": "Person", "name": "Tom Roe"}}],
      "datePublished": "2024-03-05T09:30:00+01:00"}}]}}
  </script>
</head>
<body>
  <header>
    <nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
    <li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav>
  </header>
  <div class="ad-slot">ADVERTISEMENT Buy cheap flights today with SkyDeals</div>
  <main>
    <article>
      <h1>Council backs tram extension after decade of debate</h1>
      <p class="byline">By Jane Doe</p>
      <div class="article-body">
        <p>{BODY[0]}</p>
        <p>{BODY[1]}</p>
        <p>Read more: Bus fares to rise in April across the region</p>
        <p>{BODY[2]}</p>
        <p>{BODY[3]}</p>
        <p>{BODY[4]}</p>
        <p>Sign up for our daily newsletter to get the latest news in your inbox.</p>
      </div>
      <aside class="related">
        <h3>Related stories</h3>
        <ul><li><a href="/a">Bridge repairs delayed again</a></li>
        <li><a href="/b">New cycle lanes open on the east bank</a></li></ul>
      </aside>
    </article>
    <section id="comments" class="comments">
      <h3>3 comments</h3>
      <div class="comment"><p>Finally! This should have happened years ago, what a waste.</p></div>
      <div class="comment"><p>The bridge closure will be a nightmare for the shops.</p></div>
    </section>
  </main>
  <footer><p>© 2024 The Riverside Gazette. All rights reserved.</p>
  <a href="/privacy">Privacy policy</a> <a href="/terms">Terms of use</a></footer>
</body>
</html>"""


@pytest.fixture(scope="module")
def article() -> Extracted:
    return extract(PAGE, "https://gazette.example/news/tram-extension?utm_source=rss")


def test_keeps_every_body_paragraph(article: Extracted) -> None:
    for paragraph in BODY:
        assert paragraph in article.text
    assert article.text.startswith(BODY[0])  # headline and byline are not body text
    assert "\n\n" in article.text


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Home",
        "Weather",
        "ADVERTISEMENT",
        "SkyDeals",
        "Read more",
        "newsletter",
        "Bridge repairs delayed",
        "Related stories",
        "what a waste",
        "nightmare for the shops",
        "All rights reserved",
        "Privacy policy",
        "By Jane Doe",
    ],
)
def test_drops_boilerplate(article: Extracted, boilerplate: str) -> None:
    assert boilerplate not in article.text


def test_reads_metadata(article: Extracted) -> None:
    assert article.title == "Council backs tram extension after decade of debate"
    assert article.author == "Jane Doe, Tom Roe"
    assert article.published == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert article.published is not None and article.published.utcoffset() == timedelta(hours=1)
    assert article.language == "en"
    assert article.canonical_url == "https://gazette.example/news/tram-extension"
    assert article.site_name == "The Riverside Gazette"


def test_metadata_fallbacks_without_json_ld() -> None:
    page = (
        '<html lang="pt-BR"><head><title>Chuva forte no sul</title>'
        '<meta name="date" content="2024-01-02 10:00:00"></head><body><article>'
        "<h1>Chuva forte no sul</h1>"
        + "<p>A chuva forte atingiu a região sul durante toda a madrugada de terça-feira.</p>" * 8
        + "</article></body></html>"
    )
    result = extract(page.encode("utf-8"))
    assert result.title == "Chuva forte no sul"
    assert result.language == "pt"
    assert result.published == datetime(2024, 1, 2, 10, 0, tzinfo=UTC)  # no zone: taken as UTC
    assert result.author is None and result.canonical_url is None
    assert result.text.startswith("A chuva forte")


def test_non_utf8_page_is_decoded() -> None:
    body = "<p>Le café était très apprécié des étudiants du quartier latin, disait-on.</p>" * 10
    page = f'<html><head><meta charset="iso-8859-1"></head><body><article>{body}</article>'
    result = extract((page + "</body></html>").encode("latin-1"))
    assert "Le café était très apprécié" in result.text


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        b"",
        "   ",
        "just a sentence, no markup",
        bytes(range(256)) * 400,
        b"\x00" * 1000,
        b"\xff\xfe\x00<\x00h\x00t\x00m\x00l",
        '<?xml version="1.0"?><rss><channel><item>x</item></channel></rss>',
        "<html><body>" + "<div>" * 3000 + "deep" + "</div>" * 3000 + "</body></html>",
        '<html><head><script type="application/ld+json">{broken</script></head></html>',
        None,
        12345,
    ],
    ids=lambda value: repr(value)[:30],
)
def test_garbage_gives_empty_text_without_raising(garbage: object) -> None:
    result = extract(garbage)  # type: ignore[arg-type]
    assert isinstance(result, Extracted)
    assert result.text == ""


def test_ten_megabyte_page() -> None:
    article = "".join(f"<p>{p}</p>" for p in BODY)
    filler = "<script>var data = '" + "x" * 10_000_000 + "';</script>"
    page = f"<html><body><article>{article}</article>{filler}</body></html>"
    assert BODY[0] in extract(page.encode()).text  # cut at 10 MB, the article survives
    page = f"<html><head>{filler}</head><body><article>{article}</article></body></html>"
    assert extract(page).text == ""  # the article lies past the cut


# --- scorer -------------------------------------------------------------------------------


def test_score_perfect_match() -> None:
    gold = {"a": "one two three four five six", "b": "Hello, world!"}
    assert score(gold, gold) == {"f1": 1.0, "precision": 1.0, "recall": 1.0, "accuracy": 1.0}


def test_score_disjoint() -> None:
    result = score({"a": "alpha beta gamma delta"}, {"a": "one two three four five"})
    assert result == {"f1": 0.0, "precision": 0.0, "recall": 0.0, "accuracy": 0.0}


def test_score_partial_by_hand() -> None:
    # gold a: shingles (a b c d), (b c d e); pred a: (a b c d), (b c d x) -> tp 1, fp 1, fn 1
    # gold b: 3 shingles; pred b: "one two three four" = 1 shingle -> tp 1, fp 0, fn 2
    result = score(
        {"a": "a b c d x", "b": "one two three four"},
        {"a": "a b c d e", "b": "one two three four five six"},
    )
    precision, recall = (0.5 + 1.0) / 2, (0.5 + 1 / 3) / 2
    assert result["precision"] == pytest.approx(precision)
    assert result["recall"] == pytest.approx(recall)
    assert result["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
    assert result["accuracy"] == 0.0


def test_score_edge_cases() -> None:
    # an empty prediction is left out of the precision mean and counts 0 in recall
    result = score({"a": "", "b": "w x y z"}, {"a": "one two three four", "b": "w x y z"})
    assert (result["precision"], result["recall"], result["accuracy"]) == (1.0, 0.5, 0.5)
    # fewer than 4 tokens: the whole text is one shingle; punctuation and spacing are ignored
    assert score({"a": "hello,   world"}, {"a": "Hello world"})["f1"] == 0.0  # case counts
    assert score({"a": "Hello... world"}, {"a": "Hello world"})["f1"] == 1.0
    assert score({"a": "Hello"}, {"a": "Hello world"})["recall"] == 0.0
    # a missing prediction is an empty one
    assert score({}, {"a": "one two three four"})["recall"] == 0.0


def test_run_needs_the_data_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run(tmp_path / "missing")
    with pytest.raises(EvalDataMissing):
        run(tmp_path)  # folder exists, ground-truth.json does not


def test_run_on_a_tiny_set(tmp_path: Path) -> None:
    (tmp_path / "html").mkdir()
    (tmp_path / "reference-outputs").mkdir()
    page = "<html><body><article>" + "".join(f"<p>{p}</p>" for p in BODY) + "</article></body>"
    (tmp_path / "html" / "x1.html").write_text(page + "</html>", encoding="utf-8")
    truth = {"x1": {"articleBody": "\n\n".join(BODY), "url": "https://example.com/x1"}}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    output = {"x1": {"articleBody": BODY[0]}}
    (tmp_path / "reference-outputs" / "plain.json").write_text(json.dumps(output))
    wrapped = {"version": "1.2", "output": truth}
    (tmp_path / "reference-outputs" / "wrapped.json").write_text(json.dumps(wrapped))

    result = run(tmp_path)
    assert result["set"] == "extraction" and result["items"] == 1
    live = [name for name in result["systems"] if name.startswith("trafilatura-")]
    assert len(live) == 2  # precision and default modes, run here
    assert set(result["systems"]) == {"newsbot", *live, "plain", "wrapped-1.2"}
    assert result["systems"]["newsbot"]["f1"] == 1.0
    assert result["systems"]["wrapped-1.2"]["accuracy"] == 1.0
    assert result["systems"]["plain"]["precision"] == 1.0
    assert result["systems"]["plain"]["recall"] < 0.3
    # "plain" returns one paragraph of five: under half of trafilatura's text, article lost
    assert result["systems"]["plain"]["lost_pages"] == 1
    assert result["systems"]["newsbot"]["lost_pages"] == 0


def test_lost_page_counts_missing_article_text_not_missing_boilerplate() -> None:
    article = "\n\n".join(BODY)
    menu = "\n".join(f"Section {i} of the site menu with its many links" for i in range(40))
    assert lost_page(BODY[0], article, gold=article)  # a teaser where the article was
    assert not lost_page(article, article + "\n" + menu, gold=article)  # menu left out
    assert not lost_page(BODY[0], BODY[0] + "\n" + menu, gold=BODY[0])  # only the menu
    assert not lost_page(article[: len(article) // 2 + 10], article, gold=article)  # half kept


@pytest.mark.skipif(not EVAL_DIR.is_dir(), reason=f"shared eval set not found at {EVAL_DIR}")
def test_benchmark_scores() -> None:
    result = run(EVAL_DIR)
    empty = run(EVAL_DIR.parent, extractor=lambda html, url: "")["systems"]
    assert empty == {  # the shared eval folder itself is accepted too
        **result["systems"],
        "newsbot": {"f1": 0.0, "precision": 0.0, "recall": 0.0, "accuracy": 0.0, "lost_pages": 181},
    }
    assert result["items"] == 181
    assert result["metric"] == "4-gram shingle F1 (scrapinghub article-extraction-benchmark)"
    systems = result["systems"]
    assert set(systems["newsbot"]) == {"f1", "precision", "recall", "accuracy", "lost_pages"}
    # the published figures for the reference outputs validate the scorer
    assert systems["trafilatura-2.0.0"]["f1"] == pytest.approx(0.958, abs=0.001)
    assert systems["trafilatura-2.0.0"]["precision"] == pytest.approx(0.938, abs=0.001)
    assert systems["trafilatura-2.0.0"]["recall"] == pytest.approx(0.978, abs=0.001)
    assert systems["readability-0.8.4.1"]["f1"] == pytest.approx(0.922, abs=0.001)
    assert systems["newspaper"]["f1"] == pytest.approx(0.949, abs=0.001)
    assert systems["newsbot"]["f1"] >= 0.970
    # no page returns under half of trafilatura's default text unless the rest was boilerplate
    assert systems["newsbot"]["lost_pages"] == 0


def _page(body: str) -> str:
    return f"<html><head><title>T</title></head><body><main>{body}</main></body></html>"


def test_body_split_around_ads_is_merged() -> None:
    chunk = '<div class="grid"><div class="article-body">{}</div></div>'
    first = "".join(f"<p>{p}</p>" for p in BODY[:2])
    second = "".join(f"<p>{p}</p>" for p in BODY[2:])
    page = _page(
        '<div class="chunks">'
        + chunk.format(first)
        + '<div class="ad">Sponsored</div>'
        + chunk.format(second)
        + "</div>"
    )
    text = extract(page).text
    assert all(paragraph in text for paragraph in BODY)


def test_embedded_tweet_is_kept() -> None:
    tweet = (
        '<div class="social-embed"><blockquote class="twitter-tweet"><p>The tram vote passed '
        "tonight, 21 to 14, after a very long session.</p>— Council (@council) March 5, 2024"
        "</blockquote></div>"
    )
    paragraphs = [f"<p>{p}</p>" for p in BODY]
    page = _page(
        f'<article><div class="article-body">{"".join(paragraphs[:2])}{tweet}'
        f"{''.join(paragraphs[2:])}</div></article>"
    )
    text = extract(page).text
    assert "The tram vote passed tonight, 21 to 14" in text
    assert BODY[4] in text


def test_related_links_and_kicker_are_dropped() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    page = _page(
        '<article><p class="kicker">Transport</p><h1>Tram extension approved</h1>'
        f'<div class="article-body">{paragraphs}<h3>Related articles</h3>'
        "<p>Bridge repairs delayed again</p><p>New cycle lanes open on the east bank</p>"
        "</div></article>"
    )
    text = extract(page).text
    assert text.startswith(BODY[0])
    assert text.endswith(BODY[-1])


def test_a_page_that_breaks_the_extractor_is_logged_without_its_secret_url(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise ValueError("trafilatura choked")

    monkeypatch.setattr("bot.ingest.extract.bare_extraction", explode)
    url = "https://news.example/a?key=SECRET123"
    with caplog.at_level(logging.WARNING, logger="bot.ingest.extract"):
        got = extract("<html><body><p>" + "text " * 200 + "</p></body></html>", url)
    assert got.text == ""
    [record] = [r for r in caplog.records if r.getMessage() == "extraction failed"]
    assert record.host == "news.example" and "trafilatura choked" in record.error
    assert "SECRET123" not in str(vars(record))


# Pages in other languages, or with no language tag: the guard against a lost article ---------

DE_BODY = [
    "Der Stadtrat hat am Dienstag beschlossen, die Straßenbahnlinie am Fluss um sechs Kilometer "
    "zu verlängern, und damit eine Debatte beendet, die die Stadt lange gespalten hat.",
    "Befürworter sagen, die Verlängerung werde die nördlichen Wohnsiedlungen mit dem Krankenhaus "
    "und der Universität verbinden und die Pendelzeiten um bis zu zwanzig Minuten verkürzen.",
    "Gegner warnten, dass die Bauarbeiten die Hauptbrücke für mindestens achtzehn Monate sperren "
    "würden und dass die erwarteten Fahrgastzahlen zu optimistisch seien.",
    "Bürgermeisterin Elena Ruiz sagte, der Rat habe beiden Seiten zugehört. Man könne nicht ewig "
    "auf einen perfekten Plan warten, während der Verkehr jedes Jahr schlimmer werde.",
    "Die Arbeiten sollen im nächsten Frühjahr beginnen; die ersten Bahnen könnten Ende 2027 auf "
    "dem neuen Abschnitt fahren, wenn die Verkehrsbehörde die Förderung genehmigt.",
    "Der Verkehrsverbund rechnet mit rund vierzigtausend zusätzlichen Fahrgästen pro Tag, sobald "
    "die neue Strecke vollständig in Betrieb ist.",
    "Anwohner der Uferstraße sollen während der Bauzeit eine Ersatzbuslinie erhalten, die alle "
    "zehn Minuten fährt und nachts seltener verkehrt.",
    "Die Kosten des Projekts werden auf knapp zweihundert Millionen Euro geschätzt, wovon der "
    "Bund voraussichtlich sechzig Prozent übernimmt.",
    "Umweltverbände begrüßten die Entscheidung, forderten aber zusätzliche Bäume entlang der "
    "Trasse und einen besseren Schutz der Uferwiesen.",
]
FR_BODY = [
    "Le conseil municipal a voté mardi l'extension de la ligne de tramway le long du fleuve, "
    "mettant fin à un débat qui divisait la ville depuis près de dix ans.",
    "Les partisans du projet estiment que la nouvelle section reliera les quartiers du nord à "
    "l'hôpital et à l'université, et réduira les trajets de vingt minutes.",
    "Les opposants craignent que le chantier ne ferme le pont principal pendant au moins dix-huit "
    "mois et jugent les prévisions de fréquentation trop optimistes.",
]


def _bare(body: str, lang: str | None = None) -> str:
    tag = f'<html lang="{lang}">' if lang else "<html>"
    return (
        f"{tag}<head><title>Straßenbahn</title></head><body><nav><a href='/'>Start</a>"
        f"<a href='/lokal'>Lokales</a></nav>{body}<footer>Impressum</footer></body></html>"
    )


def _paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def test_teaser_and_long_body_without_a_language_tag_keeps_the_whole_article() -> None:
    # The precision pass keeps only the three-paragraph teaser; trafilatura's default keeps it all.
    page = _bare(
        f"<main>{_paragraphs(DE_BODY[:3])}"
        f'<div class="newsletter-body">{_paragraphs(DE_BODY[3:])}</div></main>'
    )
    text = extract(page).text
    assert all(paragraph in text for paragraph in DE_BODY)


def test_german_share_prompt_is_dropped() -> None:
    page = _bare(
        f'<article><div class="entry-content">{_paragraphs(DE_BODY[:4])}'
        "<p>Teilen Sie dies mit:</p><p>Gefällt mir: Wird geladen …</p></div></article>",
        lang="de",
    )
    text = extract(page).text
    assert all(paragraph in text for paragraph in DE_BODY[:4])
    assert "Teilen Sie dies mit" not in text and "Gefällt mir" not in text


def test_french_paywall_prompt_is_dropped() -> None:
    page = _bare(
        f"<article><h1>Tramway</h1>{_paragraphs(FR_BODY)}"
        "<p>Pour lire la suite de cet article, abonnez-vous.</p>"
        "<p>Lire aussi : Le pont fermé pendant les travaux</p></article>",
        lang="fr",
    )
    text = extract(page).text
    assert all(paragraph in text for paragraph in FR_BODY)
    assert "Pour lire la suite" not in text and "Lire aussi" not in text


def test_teasers_of_other_articles_stay_out() -> None:
    # trafilatura's default keeps the "more stories" teasers; ours may drop them: boilerplate.
    teasers = "".join(
        f'<div class="nextstory"><a href="/s{i}"></a><p>{p[:90]} […]</p></div>'
        for i, p in enumerate(DE_BODY[3:])
    )
    page = _bare(f'<div id="story">{_paragraphs(DE_BODY[:2])}</div><div id="more">{teasers}</div>')
    text = extract(page).text
    assert all(paragraph in text for paragraph in DE_BODY[:2])
    assert "[…]" not in text
