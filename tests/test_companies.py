"""Company mentions: the real gazetteer file, its matching rules, unknown organisations, ranking."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import CompanyMention
from bot.nlp.companies import Gazetteer
from bot.nlp.orgs import find_orgs

CONFIG = Path(__file__).resolve().parents[1] / "config" / "companies.toml"
ENTRIES = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["company"]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load(CONFIG)


def names(gazetteer: Gazetteer, text: str, title: str = "") -> list[str]:
    return [mention.name for mention in gazetteer.find(text, title)]


def test_the_file_loads_every_company(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.names()) == len(ENTRIES) == 138
    assert "Huawei" in gazetteer.names()


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("Huawei said on Tuesday that profit rose.", "Huawei"),
        ("华为周二发布了新款手机。", "Huawei"),
        ("Huawei Technologies Co. said it would appeal.", "Huawei"),
        ("Google said it would appeal the ruling.", "Google"),
        ("Hon Hai said iPhone assembly resumed.", "Foxconn"),
        ("Apple's iPhone sales rose.", "Apple"),
        ("Apple Inc. said on Monday that it would appeal.", "Apple"),
        ("Honor launched the Magic 7 in Shenzhen.", "Honor"),
        ("Honor Device Co. filed for a listing.", "Honor"),
        ("Shell plc reported profit of $7 billion.", "Shell"),
        ("Meta Platforms agreed to pay the fine.", "Meta"),
        ("Meta's Instagram added a feature.", "Meta"),
        ("Amazon Web Services suffered an outage.", "Amazon"),
        ("Amazon said it would hire 250,000 seasonal workers.", "Amazon"),
        ("Shares of the iPhone maker (NASDAQ: AAPL) rose.", "Apple"),
        ("Traders bought $TSLA after the call.", "Tesla"),
        ("Tencent (0700.HK) shares rose.", "Tencent"),
        ("APPLE UNVEILS IPHONE 17", "Apple"),
        ("Bytedance owns Tiktok.", "ByteDance"),
        ("NVIDIA rose 4% on Monday.", "Nvidia"),
        ("Chipmaker Apple-designed modems arrive in the iPhone 17.", "Apple"),
        ("Ford said it would recall 1,000 F-150 pickups.", "Ford"),
    ],
)
def test_company_found(gazetteer: Gazetteer, text: str, company: str) -> None:
    assert company in names(gazetteer, text)


@pytest.mark.parametrize(
    "text",
    [
        "They gathered in honor of the victims.",
        "In Honor Of Our Veterans",
        "She made the honor roll again.",
        "Nothing beats apple pie.",
        "An apple a day keeps the doctor away.",
        "Apple pie recipes for the holidays.",
        "Shell out $5 for a coffee.",
        "Police traced the money to a shell company.",
        "A meta-analysis of 40 trials found no effect.",
        "Meta-analysis of the data showed no effect.",
        "The metadata was incomplete.",
        "Fires spread across the Amazon rainforest.",
        "The Amazon River rose to a record.",
        "Harrison Ford said the film was his last.",
        "His ARM was broken in the fall.",
        "Tree sap flows in spring.",
        "Apple Daily was shut down in Hong Kong.",
        "She applied for a travel visa.",
        "Nikola Tesla died in New York.",
        "The patient's BP was 140/90.",
    ],
)
def test_not_a_company(gazetteer: Gazetteer, text: str) -> None:
    assert names(gazetteer, text) == []


def test_one_sense_per_story(gazetteer: Gazetteer) -> None:
    text = "Apple Inc. reported record sales. Later, Apple opened a store in the Big Apple."
    [apple] = gazetteer.find(text)
    assert (apple.name, apple.count) == ("Apple", 2)  # the Big Apple is not a mention


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zephyr Robotics Inc. said on Monday that orders doubled.", "Zephyr Robotics"),
        ("Analysts said the Acme company would grow.", "Acme"),
        ("Foo's chief executive resigned on Friday.", "Foo"),
        ("Shenzhen-based Lumen Holdings Ltd. raised $20 million.", "Lumen Holdings"),
        ("Johnson & Johnson rival Orbis & Partners Inc. sued.", "Orbis & Partners"),
    ],
)
def test_unconfigured_company(gazetteer: Gazetteer, text: str, expected: str) -> None:
    [mention] = [m for m in gazetteer.find(text) if not m.known]
    assert mention.name == expected
    assert text[mention.first_offset :].startswith(expected)


def test_title_case_headline_does_not_lengthen_a_name(gazetteer: Gazetteer) -> None:
    title = "Investors Cheer Zephyr Robotics Inc. Results"
    [mention] = gazetteer.find("Zephyr Robotics Inc. said orders doubled.", title)
    assert (mention.name, mention.count, mention.in_title) == ("Zephyr Robotics", 2, True)


def test_unknown_organisation_counts_its_short_name(gazetteer: Gazetteer) -> None:
    text = (
        "Kestrel Simulation Inc. agreed to be bought. Kestrel's shares rose. Kestrel Jones spoke."
    )
    [mention] = [m for m in gazetteer.find(text, title="Siemens to buy Kestrel") if not m.known]
    assert (mention.name, mention.count, mention.in_title) == ("Kestrel Simulation", 3, True)
    found = gazetteer.find("Apple Leisure Group said profit rose. Apple said iPhone sales fell.")
    assert {(m.name, m.count) for m in found} == {("Apple Leisure Group", 1), ("Apple", 1)}


@pytest.mark.parametrize(
    "text",
    [
        "The Group said it would consider the offer.",
        "Holdings fell in the quarter.",
        "The Working Group met in Geneva.",
        "The Chinese company said it would appeal.",
        "Hong Kong's chief executive John Lee spoke.",
        "New York AG Letitia James sued.",
        "Biden's spokesman declined to comment.",  # people have spokespeople too
    ],
)
def test_generic_organisations_skipped(gazetteer: Gazetteer, text: str) -> None:
    assert [m.name for m in gazetteer.find(text) if not m.known] == []


def test_known_company_with_a_legal_form_is_reported_once(gazetteer: Gazetteer) -> None:
    found = gazetteer.find("Apple Corp. and Huawei Technologies Co., Ltd. signed a deal.")
    assert {(m.name, m.known, m.count) for m in found} == {("Apple", True, 1), ("Huawei", True, 1)}


def test_an_organisation_that_starts_with_a_company_name_is_another_organisation(
    gazetteer: Gazetteer,
) -> None:
    found = gazetteer.find("Shell Beach Holdings Ltd. said on Tuesday that profit rose.")
    assert [(m.name, m.known) for m in found] == [("Shell Beach Holdings", False)]


def test_spokesperson_cue_needs_a_stronger_cue() -> None:
    assert [org.strong for org in find_orgs("Acme's spokeswoman said.")] == [False]


def test_counts_offsets_and_ranking(gazetteer: Gazetteer) -> None:
    title = "Huawei unveils a foldable phone"
    text = (
        "Huawei on Tuesday unveiled its thinnest foldable phone. "
        "The Huawei Mate X7 costs less than rival devices, including one from Apple Inc. "
        "Analysts said Huawei would ship two million units, and 华为 fans queued overnight."
    )
    found = gazetteer.find(text, title)
    assert [m.name for m in found] == ["Huawei", "Apple"]
    huawei, apple = found
    assert (huawei.count, huawei.first_offset, huawei.in_title) == (5, 0, True)
    assert (apple.count, apple.first_offset, apple.in_title) == (1, text.index("Apple"), False)
    assert huawei.score > apple.score
    assert all(isinstance(m, CompanyMention) and m.known for m in found)


def test_passing_mention_ranks_below_the_subject_without_a_title(gazetteer: Gazetteer) -> None:
    text = "Unlike Apple, Xiaomi sells cheap phones. Xiaomi said sales rose. Xiaomi shares rose."
    assert names(gazetteer, text) == ["Xiaomi", "Apple"]


def test_title_only_mention_has_no_text_offset(gazetteer: Gazetteer) -> None:
    [mention] = gazetteer.find("Profit rose 5% in the quarter.", title="Nvidia beats forecasts")
    assert (mention.name, mention.first_offset, mention.in_title) == ("Nvidia", -1, True)


def test_lookup(gazetteer: Gazetteer) -> None:
    assert gazetteer.lookup("AAPL") == "Apple"
    assert gazetteer.lookup("$aapl") == "Apple"
    assert gazetteer.lookup("google") == "Google"
    assert gazetteer.lookup("alphabet inc") == "Alphabet"
    assert gazetteer.lookup("Hon Hai") == "Foxconn"
    assert gazetteer.lookup("华为") == "Huawei"
    assert gazetteer.lookup("Huawei Technologies Co., Ltd.") == "Huawei"
    assert gazetteer.lookup("apple inc") == "Apple"
    assert gazetteer.lookup("V") == "Visa"
    assert gazetteer.lookup("v") is None  # one-letter tickers only as written
    assert gazetteer.lookup("Zephyr Robotics") is None


def test_suggest(gazetteer: Gazetteer) -> None:
    assert "Huawei" in gazetteer.suggest("huawai")
    assert gazetteer.suggest("nvidea")[0] == "Nvidia"
    assert gazetteer.suggest("micrsoft", limit=1) == ["Microsoft"]
    assert gazetteer.suggest("") == []


def forms(entry: dict[str, object]) -> list[str]:
    return [str(entry["name"]), *entry["aliases"], *entry["native"]]  # type: ignore[misc]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_every_configured_form_is_found(gazetteer: Gazetteer, entry: dict[str, object]) -> None:
    for form in forms(entry):
        found = names(gazetteer, f"{form} said on Tuesday that profit rose.")
        assert found[:1] == [entry["name"]], form
        assert gazetteer.lookup(form) == entry["name"], form
    for ticker in entry["tickers"]:  # type: ignore[attr-defined]
        assert names(gazetteer, f"Traders bought ${ticker} on Tuesday.") == [entry["name"]]
        assert gazetteer.lookup(ticker) == entry["name"]


def test_a_unit_is_the_mention_and_its_parents_follow(gazetteer: Gazetteer) -> None:
    [google, alphabet] = gazetteer.find("Google said it would appeal the ruling.")
    assert (google.name, google.via) == ("Google", None)
    assert (alphabet.name, alphabet.via) == ("Alphabet", "Google")
    assert alphabet.score == google.score  # a story about Google is about Alphabet as much
    assert names(gazetteer, "YouTube removed the videos.") == ["YouTube", "Google", "Alphabet"]
    assert names(gazetteer, "TikTok said users were safe.") == ["TikTok", "ByteDance"]


def test_a_parent_the_article_names_is_its_own_mention(gazetteer: Gazetteer) -> None:
    text = "Alphabet shares rose. Alphabet said Google would hire. Google hired."
    found = {m.name: m for m in gazetteer.find(text)}
    assert found["Alphabet"].via is None and found["Alphabet"].count == 2
    assert found["Google"].count == 2


def test_a_unit_nearby_confirms_its_ambiguous_parent(gazetteer: Gazetteer) -> None:
    # "the Amazon" alone stays unsure (the river); its unit Whole Foods nearby confirms it
    found = {m.name: m for m in gazetteer.find("Under the Amazon banner, Whole Foods cut prices.")}
    assert found["Amazon"].via is None and found["Amazon"].first_offset == 10


def test_bad_parents_are_rejected() -> None:
    with pytest.raises(ValueError, match="not a company"):
        Gazetteer.from_entries([{"name": "Unit", "parent": "Nobody"}])
    with pytest.raises(ValueError, match="back to itself"):
        Gazetteer.from_entries([{"name": "A", "parent": "B"}, {"name": "B", "parent": "A"}])
    with pytest.raises(ValueError, match="another company"):
        Gazetteer.from_entries([{"name": "A", "parent": "A"}])


def test_bad_entries_are_rejected() -> None:
    with pytest.raises(ValueError, match="no name"):
        Gazetteer.from_entries([{"aliases": ["X"]}])
    with pytest.raises(ValueError, match="names both"):
        Gazetteer.from_entries([{"name": "Acme"}, {"name": "Other", "aliases": ["ACME"]}])
    with pytest.raises(ValueError, match="list of strings"):
        Gazetteer.from_entries([{"name": "Acme", "aliases": "Acme Inc."}])


@settings(max_examples=300, deadline=None)
@given(text=st.text(), title=st.text(max_size=80))
def test_find_never_raises_and_offsets_are_in_the_text(
    gazetteer: Gazetteer, text: str, title: str
) -> None:
    for mention in gazetteer.find(text, title):
        assert mention.count >= 1
        if mention.first_offset == -1:
            assert mention.in_title
        else:
            assert 0 <= mention.first_offset < len(text)


NOISE = ["Apple", "apple", "Shell", "Inc.", "'s", "CEO", "华为", "$AAPL", "the", "Amazon"]
NOISE += ["rainforest", "Zephyr", "Robotics", "Corp.", "company", "-", ",", ".", "\n", " "]


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.sampled_from(NOISE), max_size=40))
def test_find_on_company_like_noise(gazetteer: Gazetteer, words: list[str]) -> None:
    text = " ".join(words)
    for mention in gazetteer.find(text):
        assert mention.first_offset == -1 or 0 <= mention.first_offset < len(text)
