"""Who said a quote: places, initials, roles and pronoun chains (nlp/quotes/speakers.py, roles.py).

Each text is written for the test and reproduces a pattern that once gave a wrong speaker.
"""

from __future__ import annotations

import pytest

from bot.nlp.quotes.find import find_quotes


def speakers(text: str) -> list[str | None]:
    return [q.speaker for q in find_quotes(text)]


# --- a place is not a speaker -------------------------------------------------------------


def test_a_place_in_a_progressive_clause_is_not_taken_for_she() -> None:
    # "Lombardy Valdera is adding" once counted as a speech verb, making the place a person.
    text = (
        "A plant in the northern province of Lombardy Valdera is adding a shift this year, "
        "the people said.\n\n"
        "A Veltro spokeswoman, Carla M. Ruiz, declined to discuss costs. “We are glad the "
        "plant brings work to the region,” she said in an email."
    )
    assert speakers(text) == ["Carla M. Ruiz"]


@pytest.mark.parametrize(
    "where",
    ["the southern state of Kerala Nadu", "a depot near Porto Vela", "the city of Vila Rosa"],
)
def test_a_place_is_never_the_person_of_he_or_she(where: str) -> None:
    text = (
        f"Trucks left {where} on Monday.\n\n"
        "“We expect to double our output within a year,” she said."
    )
    assert speakers(text) == [None]


def test_a_person_with_an_initial_is_a_person() -> None:
    # "S." looked like an acronym ("NATO"), so the name was taken for an organisation.
    text = (
        "Dr. Ravi S. Mehra, who follows chip makers for Northgate Advisory in Oslo, said the "
        "hard part was testing. “You can move the assembly in a year,” he said."
    )
    assert speakers(text) == ["Ravi S. Mehra"]


def test_a_dotted_acronym_before_a_word_is_no_person() -> None:
    # Guards the rule above: "U.N." is not an initial.
    text = "The motion cited the U.N. Charter twice. “We will not accept this,” he said."
    assert speakers(text) == [None]


def test_secretary_of_state_is_a_title() -> None:
    text = "Secretary of State Mara J. Olsen met the envoys. “We remain open to talks,” she said."
    assert speakers(text) == ["Mara J. Olsen"]


def test_an_owner_is_not_the_name_of_what_it_owns() -> None:
    text = (
        "Tests found that Norland's HBX chips overheated. Norland said yields had improved "
        "“to a level fit for volume production,” without giving figures."
    )
    assert speakers(text) == ["Norland"]


# --- roles --------------------------------------------------------------------------------


def test_the_role_noun_takes_the_role_the_article_introduced() -> None:
    text = (
        "Teodor Lind Logistics is expanding its depot in the region of Upper Varna.\n\n"
        "An Estonian customs official involved in the program said approvals would be fast. "
        '"Every crate is checked twice now. That is the rule," the official said.'
    )
    assert speakers(text) == ["an Estonian customs official"]


def test_a_company_officer_without_a_name_keeps_the_role() -> None:
    text = (
        "This report was first published by Harbor Market Wire.\n\n"
        "Norland Corp. sold half of its modem unit on Tuesday.\n\n"
        "“This is about focus,” Norland's chief financial officer said on a call."
    )
    assert speakers(text) == ["Norland's chief financial officer"]


def test_an_indefinite_role_with_a_qualifier_is_the_speaker() -> None:
    text = "“We do not comment on rumours,” a Norland spokeswoman said on Friday."
    assert speakers(text) == ["a Norland spokeswoman"]


def test_an_owned_role_right_after_a_named_person_is_that_person() -> None:
    # Guards the rule above: an owner's role may be the article's other way to name someone.
    text = (
        "Dana Whitfield on Monday urged the board to resign.\n\n"
        "“That was a disgrace,” Harlow's former campaign manager said on the radio."
    )
    assert speakers(text) == ["Dana Whitfield"]


def test_a_person_noun_before_the_name_gives_a_gender() -> None:
    text = (
        "Tom Berg and a spokeswoman, Kim Sato, read the statement. "
        "“We have nothing to add,” she said."
    )
    assert speakers(text) == ["Kim Sato"]


# --- pronouns -----------------------------------------------------------------------------


def test_a_speech_verb_subject_comes_before_the_sentence_first_name() -> None:
    text = (
        "Mr. Olsen's plan offers a stark choice to Mr. Brandt, and it is “a tax on the top,” "
        "Mr. Kamin said.\n\n"
        "“That is the whole message,” he added."
    )
    assert speakers(text)[-1] == "Kamin"


def test_a_sentence_that_starts_with_the_pronoun_passes_its_names_over() -> None:
    text = (
        "“Speak up,” Rosa Lind said.\n\n"
        "She has clashed with Sen. Maria Holt over the budget.\n\n"
        "“People rarely say that to my face,” she said."
    )
    assert speakers(text) == ["Rosa Lind", "Rosa Lind"]
