"""The guard that keeps trafilatura's text when our cleanup cut the article, not boilerplate."""

from __future__ import annotations

from lxml.html import fromstring

from bot.ingest.text_guard import line_kind, lost_article, visible_chars

ARTICLE = [
    "The city council voted on Tuesday to expand the riverside tram line by six kilometres.",
    "Supporters say the extension will link the northern estates to the hospital and campus.",
    "Opponents warned that construction would close the main bridge for eighteen months.",
    "Mayor Elena Ruiz said the council had listened to both sides before the final vote.",
    "Work is expected to begin next spring, with the first trams running in late 2027.",
]


def test_a_teaser_where_the_article_was_is_lost() -> None:
    assert lost_article(ARTICLE[0], "\n".join(ARTICLE))


def test_a_cut_menu_link_list_and_share_prompts_are_boilerplate() -> None:
    menu = [f"Section {word}" for word in ("news", "sport", "weather", "culture", "travel")]
    prompts = ["Teilen Sie dies mit:", "Pour lire la suite, abonnez-vous.", "Share this article"]
    others = [f"{line[:60]} […]" for line in ARTICLE[1:]]  # teasers of other stories
    reference = "\n".join([*menu, ARTICLE[0], *prompts, *others, *menu])
    assert not lost_article(ARTICLE[0], reference)


def test_an_output_half_as_long_needs_no_proof() -> None:
    reference = "\n".join(ARTICLE)
    assert not lost_article("\n".join(ARTICLE[:3]), reference)
    assert not lost_article("", "")


def test_line_kinds() -> None:
    assert line_kind("Lesen Sie auch: Neue Radwege am Ostufer") == "pattern"
    assert line_kind("Tous droits réservés") == "pattern"
    assert line_kind("The mayor said the plan would cost less than expected ...") == "teaser"
    assert line_kind("Contact us", repeats=2) == "repeat"
    assert line_kind("Weather and traffic") == "short"
    assert line_kind("Short sentence here.") == "prose"
    assert line_kind(ARTICLE[0]) == "prose"


def test_visible_chars_skip_code_chrome_and_link_lists() -> None:
    page = fromstring(
        "<html><head><style>p {color: red}</style></head><body><nav>Home News</nav>"
        "<p>Hello   <a href='/w'>world</a></p><script>var x = 'not shown';</script>"
        "<noscript>Enable JS</noscript><ul><li><a href='/x'>Other story</a></li></ul>"
        "<footer>Imprint</footer> end</body></html>"
    )
    assert visible_chars(page) == len("Helloworldend")  # spaces between nodes not counted
