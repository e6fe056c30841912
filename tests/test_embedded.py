"""The embedded summarizer's story summary: sentences and key quotes together
(bot/summarize/embedded.py). Texts are written for the tests."""

from __future__ import annotations

import pytest

from bot.models import Article, Story, TextSource
from bot.summarize.embedded import ExtractiveSummarizer


def article(text: str, title: str = "Veltro expands in Poland", source: str = "a") -> Article:
    return Article(
        url=None,
        title=title,
        text=text,
        source=source,
        text_source=TextSource.PAGE,
        content_hash=f"{source}:{hash(text)}",
    )


FIRST = (
    "Veltro Inc. has asked its suppliers to build most of its scooters in Poland by next year, "
    "according to two executives briefed on the plan.\n\n"
    "A plant in the southern region of Mala Polska is adding two lines this year, the people "
    "said.\n\n"
    "A Veltro spokeswoman, Ewa K. Nowak, declined to discuss volumes. “We're glad of the jobs "
    "our partners have created in Poland, and of the skills they have built,” she said."
)
SECOND = (
    "Veltro Inc.'s suppliers are hiring hundreds of workers in Poland, people familiar with the "
    "matter said.\n\n"
    'Veltro declined to comment. In a statement, the company said it was "glad of the jobs '
    'our partners have created in Poland, and of the skills they have built."\n\n'
    "A Polish economy ministry official involved in the incentive program said permits would be "
    'fast. "Every line that moves here creates work for local suppliers too. That is the '
    'point," the official said.'
)


async def test_one_statement_is_one_quote_with_the_person_who_said_it() -> None:
    story = Story([article(FIRST), article(SECOND, source="b")])
    summary = await ExtractiveSummarizer().summarize(story, sentences=1)
    glad = [q for q in summary.all_quotes if "glad of the jobs" in q.text]
    assert [(q.speaker, q.text[:10]) for q in glad] == [("Ewa K. Nowak", "We're glad")]
    assert [q.speaker for q in summary.quotes] == [
        "Ewa K. Nowak",
        "a Polish economy ministry official",
    ]


async def test_a_longer_summary_has_no_sentence_cut_inside_a_quote() -> None:
    summary = await ExtractiveSummarizer().summarize(Story([article(SECOND)]), sentences=6)
    assert not any(s.startswith("That is the point") for s in summary.sentences)
    assert all(s.count('"') % 2 == 0 for s in summary.sentences)


LEAD_QUOTE = (
    "Norland will sell its new laptops in Europe next month, the company said on Tuesday.\n\n"
    "Dr. Jan Weiss, an analyst at Rhein Research, said the software would decide the outcome. "
    "“The screen, the battery, the keyboard — none of that is the problem,” he said. “The "
    "problem is the one tool a customer needs and cannot find.”\n\n"
    "Norland said it had signed up more than 300 developers across the region."
)


@pytest.mark.parametrize("sentences", [3, 6])
async def test_the_key_quote_is_not_one_the_summary_already_shows(sentences: int) -> None:
    story = Story([article(LEAD_QUOTE)])
    summary = await ExtractiveSummarizer().summarize(story, sentences=sentences)
    shown = " ".join(summary.sentences)
    assert "none of that is the problem" in shown
    assert all(q.text not in shown for q in summary.quotes)
    if "The problem is the one tool" not in shown:
        assert summary.quotes[0].text.startswith("The problem is the one tool")
