"""Cases of issue #13: short articles written for the project, one per way attribution failed
on news the rules were not written against (bot/nlp/quotes/find.py, quotemarks.py, cues.py)."""

from __future__ import annotations

from bot.nlp.quotes.find import find_quotes


def pairs(text: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in find_quotes(text)]


def test_a_caption_line_is_not_read_into_the_next_paragraph() -> None:
    text = (
        "Huawei opened a new campus in Dongguan this spring.\n\n"
        "Ren Zhengfei\n\n"
        "Ren Zhengfei, who founded the company in 1987, spoke to reporters on Monday.\n\n"
        "“We will never sell the company,” Ren Zhengfei said."
    )
    assert pairs(text) == [("We will never sell the company", "Ren Zhengfei")]


def test_a_closing_mark_with_a_space_before_and_a_verb_glued_after() -> None:
    text = (
        "Ren Zhengfei founded Huawei in 1987 and still runs it.\n\n"
        "“The United States wants to keep the market for US companies ”explains the "
        "businessman. “We will compete anyway.”\n\n"
        "“Nobody can stop the growth of China ”continues Zhengfei, smiling."
    )
    quotes = find_quotes(text)
    assert [q.text for q in quotes] == [
        "The United States wants to keep the market for US companies",
        "We will compete anyway.",
        "Nobody can stop the growth of China",
    ]
    assert [q.speaker for q in quotes] == ["Ren Zhengfei"] * 3


def test_a_description_and_the_second_part_of_a_name_refer_to_the_person_named() -> None:
    text = (
        "Ren Zhengfei, the founder of Huawei, met analysts in Shenzhen on Tuesday.\n\n"
        "“Our phones sell well in Europe and in Africa,” the businessman said.\n\n"
        "“We will not leave any market,” Zhengfei added."
    )
    assert [speaker for _, speaker in pairs(text)] == ["Ren Zhengfei", "Ren Zhengfei"]


def test_a_name_in_apposition_wins_over_the_role() -> None:
    text = (
        "The county closed the clinic on Friday without notice.\n\n"
        "“We learned about this from the news, like everyone else,” the spokesman, "
        "Carl Oduya, said."
    )
    quote = "We learned about this from the news, like everyone else"
    assert pairs(text) == [(quote, "Carl Oduya")]


def test_a_quote_split_by_its_attribution_is_one_quote() -> None:
    text = (
        "Maria Whitfield runs the city's planning office.\n\n"
        "“If we stop building the future to save the present,” Whitfield said, "
        "“we lose both.”"
    )
    (quote,) = find_quotes(text)
    assert quote.text == "If we stop building the future to save the present … we lose both."
    assert quote.speaker == "Maria Whitfield"
    first = text.index("If we")
    second = text.index("we lose")
    assert quote.parts == (
        (first, text.index(",”")),
        (second, second + len("we lose both.")),
    )


def test_a_clause_between_the_speaker_and_the_verb() -> None:
    text = (
        "Katy Perry, who hugged Clinton while wearing a purple cape, shouted, “In three "
        "days, let's make history!”\n\n"
        "Mr. Butterfield, noting that the vote was close, added: “We will count every ballot.”"
    )
    assert pairs(text) == [
        ("In three days, let's make history!", "Katy Perry"),
        ("We will count every ballot.", "Butterfield"),
    ]


def test_a_place_is_not_the_speaker() -> None:
    text = (
        "The governor signed the bill on Friday.\n\n"
        "“This law protects every family in our state,” said Gov. Mike Pence of Indiana.\n\n"
        "“I was there when it flooded,” Harry Bond, 30, of Raleigh, N.C., said on Monday.\n\n"
        "Floods hit the state of Tamil Nadu.\n\n“We need help now,” Tamil Nadu said."
    )
    assert pairs(text) == [
        ("This law protects every family in our state", "Mike Pence"),
        ("I was there when it flooded", "Harry Bond"),
        ("We need help now", None),
    ]


def test_a_learned_speech_verb_names_the_speaker() -> None:
    text = (
        "The reporter asked about the wall again.\n\n"
        "“Go back to Univision,” Trump barked.\n\n"
        "“That is not true,” O'Malley interjected."
    )
    assert pairs(text) == [("Go back to Univision", "Trump"), ("That is not true", "O'Malley")]


def test_short_real_speech_is_not_a_scare_quote() -> None:
    text = (
        "The vice president looked at the crowd.\n\n"
        "“Oh, God,” Joe Biden said, laughing.\n\n"
        "Asked how many votes he expected to lose, he said: “Any.”"
    )
    assert pairs(text) == [("Oh, God", "Joe Biden"), ("Any.", "Joe Biden")]


