"""A chat's digest planned without I/O: ranking, sections per subscription, novelty, top N."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.digest.rank import DigestPlan, plan_digest, sent_records
from bot.models import Article, Mention, SentStory, Story, Subscription, TextSource

UNTIL = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=1)
_ids = iter(range(1, 10_000))


def art(
    title: str = "Markets move",
    source: str = "Wire",
    *,
    text: str = "Prices changed on Monday. Traders watched.",
    hours_ago: float = 1.0,
) -> Article:
    at = UNTIL - timedelta(hours=hours_ago)
    n = next(_ids)
    return Article(
        url=f"https://news.example/{n}",
        title=title,
        text=text,
        source=source,
        text_source=TextSource.PAGE,
        content_hash=f"h{n}",
        id=n,
        published=at,
        fetched_at=at,
    )


def story(story_id: int | None, *articles: Article) -> Story:
    for article in articles:
        article.story_id = story_id
    return Story(list(articles), id=story_id)


def plan(
    stories: list[Story],
    subs: list[Subscription] = (),  # type: ignore[assignment]
    *,
    mentions: list[Mention] = (),  # type: ignore[assignment]
    sent: dict[int, SentStory] | None = None,
    limit: int = 10,
) -> DigestPlan:
    return plan_digest(
        stories, list(subs), list(mentions), sent or {}, since=SINCE, until=UNTIL, limit=limit
    )


def titles(result: DigestPlan) -> list[str]:
    return [r.story.lead.title for r in result.stories]


def test_a_story_many_outlets_report_beats_a_fresher_one_source_story() -> None:
    big = story(1, *(art("Big merger", s, hours_ago=5) for s in ("Reuters", "AP", "BBC", "FT")))
    small = story(2, art("Local shop opens", "Gazette", hours_ago=1))
    old = story(3, art("Yesterday's news", "Gazette", hours_ago=20))
    result = plan([old, small, big])
    assert titles(result) == ["Big merger", "Local shop opens", "Yesterday's news"]
    assert [s.title for s in result.sections] == [None]  # a chat following everything: one list
    assert result.left_out == 0


def test_newer_beats_older_when_all_else_is_equal() -> None:
    result = plan([story(1, art("Older", hours_ago=10)), story(2, art("Newer", hours_ago=2))])
    assert titles(result) == ["Newer", "Older"]


def test_sections_follow_the_subscriptions_and_a_story_goes_under_the_first_only() -> None:
    both = story(1, art("Huawei unveils 5G chip"))
    chip = story(2, art("Chip makers rally", text="Samsung said 5G demand rose."))
    other = story(3, art("Weather turns cold"))
    subs = [Subscription("company", "Huawei"), Subscription("keyword", "5g")]
    mentions = [Mention(both.lead.id or 0, "Huawei", 3.0, True)]
    result = plan([chip, other, both], subs, mentions=mentions)
    assert [(s.title, [r.story.lead.title for r in s.stories]) for s in result.sections] == [
        ("Huawei", ["Huawei unveils 5G chip"]),
        ("“5g”", ["Chip makers rally"]),
    ]


def test_a_section_with_nothing_new_is_not_shown() -> None:
    subs = [Subscription("company", "Nokia"), Subscription("keyword", "weather")]
    result = plan([story(1, art("Weather turns cold"))], subs)
    assert [s.title for s in result.sections] == ["“weather”"]


def test_an_excluded_word_keeps_the_whole_story_out() -> None:
    # Only the second report mentions crypto: the story is still about it.
    mixed = story(1, art("Bank results"), art("Bank bets on crypto", "AP"))
    plain = story(2, art("Bank hires"))
    subs = [Subscription("keyword", "bank"), Subscription("keyword", "crypto", exclude=True)]
    assert titles(plan([mixed, plain], subs)) == ["Bank hires"]
    assert titles(plan([mixed, plain], [Subscription("keyword", "crypto", exclude=True)])) == [
        "Bank hires"
    ]


def test_keywords_match_whole_words_and_plurals() -> None:
    said = story(1, art("Minister said no", text="He said it twice."))
    chips = story(2, art("Record sales of chips"))
    assert titles(plan([said, chips], [Subscription("keyword", "ai")])) == []
    assert titles(plan([said, chips], [Subscription("keyword", "chip")])) == [
        "Record sales of chips"
    ]


def test_a_company_in_the_title_ranks_above_a_passing_mention() -> None:
    passing = story(1, art("Phone market grows", hours_ago=1))
    about = story(2, art("Huawei profit doubles", hours_ago=3))
    mentions = [
        Mention(passing.lead.id or 0, "Huawei", 1.0, False),
        Mention(about.lead.id or 0, "Huawei", 4.0, True),
    ]
    result = plan([passing, about], [Subscription("company", "Huawei")], mentions=mentions)
    assert titles(result) == ["Huawei profit doubles", "Phone market grows"]


def test_a_keyword_in_the_title_ranks_above_one_in_the_text() -> None:
    text = story(1, art("Markets", text="The 5G rollout slowed.", hours_ago=1))
    title = story(2, art("5G rollout slows", hours_ago=3))
    assert titles(plan([text, title], [Subscription("keyword", "5g")])) == [
        "5G rollout slows",
        "Markets",
    ]


def test_a_story_sent_before_comes_back_only_with_a_new_source() -> None:
    reuters = art("Strike ends", "Reuters", hours_ago=30)
    again = art("Strike over, workers return", "Reuters", hours_ago=2)
    sent = {1: SentStory(1, ("Reuters",), reuters.id or 0)}
    assert plan([story(1, reuters, again)], sent=sent).stories == []

    ap = art("Workers back at plants", "AP", hours_ago=1)
    bbc = art("Strike is over", "BBC", hours_ago=1)
    result = plan([story(1, reuters, again, ap, bbc)], sent=sent)
    [update] = result.stories
    assert update.update and update.new_sources == ("AP", "BBC")
    assert result.left_out == 0  # a story already sent is not "more that did not fit"


def test_a_new_story_beats_an_update_of_an_old_one() -> None:
    old = art("Strike ends", "Reuters", hours_ago=30)
    update = story(1, old, art("Strike over", "AP", hours_ago=1))
    new = story(2, art("Port reopens", "Reuters", hours_ago=1), art("Port open", "AP", hours_ago=1))
    result = plan([update, new], sent={1: SentStory(1, ("Reuters",), old.id or 0)})
    assert titles(result) == ["Port reopens", "Strike ends"]
    assert [r.update for r in result.stories] == [False, True]


def test_the_top_n_are_chosen_overall_and_the_rest_counted() -> None:
    subs = [Subscription("keyword", "rail"), Subscription("keyword", "port")]
    stories = [
        story(1, art("Rail fares rise", hours_ago=20)),
        story(2, art("Port strike", hours_ago=1)),
        story(3, art("Port fees", hours_ago=2)),
        story(4, art("Rail line opens", hours_ago=3)),
        story(5, art("Port traffic", hours_ago=22)),
    ]
    result = plan(stories, subs, limit=3)
    assert result.left_out == 2
    assert [(s.title, [r.story.lead.title for r in s.stories]) for s in result.sections] == [
        ("“rail”", ["Rail line opens"]),
        ("“port”", ["Port strike", "Port fees"]),
    ]


def test_what_is_remembered_of_a_digest() -> None:
    first = art("Strike ends", "Reuters")
    later = art("Strike over", "AP")
    lone = art("An article in no story")
    sent = {1: SentStory(1, ("Reuters", "Gone Daily"), first.id or 0)}
    result = plan([story(1, first, later), Story([lone])], sent=sent)
    [record] = sent_records(result, sent)
    assert record.story_id == 1
    assert record.sources == ("Reuters", "Gone Daily", "AP")  # the earlier sources stay
    assert record.last_article_id == later.id
