"""Tests for the one tokenizer (bot.nlp.text): sentences, and the words the quote finder reads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.nlp.quotes.find import find_quotes
from bot.nlp.text import sentence_spans, split_sentences, tokenize

CASES = {
    "titles": (
        "Mr. Smith met Dr. Jones and Gen. Lee. Sen. Warren spoke later.",
        ["Mr. Smith met Dr. Jones and Gen. Lee.", "Sen. Warren spoke later."],
    ),
    "company suffix before a name": (
        "Apple Inc. CEO Tim Cook spoke. Acme Corp. and Foo Co. Ltd. agreed.",
        ["Apple Inc. CEO Tim Cook spoke.", "Acme Corp. and Foo Co. Ltd. agreed."],
    ),
    "company suffix at the end": (
        "He sold his shares in Apple Inc. The stock fell.",
        ["He sold his shares in Apple Inc.", "The stock fell."],
    ),
    "U.S. inside and at the end": (
        "The U.S. Senate voted. Growth slowed in the U.K. The U.S. economy did not.",
        ["The U.S. Senate voted.", "Growth slowed in the U.K.", "The U.S. economy did not."],
    ),
    "No. 1": (
        "She is the world No. 1 again. No. 10 Downing Street said so.",
        ["She is the world No. 1 again.", "No. 10 Downing Street said so."],
    ),
    "months": (
        "It opened on Jan. 5 in St. Louis. Sales began in Sept. The shop closed.",
        ["It opened on Jan. 5 in St. Louis.", "Sales began in Sept.", "The shop closed."],
    ),
    "a.m. and p.m.": (
        "They met at 9 a.m. Tuesday and left at 5 p.m. The talks failed.",
        ["They met at 9 a.m. Tuesday and left at 5 p.m.", "The talks failed."],
    ),
    "e.g. and i.e.": (
        "Some firms, e.g. Google, agreed. Others, i.e. The Times, did not.",
        ["Some firms, e.g. Google, agreed.", "Others, i.e. The Times, did not."],
    ),
    "decimals and money": (
        "Sales rose 3.5% to $2.1 billion. Profit was 0.8 cents a share.",
        ["Sales rose 3.5% to $2.1 billion.", "Profit was 0.8 cents a share."],
    ),
    "initials": (
        "J. R. R. Tolkien wrote it. George W. Bush read it. It needs vitamin D. It helps.",
        [
            "J. R. R. Tolkien wrote it.",
            "George W. Bush read it.",
            "It needs vitamin D.",
            "It helps.",
        ],
    ),
    "ellipsis": (
        "He paused... Then he left. It was… odd. It was over … Everyone went home.",
        ["He paused...", "Then he left.", "It was… odd.", "It was over …", "Everyone went home."],
    ),
    "a quote that spans sentences and goes on into its attribution": (
        "“Sales rose. We are pleased,” he said. Shares fell.",
        ["“Sales rose. We are pleased,” he said.", "Shares fell."],
    ),
    "a quote that ends with its own full stop may split": (
        "“Sales rose. We are pleased.” Shares fell.",
        ["“Sales rose.", "We are pleased.”", "Shares fell."],
    ),
    "straight quotes and single quotes": (
        "'It is over. We lost,' Merson said. He left. \"Go.\" She went.",
        ["'It is over. We lost,' Merson said.", "He left.", '"Go."', "She went."],
    ),
    "a straight quote whose last sentence leads into a role": (
        'Crews worked all night. "Every crate is checked twice now. That is the rule," the '
        "inspector said. Nobody argued.",
        [
            "Crews worked all night.",
            '"Every crate is checked twice now. That is the rule," the inspector said.',
            "Nobody argued.",
        ],
    ),
    "an attribution with a speech verb of the quote finder's list": (
        "“No.” He agreed. “Why?” she wondered aloud. It ended.",
        ["“No.” He agreed.", "“Why?” she wondered aloud.", "It ended."],
    ),
    "a question in a quote with its attribution": (
        "“Why now?” Smith asked. “It's over!” he said. “Is it?” Then silence.",
        ["“Why now?” Smith asked.", "“It's over!” he said.", "“Is it?”", "Then silence."],
    ),
    "final quotes and brackets": (
        "She said: “It is over.” Then she left. (He later resigned.) The firm (Acme) grew.",
        [
            "She said: “It is over.”",
            "Then she left.",
            "(He later resigned.)",
            "The firm (Acme) grew.",
        ],
    ),
    "headlines without final punctuation": (
        "Markets rally as rates fall\nStocks rose on Monday. Bonds fell\n\nMore to come",
        ["Markets rally as rates fall", "Stocks rose on Monday.", "Bonds fell", "More to come"],
    ),
    "a lower-case next word": (
        "“Go!” she shouted. The Yahoo! app works... and works.",
        ["“Go!” she shouted.", "The Yahoo! app works... and works."],
    ),
    "a title that only the quote finder knew (one abbreviation list)": (
        "“We will appeal,” said Atty. Gen. Maura Healey. The case goes on.",
        ["“We will appeal,” said Atty. Gen. Maura Healey.", "The case goes on."],
    ),
    "a quotation opened with a closing mark (sloppy typography)": (
        "She named her guilty pleasure. ’House of Cards,’ she said. ”Yes.” The talks ended.",
        [
            "She named her guilty pleasure.",
            "’House of Cards,’ she said.",
            "”Yes.”",
            "The talks ended.",
        ],
    ),
    "numbers and years end sentences": (
        "He scored in 2015. 2016 was worse. It ended 2-1. Fans left.",
        ["He scored in 2015.", "2016 was worse.", "It ended 2-1.", "Fans left."],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hard_patterns(name: str) -> None:
    text, expected = CASES[name]
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        (
            "“We hired forty people. We will hire more,” Ana Ruiz said. Prices held.",
            "“We hired forty people. We will hire more,” Ana Ruiz said.",
        ),
        (
            "Prices held. ‘Costs rose. Margins fell,’ the finance chief said on a call.",
            "‘Costs rose. Margins fell,’ the finance chief said on a call.",
        ),
        (
            'She added: "Nobody expected this. Not even us," and left. Prices held.',
            'She added: "Nobody expected this. Not even us," and left.',
        ),
    ],
)
def test_a_quote_the_sentence_goes_on_after_stays_whole(text: str, whole: str) -> None:
    """Split inside such a quote, the second part would start mid-quote and end with the
    speaker: 'We will hire more,” Ana Ruiz said.'"""
    assert whole in split_sentences(text)


def test_spans_point_into_the_original() -> None:
    text = "  First one.   Second one!\r\n\tThird  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second one!", "Third"]
    assert split_sentences(text) == [text[a:b] for a, b in spans]


def test_empty_and_blank() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t\n ") == []
    assert split_sentences("One") == ["One"]


def test_every_line_break_ends_a_sentence() -> None:
    for brk in ("\n", "\r", "\r\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x85"):
        assert split_sentences(f"Mr.{brk}Smith") == ["Mr.", "Smith"]


_PIECES = st.sampled_from(
    [
        "Mr.", "U.S.", "No.", "1", "3.5%", "$2.1", "J.", "Inc.", "The", "he", "said", "“", "”",
        '"', "'", "(", ")", ".", "...", "…", "?", "!", ",", "\n", "\r\n", " ", "  ", "\t", "a.m.",
        "e.g.", "Sales", "rose.", "x", "\u2028", "\u00a0",
    ]
)  # fmt: skip
_TEXTS = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list("aZ .!?\"'“”‘’()…\n\r\t 1.$%")), max_size=200),
    st.lists(_PIECES, max_size=60).map(" ".join),
    st.lists(_PIECES, max_size=60).map("".join),
)


def _dense(text: str) -> str:
    return "".join(text.split())


@given(_TEXTS)
def test_spans_cover_every_character_once_in_order(text: str) -> None:
    spans = sentence_spans(text)
    assert "".join(_dense(text[a:b]) for a, b in spans) == _dense(text)
    end = 0
    for a, b in spans:
        assert end <= a < b <= len(text)
        end = b


@given(_TEXTS)
def test_sentences_are_stripped_and_never_cross_a_line(text: str) -> None:
    sentences = split_sentences(text)
    assert sentences == [text[a:b] for a, b in sentence_spans(text)]
    for sentence in sentences:
        assert sentence == sentence.strip()
        assert sentence
        assert len(sentence.splitlines()) == 1


def test_words_keep_the_periods_the_splitter_reads_as_abbreviations() -> None:
    text = "Atty. Gen. Maura Healey met Prof. Lee and Acme Corp. on Jan. 5 with George W. Bush."
    words = [t.text for t in tokenize(text)]
    kept = [w for w in words if w.endswith(".") and len(w) > 1]
    assert kept == ["Atty.", "Gen.", "Prof.", "Corp.", "Jan.", "W."]
    assert split_sentences(text) == [text]


def test_a_quote_and_a_summary_read_the_same_sentences() -> None:
    """The quote finder looks for a speaker in the quote's sentence as the splitter cuts it:
    after "pleasure." (a quotation opened with a closing mark), not across it."""
    text = (
        "Carly Fiorina named a Washington favorite as her guilty pleasure. "
        "’House of Cards,’ she said, “although I have not had time to watch the last season!”"
    )
    sentences = split_sentences(text)
    assert sentences[1].startswith("’House of Cards,’")
    quotes = find_quotes(text)
    assert quotes and all(text.index(q.text) >= text.index(sentences[1]) for q in quotes)