def test_the_next_paragraph_quote_keeps_the_speaker_just_named() -> None:
    text = (
        "Ana Espinoza is running for Congress.\n\n"
        "“I won’t just talk like a conservative,” Espinoza said Friday.\n\n"
        "“I am a proven champion for border security.”\n\n"
        "The race is close. Polls open at seven.\n\n"
        "“Nobody knows who will win.”"
    )
    assert [speaker for _, speaker in pairs(text)] == ["Ana Espinoza", "Ana Espinoza", None]


def test_cue_before_its_speaker_and_a_verb_after_a_clause() -> None:
    text = (
        "Roger Stone spoke on the radio on Monday.\n\n"
        "Continued Stone: “So I think it is a very real problem.”\n\n"
        "Salma Hayek was asked about it in August. Hayek nodded and said, “It is real.”\n\n"
        "“We will see,” Sanders said when asked, “how the vote goes.”\n\n"
        "“It is mainstream,” said former Gov. Bill Richardson of New Mexico."
    )
    assert pairs(text) == [
        ("So I think it is a very real problem.", "Roger Stone"),
        ("It is real.", "Salma Hayek"),
        ("We will see … how the vote goes.", "Sanders"),
        ("It is mainstream", "Bill Richardson"),
    ]


def test_an_unknown_past_tense_verb_after_a_comma_quote_is_the_cue() -> None:
    text = (
        "The Senate voted on Tuesday.\n\n"
        "“If they were serious, they would have voted for it,” Pat Toomey fumed.\n\n"
        "“It was always like this,” remembered Roy Verley, a former spokesman."
    )
    assert [speaker for _, speaker in pairs(text)] == ["Pat Toomey", "Roy Verley"]


def test_the_speaker_of_a_participle_or_a_second_verb_is_the_first_verb_s() -> None:
    text = (
        "Omar Mateen did not mingle, Nefzi said, adding, “He was not very religious.”\n\n"
        "In an interview with Matei Rosca, Lazar said he welcomed it and added, “I will plead "
        "guilty.”\n\n"
        "Anthony Anton, president and CEO of Washington Restaurant Association stated, “It is "
        "a math problem.”\n\n"
        "“It would have been bold,” said Stephen Vladeck of the University of Texas.\n\n"
        "Gov. John Kasich (R-OH), said, “I am getting ready.”"
    )
    assert [speaker for _, speaker in pairs(text)] == [
        "Nefzi",
        "Lazar",
        "Anthony Anton",
        "Stephen Vladeck",
        "John Kasich",
    ]


def test_quote_boundaries_survive_sloppy_typography() -> None:
    quote = "We will not close the mill this year"
    for text in (
        f'Anna Berg runs the mill. " {quote} ," Berg said.',  # spaces inside straight marks
        f"Anna Berg runs the mill. “ {quote}, ” Berg said.",  # spaces inside curly marks
        f"Anna Berg runs the mill.“{quote},”Berg said.",  # marks glued to the words around
        f'Anna Berg runs the mill. "{quote},” Berg said.',  # straight opens, curly closes
        f"Anna Berg runs the mill. „{quote}“, Berg said.",
        f"Anna Berg runs the mill. « {quote} », Berg said.",
    ):
        assert pairs(text) == [(quote, "Anna Berg")], text
    assert pairs("Anna Berg runs the mill. 「我们不会关闭工厂」, Berg said.") == [
        ("我们不会关闭工厂", "Anna Berg")
    ]


def test_a_sentence_initial_adverb_or_a_headline_is_not_a_speaker() -> None:
    text = (
        "Lawmakers Rip Donald Trump Over Border Wall\n\n"
        "Already Democrats worry about the vote. Instead Bernie Sanders spoke in Concord.\n\n"
        "“We have come a long way,” he said."
    )
    assert pairs(text) == [("We have come a long way", "Bernie Sanders")]


def test_long_chains_of_clauses_and_pronouns_raise_nothing() -> None:
    # Each of these once recursed once per link (or branched): a RecursionError on real input.
    chains = [
        "Smith" + ", who" * 3000 + " said “Hello.”",
        "Smith " + "and said " * 3000 + ", “Hello there,” he said.",
        "Mary Smith spoke. " + "She has faced it. " * 3000 + "“Hi,” she said.",
        "Bob Lee spoke. " + "Then, he told me, it rained. " * 3000 + "“Hi,” he said.",
    ]
    for text in chains:
        assert len(find_quotes(text)) <= 1
