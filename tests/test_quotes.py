"""Direct quotations, their speakers, and the key quotes of a story (bot/nlp/quotes/find.py)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.models import Quote
from bot.nlp.quotes.find import (
    find_quotes,
    key_quotes,
    merge_quotes,
    newsworthiness,
    same_statement,
)


def texts(text: str) -> list[str]:
    return [q.text for q in find_quotes(text)]


def pairs(text: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in find_quotes(text)]


# --- quotation marks ---------------------------------------------------------------------


def test_curly_quotes_with_speaker_after() -> None:
    text = "Jane Smith runs the bakery. “We sold out by noon every day this week,” Smith said."
    assert pairs(text) == [("We sold out by noon every day this week", "Jane Smith")]


def test_straight_quotes_with_inverted_cue() -> None:
    text = 'Prices rose again. "This cannot go on much longer," said Tom Baker, a farmer.'
    assert pairs(text) == [("This cannot go on much longer", "Tom Baker")]


def test_nested_single_quotes_stay_inside_their_parent() -> None:
    text = "“He told me ‘never again’ and walked out of the room,” Anna Lee said."
    assert pairs(text) == [("He told me ‘never again’ and walked out of the room", "Anna Lee")]


def test_guillemets_both_ways() -> None:
    french = "« Nous ne vendrons jamais cette entreprise », said Marie Curie on Monday."
    german = "»Wir werden diese Firma niemals verkaufen«, said Hans Weber on Monday."
    assert pairs(french) == [("Nous ne vendrons jamais cette entreprise", "Marie Curie")]
    assert pairs(german) == [("Wir werden diese Firma niemals verkaufen", "Hans Weber")]


def test_low_opening_quotes() -> None:
    text = "„Wir haben alles richtig gemacht“, said Klaus Meyer after the vote."
    assert pairs(text) == [("Wir haben alles richtig gemacht", "Klaus Meyer")]


def test_corner_brackets() -> None:
    text = "Ren Zhengfei said: 「我们不会出售公司」 on Tuesday."
    assert pairs(text) == [("我们不会出售公司", "Ren Zhengfei")]


def test_mixed_straight_and_curly_marks_still_pair() -> None:
    text = '"The numbers are simply wrong,” said Paul Adams.'
    assert pairs(text) == [("The numbers are simply wrong", "Paul Adams")]


# --- shapes of quotations ----------------------------------------------------------------


def test_quote_split_around_its_attribution_is_one_quote_with_its_speaker() -> None:
    text = "Maria Gomez chairs the board. “We will appeal,” she said, “and we expect to win.”"
    assert pairs(text) == [("We will appeal … and we expect to win.", "Maria Gomez")]


def test_two_sentences_around_an_attribution_stay_two_quotes() -> None:
    text = "Maria Gomez chairs the board. “We will appeal,” she said. “We expect to win.”"
    assert pairs(text) == [
        ("We will appeal", "Maria Gomez"),
        ("We expect to win.", "Maria Gomez"),
    ]


def test_partial_quote_inside_a_sentence() -> None:
    text = (
        "Huawei founder Ren Zhengfei met analysts on Monday. "
        "A sale is “out of the question”, says the founder."
    )
    assert pairs(text) == [("out of the question", "Ren Zhengfei")]


def test_quote_over_several_paragraphs() -> None:
    text = (
        "Mayor Lisa Park spoke for an hour.\n\n"
        "“The first thing we will do is fix the roads.\n\n"
        "“Then we will open two new schools in the north of the city,” Park said.\n\n"
        "The council meets next week."
    )
    assert pairs(text) == [
        ("The first thing we will do is fix the roads.", "Lisa Park"),
        ("Then we will open two new schools in the north of the city", "Lisa Park"),
    ]


def test_speaker_said_colon_then_quote() -> None:
    text = "Chancellor Olaf Berg said: “The budget is balanced for the first time in years.”"
    assert pairs(text) == [("The budget is balanced for the first time in years.", "Olaf Berg")]


def test_colon_at_paragraph_end_introduces_next_paragraph() -> None:
    text = "Olaf Berg told parliament:\n\n“The budget is balanced for the first time in years.”"
    assert pairs(text) == [("The budget is balanced for the first time in years.", "Olaf Berg")]


def test_according_to() -> None:
    text = "According to Sara Quinn, “the plant will close before the end of the year.”"
    assert pairs(text) == [("the plant will close before the end of the year.", "Sara Quinn")]


def test_dash_attribution() -> None:
    text = "“We just want our jobs back and our town to live again.” — Carla Mendes, 41, welder"
    assert pairs(text) == [
        ("We just want our jobs back and our town to live again.", "Carla Mendes")
    ]


def test_unattributed_sentence_continues_the_previous_speaker() -> None:
    text = "“We are ready,” said Omar Haddad. “Nothing will stop this project now.”"
    assert pairs(text) == [
        ("We are ready", "Omar Haddad"),
        ("Nothing will stop this project now.", "Omar Haddad"),
    ]


# --- speakers ----------------------------------------------------------------------------


def test_pronoun_resolves_to_the_subject_of_the_previous_sentence() -> None:
    text = (
        "Senator Mark Ellis criticised Governor Ruth Stone on Monday. "
        "“She has no plan for the hospitals in this state,” he said."
    )
    assert pairs(text) == [("She has no plan for the hospitals in this state", "Mark Ellis")]


def test_pronoun_gender_skips_a_person_of_the_other_gender() -> None:
    text = (
        "Ms. Ruth Stone answered Mr. Mark Ellis at the debate. "
        "“I have a plan for every hospital in this state,” he said."
    )
    assert pairs(text) == [("I have a plan for every hospital in this state", "Mark Ellis")]


def test_description_resolves_to_the_person_the_article_describes_so() -> None:
    text = (
        "Ren Zhengfei, the founder of Huawei, rarely gives interviews. Analysts expect growth. "
        "“We will survive the sanctions and grow again next year,” the founder said."
    )
    assert pairs(text)[0][1] == "Ren Zhengfei"


def test_businessman_resolves_to_the_fitting_person() -> None:
    text = (
        "The businessman Donald Trump met Mayor Ann Hill in March. "
        "“This will be the greatest tower ever built in the city,” the businessman said."
    )
    assert pairs(text)[0][1] == "Donald Trump"


def test_fullest_name_from_a_later_short_form() -> None:
    text = (
        "Ren Zhengfei founded Huawei in 1987. Zhengfei spoke to reporters on Tuesday. "
        "“We will never sell the company to anyone,” Zhengfei said."
    )
    assert pairs(text) == [("We will never sell the company to anyone", "Ren Zhengfei")]


def test_honorific_is_dropped_and_resolved_to_the_full_name() -> None:
    text = (
        "Ren Zhengfei founded Huawei in 1987.\n\n"
        "“Our phones are the best in the world,” Mr. Ren said."
    )
    assert pairs(text) == [("Our phones are the best in the world", "Ren Zhengfei")]


def test_title_in_front_of_a_name_is_dropped() -> None:
    text = "“The vote is tomorrow,” said Senate Majority Leader Anna Kowalski."
    assert pairs(text) == [("The vote is tomorrow", "Anna Kowalski")]


def test_organisation_speaker() -> None:
    text = (
        "Acme Corp. reported earnings on Tuesday. "
        "“Profits rose sharply in every region this quarter,” the company said."
    )
    assert pairs(text) == [("Profits rose sharply in every region this quarter", "Acme Corp.")]


def test_unnamed_company_has_no_speaker() -> None:
    text = "“Profits rose sharply in every region this quarter,” the company said."
    assert pairs(text) == [("Profits rose sharply in every region this quarter", None)]


def test_participle_cue_takes_the_clause_subject() -> None:
    text = "Jane Smith attacked the plan on Monday, saying, “It will cost far too much money.”"
    assert pairs(text) == [("It will cost far too much money.", "Jane Smith")]


# --- not quotations ----------------------------------------------------------------------


def test_scare_quotes_and_titles_are_not_quotes() -> None:
    text = (
        "The so-called “experts” were wrong. She watched “The Crown” and read "
        "“War and Peace” twice. Critics call it a “pay to play” scheme."
    )
    assert texts(text) == []


def test_a_standalone_title_case_line_is_not_a_quote() -> None:
    assert texts("“Make America Great Again”\n\nThe rally ended at ten.") == []


def test_apostrophes_and_inch_marks_never_open_a_quote() -> None:
    text = (
        "It's the '90s again: rock 'n' roll is back, the students' union said it's fine, "
        "and the 5'10\" guard scored. Don't worry, 'tis the season."
    )
    assert texts(text) == []


def test_inch_mark_inside_a_quote_does_not_close_it() -> None:
    text = 'The coach said, "He is 6\'2" and still growing, which scares every defender."'
    assert texts(text) == ["He is 6'2\" and still growing, which scares every defender."]


def test_british_single_quotes_are_quotes() -> None:
    text = "'We have done nothing wrong,' said Tom Hughes, the club's chairman."
    assert pairs(text) == [("We have done nothing wrong", "Tom Hughes")]


def test_no_quotes_at_all() -> None:
    assert find_quotes("") == []
    assert find_quotes("Nothing was said today.") == []


# --- key quotes --------------------------------------------------------------------------


def test_key_quotes_prefer_named_whole_statements_and_distinct_speakers() -> None:
    text = (
        "Jane Smith and Tom Baker met on Monday.\n\n"
        "“Yes,” Smith said.\n\n"
        "“We agreed to build a new bridge over the river before the winter comes,” Smith said.\n\n"
        "“We also agreed that the town will pay for half of the cost of it,” Smith added.\n\n"
        "“The bridge is good news for every farmer who drives to the market,” Baker said.\n\n"
        "“Nobody asked us about any of this before the meeting took place,” one resident said."
    )
    best = key_quotes(find_quotes(text))
    assert [q.speaker for q in best] == ["Jane Smith", "Tom Baker"]
    assert best[0].text.startswith("We agreed to build")
    assert all(len(q.text.split()) >= 8 for q in best)


def test_key_quotes_limit_and_empty() -> None:
    assert key_quotes([]) == []
    quotes = [
        Quote(f"statement number {i} is long enough to count", f"P{i}", i, 1.0) for i in range(5)
    ]
    assert len(key_quotes(quotes, limit=3)) == 3
    assert len({q.speaker for q in key_quotes(quotes, limit=3)}) == 3


def test_key_quotes_rank_attributed_before_unattributed() -> None:
    named = Quote("a short named quote of a few words here", "Jane Smith", 100, 0.2)
    anonymous = Quote("an anonymous but otherwise perfect quote of good length", None, 0, 0.9)
    assert key_quotes([anonymous, named], limit=1) == [named]


def test_key_quotes_never_show_one_statement_twice() -> None:
    full = Quote("We're glad of the jobs our partners have created in Poland", "Ewa Nowak", 5, 0.9)
    part = Quote("glad of the jobs our partners have created in Poland.", "Veltro Inc.", 9, 0.8)
    other = Quote("Every line that moves here creates work for suppliers too", None, 40, 0.7)
    assert key_quotes([full, part, other], limit=2) == [full, other]


def test_key_quotes_leave_out_what_the_summary_already_shows() -> None:
    shown = "“The screen and the battery are not the problem at all,” he said."
    first = Quote("The screen and the battery are not the problem at all", "Jan Weiss", 10, 0.9)
    second = Quote("The problem is the one tool a customer needs and cannot find.", "Jan Weiss", 80)
    assert key_quotes([first, second], limit=2, shown=[shown]) == [second]
    assert key_quotes([first], limit=2, shown=[shown]) == []


def test_same_statement_in_full_and_in_part() -> None:
    assert same_statement(
        "We’re proud of the jobs it has created,", "proud of the jobs it has created."
    )
    assert not same_statement("We are proud", "We are not proud of it")
    assert not same_statement("jobs", "We're proud of the jobs")  # too short to tell


def test_merge_quotes_keeps_the_fuller_wording_and_a_speaker() -> None:
    part = Quote("glad of the jobs our partners have created in Poland.", None, 3, 0.5)
    full = Quote("We're glad of the jobs our partners have created in Poland", "Ewa Nowak", 7, 0.9)
    lone = Quote("Nothing else changes for the workers", "Jan Weiss", 12, 0.6)
    assert merge_quotes([part, lone, full]) == [full, lone]
    short = Quote("glad of the jobs our partners have created in Poland.", "Veltro", 3, 0.5)
    unnamed = Quote("We're glad of the jobs our partners have created in Poland", None, 7, 0.9)
    (merged,) = merge_quotes([short, unnamed])
    assert (merged.text, merged.speaker) == (unnamed.text, "Veltro")


_STATEMENTS = st.lists(
    st.lists(st.sampled_from(["we", "are", "glad", "of", "jobs", "Poland"]), min_size=1, max_size=7)
    .map(" ".join)
    .map(lambda words: Quote(words, None)),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_STATEMENTS)
@example(
    [
        Quote("we are glad", None),
        Quote("of jobs Poland", None),
        Quote("we are glad of jobs Poland", None),
    ]
)
def test_merge_quotes_keeps_one_quote_per_statement(quotes: list[Quote]) -> None:
    merged = merge_quotes(quotes)
    assert all(any(same_statement(q.text, m.text) for m in merged) for q in quotes)
    for i, a in enumerate(merged):
        assert not any(same_statement(a.text, b.text) for b in merged[i + 1 :])


# --- the comma that leads into the attribution -------------------------------------------


def test_a_quote_leaves_out_the_comma_before_its_attribution() -> None:
    text = "“Our brand recovered first after the difficult years,” said Zofia Lenk, a director."
    (quote,) = find_quotes(text)
    assert quote.text == "Our brand recovered first after the difficult years"
    assert text[quote.start : quote.start + len(quote.text)] == quote.text


def test_the_comma_left_out_does_not_make_a_fragment() -> None:
    text = "“Sales rose in every region of the world this quarter,” Ann Lee said."
    (quote,) = find_quotes(text)
    with_comma = Quote(quote.text + ",", "Ann Lee", quote.start)
    assert quote.score == newsworthiness(with_comma, 10, len(text))
    assert quote.score > newsworthiness(Quote(quote.text, "Ann Lee", quote.start), 10, len(text))


def test_a_comma_inside_the_quote_stays() -> None:
    text = "“We came, we saw, and we left,” Ann Lee said."
    assert texts(text) == ["We came, we saw, and we left"]


# --- verbatim ----------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "“",
        "”",
        '"',
        "'",
        "‘",
        "’",
        "«",
        "»",
        "„",
        "“",
        "「",
        "」",
        ",",
        ".",
        ":",
        "—",
        " ",
        "\n",
        "\n\n",
        " said ",
        " he said",
        "Smith",
        "Mr. Ren",
        "Ren Zhengfei",
        "the founder",
        "it's",
        "'90s",
        "5'10\"",
        "We will win",
        "according to",
        "she",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_every_quote_is_verbatim_at_its_offset(text: str) -> None:
    for quote in find_quotes(text):
        assert quote.text
        assert text[quote.start : quote.start + len(quote.text)] == quote.text


def test_description_then_name_apposition_names_the_person() -> None:
    text = (
        "“Banks used to ask whether the cloud was safe,” Google Cloud's president for Europe, "
        "the Middle East and Africa, Thomas Van Acker, said in an interview."
    )
    (quote,) = find_quotes(text)
    assert quote.speaker == "Thomas Van Acker"
