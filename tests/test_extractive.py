"""Tests for the embedded extractive summarizer (bot.summarize.extractive)."""

from __future__ import annotations

import pytest

from bot.nlp.text import split_sentences
from bot.summarize import extractive
from bot.summarize.extractive import is_content, summarize_text

LEAD = (
    "Acme Corp. agreed on Monday to buy Widget Inc. for $2.1 billion, creating the largest "
    "maker of widgets in the U.S."
)
ARTICLE = "\n".join(
    [
        "By Jane Doe",
        "NEW YORK (Reuters) -",
        "Scroll down for video",
        LEAD,
        "The deal, approved by both boards, values Widget at 3.5 times its annual sales.",
        "Acme Corp. has agreed to buy Widget Inc. for $2.1 billion to become the largest "
        "widget maker in the U.S.",
        "“We are buying the best widget maker in the world,” said Acme's boss, Dr. Ann Lee.",
        "Photo: Getty Images",
        "Regulators in the U.S. and Europe must still approve the widget deal.",
        "Widget shares rose 12% on the news, while Acme shares fell 2%.",
        "Do you own widgets? Tell us in the comments.",
        "The companies expect the widget deal to close early next year.",
    ]
)


def _in_order(summary: list[str], text: str) -> bool:
    sentences = split_sentences(text)
    positions = [sentences.index(s) for s in summary]
    return positions == sorted(positions) and len(set(positions)) == len(positions)


def test_whole_sentences_of_the_input_in_order() -> None:
    summary = summarize_text(ARTICLE)
    assert len(summary) == 3
    assert _in_order(summary, ARTICLE)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
@pytest.mark.parametrize("max_chars", [150, 250, 400, 600, 2000])
def test_within_the_limits(count: int, max_chars: int) -> None:
    summary = summarize_text(ARTICLE, sentences=count, max_chars=max_chars)
    assert 1 <= len(summary) <= count
    assert len(" ".join(summary)) <= max_chars
    assert _in_order(summary, ARTICLE)


def test_a_best_sentence_longer_than_the_budget_comes_whole_and_alone() -> None:
    summary = summarize_text(ARTICLE, max_chars=60)
    assert summary == [LEAD]


def test_deterministic() -> None:
    first = summarize_text(ARTICLE, title="Acme buys Widget")
    assert all(summarize_text(ARTICLE, title="Acme buys Widget") == first for _ in range(5))


def test_the_lead_matters() -> None:
    summary = summarize_text(ARTICLE, sentences=1)
    assert summary == [LEAD]
    moved = ARTICLE.replace(LEAD + "\n", "") + "\n" + LEAD
    assert summarize_text(moved, sentences=1) != [LEAD]


def test_redundant_sentences_are_skipped() -> None:
    summary = summarize_text(ARTICLE, sentences=3)
    assert not any(s.startswith("Acme Corp. has agreed to buy") for s in summary)
    without_repeat = "\n".join(
        line for line in ARTICLE.splitlines() if not line.startswith("Acme Corp. has agreed")
    )
    assert summarize_text(without_repeat, sentences=3) == summary


def test_boilerplate_is_skipped() -> None:
    summary = summarize_text(ARTICLE, sentences=10, max_chars=5000)
    joined = " ".join(summary)
    for junk in (
        "By Jane Doe",
        "Reuters) -",
        "Scroll down",
        "Getty Images",
        "Do you own",
        "Tell us",
    ):
        assert junk not in joined
    assert summary[0] == LEAD


@pytest.mark.parametrize(
    "sentence",
    [
        "By Jane Doe and John Roe",
        "LONDON (Reuters) -",
        "(CNN)",
        "WASHINGTON —",
        "Scroll down for video",
        "Click here to read more about it",
        "Photo: Getty Images",
        "Picture credit: Ann Lee",
        "What do you think?",
        "Email tips@example.com with your story.",
        "PUBLISHED: 12:01 EST, 1 May 2015",
        "It rained.",
    ],
)
def test_not_content(sentence: str) -> None:
    assert not is_content(sentence)


def test_content() -> None:
    assert is_content(LEAD)
    assert is_content("By the end of the day, the widget deal had collapsed.")


def test_a_repeated_headline_is_skipped() -> None:
    title = "Acme buys Widget for $2.1 billion after a long contest"
    text = f"{title}\n{LEAD}\nThe deal values Widget at 3.5 times its sales."
    assert summarize_text(text, title=title, sentences=1) == [LEAD]


def test_empty_and_degenerate_input() -> None:
    assert summarize_text("") == []
    assert summarize_text("   \n ") == []
    assert summarize_text(ARTICLE, sentences=0) == []
    # Nothing looks like content: still a summary, not nothing.
    assert summarize_text("Scroll down for video\nBy Jane Doe") == [
        "Scroll down for video",
        "By Jane Doe",
    ]


def test_centrality_can_displace_an_off_topic_early_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = " ".join(
        [
            "The widget maker Widget agreed to a widget merger with Acme.",
            "Separately, the weather in Paris was sunny and warm on Sunday afternoon.",
            "Widget and Acme said the widget merger would create the biggest widget maker.",
            "Acme expects the widget merger to close next year.",
        ]
    )
    assert "Separately" in " ".join(summarize_text(text, sentences=2))
    monkeypatch.setattr(extractive, "CENTRALITY_WEIGHT", 1.0)
    summary = summarize_text(text, sentences=2)
    assert "Separately" not in " ".join(summary)
    assert summary[0].startswith("The widget maker")


def test_a_quote_spanning_sentences_is_never_cut_into_a_fragment() -> None:
    text = (
        "Officials met on Monday to discuss new factory permits.\n"
        "An official involved in the program said approvals would be fast. "
        '"Every line creates work for local suppliers too. That is the point," the official '
        "said.\n"
        "The ministry expects ten new plants by the end of the year."
    )
    summary = summarize_text(text, sentences=6)
    assert not any(s.startswith("That is the point") for s in summary)
    assert (
        '"Every line creates work for local suppliers too. That is the point," the official said.'
        in summary
    )
