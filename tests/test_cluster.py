"""Story clustering: copies, rewrites, other events, new developments, the window, splits,
waiting, the CLI, the metrics."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.eval.clusters import bcubed, detokenise, pairwise
from bot.models import Article, TextSource
from bot.nlp.stories.cluster import (
    StoryClusterer,
    cluster_documents,
    cluster_texts,
    terms,
)
from bot.nlp.stories.split import bisect, next_check
from bot.nlp.stories.syndication import SyndicationIndex
from bot.nlp.stories.vectors import StreamingTfIdf

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

WIRE = (
    "Huawei unveiled the Mate X7, a foldable smartphone priced at 1,999 euros, at an event in "
    "Barcelona on Monday, saying it would go on sale in Europe on March 20. The Chinese company "
    "said the phone folds to 9.5 millimetres and carries a Kirin 9100 chip made by SMIC. Richard "
    "Yu, head of Huawei's consumer business, said the company expected to ship two million units "
    "this year. Analysts at Counterpoint said the price undercuts Samsung's Galaxy Z Fold by about "
    "200 euros and could win Huawei back some share in Europe, where sanctions have hurt sales of "
    "its handsets since 2019."
)
COPY = (
    "BARCELONA (Reuters) - "
    + WIRE
    + " Reporting by Supantha Mukherjee; Editing by Mark Potter. Our Standards: The Thomson "
    "Reuters Trust Principles."
)
REWRITE = (
    "Huawei's new Mate X7 foldable costs 1,999 euros and goes on sale across Europe on March 20, "
    "the company announced in Barcelona. Consumer chief Richard Yu told the audience Huawei hopes "
    "to ship two million of the foldable phones in 2025. The Mate X7 is 9.5 millimetres thick when "
    "folded and runs on a Kirin 9100 processor built by SMIC. At that price the phone is roughly "
    "200 euros cheaper than Samsung's Galaxy Z Fold, Counterpoint analysts noted."
)
OTHER_EVENT = (
    "Huawei reported annual revenue of 862 billion yuan on Friday, up 22 percent, as its cloud and "
    "car software units grew. Rotating chairman Eric Xu said net profit fell because of heavy "
    "spending on research, which reached 179 billion yuan. The company said it would pay a "
    "dividend to its employee shareholders in April."
)
DEVELOPMENT = (
    "Huawei paused shipments of the Mate X7 in Germany and France on Thursday after buyers "
    "reported cracked hinges and flickering inner screens. A spokeswoman said fewer than one "
    "percent of units were affected and that customers would get replacements within two weeks. "
    "Retailer MediaMarkt removed the device from its online shop pending an inspection."
)
UNRELATED = (
    "Heavy rain flooded parts of Valencia overnight, closing schools and the port, and emergency "
    "services rescued dozens of drivers trapped in their cars, the regional government said."
)


def clusterer_with(*docs: tuple[str, str, str, datetime | None, str]) -> StoryClusterer:
    clusterer = StoryClusterer()
    for doc in docs:
        clusterer.add(*doc)
    return clusterer


def test_syndicated_copy_with_other_headline_and_intro_joins() -> None:
    c = StoryClusterer()
    first = c.add("a", "Huawei launches Mate X7 foldable in Europe", WIRE, T0, "Reuters")
    c.add("u", "Floods in Valencia", UNRELATED, T0, "El País")
    joined = c.add(
        "b",
        "Huawei's cheaper foldable takes aim at Samsung",
        COPY,
        T0 + timedelta(hours=1),
        "Yahoo",
    )
    assert joined == first
    assert c.copy_of("b") == "a"
    assert c.sources(first) == ["Reuters", "Yahoo"]
    assert c.describe(first) == "2 sources: Reuters, Yahoo"
    assert c.best(first) == "a"  # the original, not the copy


def test_rewrite_by_another_outlet_joins() -> None:
    c = StoryClusterer()
    first = c.add("a", "Huawei launches Mate X7 foldable in Europe", WIRE, T0, "Reuters")
    c.add("u", "Floods in Valencia", UNRELATED, T0, "El País")
    rewrite = c.add("v", "Huawei's Mate X7 costs 1,999 euros", REWRITE, T0, "The Verge")
    assert rewrite == first
    assert c.copy_of("v") is None  # reported anew, not syndicated
    assert c.describe(first) == "2 sources: Reuters, The Verge"


def test_other_event_of_the_same_company_does_not_join() -> None:
    c = StoryClusterer()
    launch = c.add("a", "Huawei launches Mate X7 foldable in Europe", WIRE, T0, "Reuters")
    c.add("v", "Huawei's Mate X7 costs 1,999 euros", REWRITE, T0, "The Verge")
    results = c.add("r", "Huawei revenue up 22%", OTHER_EVENT, T0 + timedelta(hours=5), "AFP")
    assert results != launch
    assert len(c.clusters()) == 2


def test_new_development_days_later_opens_a_new_story() -> None:
    c = StoryClusterer()
    launch = c.add("a", "Huawei launches Mate X7 foldable in Europe", WIRE, T0, "Reuters")
    c.add("v", "Huawei's Mate X7 costs 1,999 euros", REWRITE, T0, "The Verge")
    later = T0 + timedelta(days=2)
    recall = c.add(
        "d", "Huawei halts Mate X7 shipments over hinge defects", DEVELOPMENT, later, "BBC"
    )
    assert recall != launch
    assert c.members(recall) == ["d"]


def test_window_excludes_old_articles() -> None:
    c = StoryClusterer(window=timedelta(hours=72))
    old = c.add("a", "Huawei launches Mate X7 foldable in Europe", WIRE, T0, "Reuters")
    c.add("u", "Floods in Valencia", UNRELATED, T0 + timedelta(days=4), "El País")
    # The same text again, but the first report has left the window: not a candidate any more.
    again = c.add("b", "Huawei Mate X7 launch", COPY, T0 + timedelta(days=4), "Yahoo")
    assert again != old
    assert c.copy_of("b") is None
    # Inside the window it would have joined.
    fresh = clusterer_with(("a", "Huawei launches Mate X7", WIRE, T0, "Reuters"))
    assert fresh.add("b", "Huawei Mate X7 launch", COPY, T0 + timedelta(days=2), "Yahoo") == 0
    assert c.prune() == [old]
    assert ["a"] not in c.clusters()


def _daily_reports(days: int) -> list[tuple[str, str, str, datetime, str]]:
    """The same running story retold every 12 hours (as a desk rewrites a wire), each report
    close to the one before: a chain with nothing to break it but time."""
    return [
        (
            str(i),
            "Huawei Mate X7 shipments paused",
            DEVELOPMENT + f" Update {i}: retailers in {2 + i % 3} more countries followed.",
            T0 + timedelta(hours=12 * i),
            "Wire",
        )
        for i in range(2 * days)
    ]


def test_a_story_takes_reports_for_three_days_not_forever() -> None:
    c = clusterer_with(*_daily_reports(10))
    spans = []
    for members in c.clusters():
        times = [T0 + timedelta(hours=12 * int(d)) for d in members]
        spans.append(max(times) - min(times))
    assert max(spans) <= timedelta(hours=72)  # a digest's story is not last week's news
    assert len(c.clusters()) >= 3  # ten days of reports: a new story every three days at most
    # Without the span the chain never breaks (what bench/index_stored.py --real-fill found).
    chained = StoryClusterer(span=None)
    for doc in _daily_reports(10):
        chained.add(*doc)
    assert len(chained.clusters()) == 1


def test_undated_and_naive_datetimes_mix_with_aware_ones() -> None:
    c = StoryClusterer()
    a = c.add("a", "Huawei launches Mate X7", WIRE, datetime(2025, 3, 3, 9), "Reuters")
    assert c.add("b", "", REWRITE, None, "The Verge") == a
    assert c.add("c", "", OTHER_EVENT, T0 + timedelta(hours=1), "AFP") != a


def test_adding_the_same_id_twice_returns_its_story() -> None:
    c = StoryClusterer()
    a = c.add("a", "Huawei", WIRE, T0, "Reuters")
    assert c.add("a", "Huawei", WIRE, T0, "Reuters") == a
    assert c.clusters() == [["a"]]


STREAM = [WIRE, UNRELATED, REWRITE, OTHER_EVENT, COPY]


def _grouping(clusters: list[list[int]]) -> set[frozenset[int]]:
    return {frozenset(members) for members in clusters}


def test_incremental_adds_give_the_batch_result_in_any_order() -> None:
    batch = _grouping(cluster_texts(STREAM))
    assert batch == {frozenset({0, 2, 4}), frozenset({1}), frozenset({3})}
    for order in itertools.permutations(range(len(STREAM))):
        c = StoryClusterer()
        for i in order:  # one at a time, as polls deliver them
            c.add(str(i), "", STREAM[i], None, "s")
        assert _grouping([[int(d) for d in m] for m in c.clusters()]) == batch


def test_rebuilt_from_stored_articles_gives_the_same_stories() -> None:
    articles = [
        Article(
            url=f"https://example.com/{i}",
            title="",
            text=text,
            source="s",
            text_source=TextSource.PAGE,
            content_hash=str(i),
            id=i,
            published=T0 + timedelta(minutes=i),
        )
        for i, text in enumerate(STREAM)
    ]
    rebuilt = StoryClusterer.from_articles(reversed(articles))
    grouping = _grouping([[int(d) for d in m] for m in rebuilt.clusters()])
    assert grouping == _grouping(cluster_texts(STREAM))


def test_small_story_is_merged_when_a_report_bridges_it() -> None:
    c = StoryClusterer(threshold=0.3, size_prior=0.0, floor=0.0, merge_threshold=0.05)
    a = c.add("a", "", "Huawei Mate X7 foldable price euros Barcelona launch", None, "s")
    b = c.add("b", "", "Richard Yu ships two million Kirin chips SMIC", None, "s")
    assert a != b
    bridge = "Huawei Mate X7 foldable launch in Barcelona: Richard Yu ships two million"
    joined = c.add("c", "", bridge, None, "s")
    assert c.resolve(a) == c.resolve(b) == joined
    assert sorted(c.members(a)) == ["a", "b", "c"]


def test_terms_drop_stop_words_possessives_and_plurals() -> None:
    assert terms("Huawei's phones are the Best’s") == ["huawei", "phone", "best"]


def test_syndication_index_finds_containment_not_mere_overlap() -> None:
    index = SyndicationIndex()
    assert index.add("a", WIRE) is None
    assert index.add("b", COPY) == "a"
    assert index.find(REWRITE) is None
    index.remove("a")
    index.remove("b")
    assert index.find(COPY) is None and len(index) == 0


# Metrics on toy cases computed by hand.
GOLD = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}


def test_bcubed_by_hand() -> None:
    # {a,b} {c,d,e}: precision per item a,b 1; c 1/3; d,e 2/3 -> (2 + 1/3 + 4/3) / 5 = 11/15
    # recall: a,b 2/3; c 1/3; d,e 1 -> (4/3 + 1/3 + 2) / 5 = 11/15
    p, r, f = bcubed([["a", "b"], ["c", "d", "e"]], GOLD)
    assert p == pytest.approx(11 / 15) and r == pytest.approx(11 / 15)
    assert f == pytest.approx(11 / 15)
    assert bcubed([["a", "b", "c"], ["d", "e"]], GOLD) == pytest.approx((1.0, 1.0, 1.0))
    p, r, _ = bcubed([[x] for x in GOLD], GOLD)  # all singletons: precision 1
    assert p == 1.0 and r == pytest.approx((3 * 1 / 3 + 2 * 1 / 2) / 5)


def test_pairwise_by_hand() -> None:
    # predicted pairs: ab, cd, ce, de = 4, right: ab, de = 2; gold pairs: ab ac bc de = 4
    p, r, f = pairwise([["a", "b"], ["c", "d", "e"]], GOLD)
    assert (p, r, f) == pytest.approx((0.5, 0.5, 0.5))
    p, r, f = pairwise([["a", "b", "c", "d", "e"]], GOLD)  # one lump: 10 pairs, 4 right
    assert (p, r) == pytest.approx((0.4, 1.0)) and f == pytest.approx(2 * 0.4 / 1.4)
    assert pairwise([[x] for x in GOLD], GOLD)[:2] == (1.0, 0.0)


def test_detokenise_ptb_text() -> None:
    text = "Merson said `` it 's over '' , and Townsend did n't ( really ) reply ."
    assert detokenise(text) == "Merson said \"it's over\", and Townsend didn't (really) reply."


# Two stories on one subject (Falcao, Manchester United): River Plate's interest, a team-mate's
# words. Alternating, as a news stream would bring them.
RIVER = [
    "River Plate want to bring Radamel Falcao home from Manchester United, vice president "
    "Matias Patanian said.",
    "Falcao could return to River Plate: Patanian says the Buenos Aires club dreams of the "
    "Manchester United striker.",
    "River Plate vice president Matias Patanian: the doors are open for Falcao to leave "
    "Manchester United for Buenos Aires.",
    "Buenos Aires side River Plate admit a deal for Manchester United loanee Falcao is "
    "complicated, says Patanian.",
]
DIRAR = [
    "Nabil Dirar says his former Monaco team-mate Falcao regrets the loan move to Manchester "
    "United.",
    "Falcao must regret leaving Monaco for Manchester United, former team-mate Nabil Dirar told "
    "French radio.",
    "Monaco winger Nabil Dirar believes Falcao would have been better off staying in France "
    "than joining Manchester United.",
    "Dirar: Falcao regrets his Manchester United loan and misses Monaco, says the Moroccan winger.",
]
SAME_SUBJECT = [text for pair in zip(RIVER, DIRAR, strict=True) for text in pair]


def test_two_stories_grown_as_one_are_split_and_the_moves_reported() -> None:
    # A bar of zero lets every report join the first story; the split test repairs it.
    c = StoryClusterer(threshold=0.0, floor=0.0, size_prior=0.0, ambiguity=0.0)
    ids = [f"{'rd'[i % 2]}{i // 2}" for i in range(len(SAME_SUBJECT))]
    stories = [
        c.add(doc_id, "", text, None, "s") for doc_id, text in zip(ids, SAME_SUBJECT, strict=True)
    ]
    assert stories[:5] == [0] * 5  # one blend until the checkpoint at 6 articles
    assert c.clusters() == [["r0", "r1", "r2", "r3"], ["d0", "d1", "d2", "d3"]]
    assert c.story_of("d3") == stories[-1] == 1 and c.story_of("r3") == stories[-2] == 0
    moves = c.take_moves()
    assert set(moves) == {"d0", "d1", "d2"} and set(moves.values()) == {1}
    assert c.take_moves() == {}


def test_two_stories_on_one_subject_stay_apart_by_default() -> None:
    assert _grouping(cluster_texts(SAME_SUBJECT)) == {
        frozenset({0, 2, 4, 6}),
        frozenset({1, 3, 5, 7}),
    }
    without_split = cluster_texts(SAME_SUBJECT, split=None, threshold=0.0, floor=0.0)
    assert len(without_split) == 1  # what the split test undoes


def test_split_is_never_tried_below_the_checkpoint_nor_on_one_event() -> None:
    c = StoryClusterer(threshold=0.0, floor=0.0, size_prior=0.0)
    for i, text in enumerate(RIVER):
        c.add(str(i), "", text, None, "s")
    assert len(c.clusters()) == 1 and c.take_moves() == {}
    assert next_check(6) > 6 and next_check(1) == 6


def test_bisect_separates_two_groups_and_not_one() -> None:
    tfidf = StreamingTfIdf()
    vectors = [tfidf.add(terms(t)) for t in SAME_SUBJECT]
    labels, separation = bisect(vectors, min_part=3, seed=0) or ([], 1.0)
    assert labels[0::2] == [labels[0]] * 4 and labels[1::2] == [not labels[0]] * 4
    assert separation < 0.35
    one_event = bisect([*vectors[0::2], tfidf.add(terms(RIVER[0] + " Falcao"))], 2, seed=0)
    assert one_event is not None and one_event[1] > separation
    assert bisect(vectors[:5], min_part=3, seed=0) is None  # a part would be too small


def test_a_report_equally_close_to_two_stories_waits_in_its_own() -> None:
    texts = [
        "Huawei foldable Barcelona",
        "Valencia floods schools",
        "Huawei foldable Valencia floods",
    ]
    waiting = StoryClusterer(threshold=0.1, ambiguity=0.05, merge_threshold=None)
    assert [waiting.add(str(i), "", t, None, "s") for i, t in enumerate(texts)] == [0, 1, 2]
    eager = StoryClusterer(threshold=0.1, ambiguity=0.0, merge_threshold=None)
    assert [eager.add(str(i), "", t, None, "s") for i, t in enumerate(texts)] == [0, 1, 0]


def test_merge_is_reported_as_moves() -> None:
    c = StoryClusterer(threshold=0.3, size_prior=0.0, floor=0.0, merge_threshold=0.05)
    c.add("a", "", "Huawei Mate X7 foldable price euros Barcelona launch", None, "s")
    c.add("b", "", "Richard Yu ships two million Kirin chips SMIC", None, "s")
    bridge = "Huawei Mate X7 foldable launch in Barcelona: Richard Yu ships two million"
    assert c.add("c", "", bridge, None, "s") == 0
    assert c.take_moves() == {"b": 0}


def _write(folder: Path, texts: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


def test_cluster_command_on_text_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Plain text files: the first line is the headline, as `newsbot summarize` reads them.
    paths = _write(
        tmp_path,
        {
            "reuters.txt": f"Huawei launches Mate X7 foldable in Europe\n\n{WIRE}",
            "floods.txt": f"Floods in Valencia\n{UNRELATED}",
            "verge.txt": f"Huawei's Mate X7 costs 1,999 euros\n{REWRITE}",
            "afp.txt": f"Huawei revenue up 22%\n{OTHER_EVENT}",
            "yahoo.txt": f"Huawei's cheaper foldable takes aim at Samsung\n{COPY}",
            "bbc.txt": f"Huawei halts Mate X7 shipments over hinge defects\n{DEVELOPMENT}",
        },
    )
    from bot.cli import main

    assert cluster_documents([("", t) for t in SAME_SUBJECT]) == [[0, 2, 4, 6], [1, 3, 5, 7]]
    assert main(["cluster", *map(str, paths)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"story 1: {paths[0]}, {paths[2]}, {paths[4]}" and len(lines) == 4
    assert main(["cluster", *map(str, paths), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"stories": [[0, 2, 4], [1], [3], [5]]}
    (tmp_path / "empty.txt").write_text("\n")
    for bad in ("missing.txt", "empty.txt"):
        assert main(["cluster", str(paths[0]), str(tmp_path / bad)]) == 2
        assert f"{bad}:" in capsys.readouterr().err


FILLER_WORDS = ["lorem", "ipsum", "dolor", "amet", "elit", "sed", "tempor", "magna"]


def _filler(i: int) -> str:
    """A story of its own that shares only common words (company, Europe, euros) with WIRE."""
    own = " ".join(f"{word}{i}{end}" for end in "xy" for word in FILLER_WORDS)
    return f"The company in Europe: {own}. It costs euros."


def test_candidate_search_finds_the_story_behind_common_words() -> None:
    # Each term's postings are cut to its 2 newest: the 30 later stories crowd the common
    # words, and the launch story is found through the rewrite's rarer words.
    small = {"per_term": 2, "query_terms": 8}
    for options in (small, {"candidates": None}):
        c = StoryClusterer(**options)  # type: ignore[arg-type]
        launch = c.add("a", "Huawei launches Mate X7 foldable in Europe", WIRE, T0, "Reuters")
        for i in range(30):
            c.add(f"f{i}", "", _filler(i), T0 + timedelta(minutes=i + 1), "s")
        assert len(c.clusters()) == 31
        later = T0 + timedelta(hours=1)
        assert c.add("b", "Mate X7 costs 1,999 euros", REWRITE, later, "The Verge") == launch


def test_candidate_search_groups_like_the_exhaustive_search() -> None:
    texts = STREAM + SAME_SUBJECT + [DEVELOPMENT] + [_filler(i) for i in range(10)]
    assert _grouping(cluster_texts(texts)) == _grouping(cluster_texts(texts, candidates=None))


def test_restore_keeps_stored_stories_and_copies_join_them_later() -> None:
    c = StoryClusterer()
    # Stored apart although alike, and together although about two events: a restart
    # regroups nothing.
    launch = c.restore("a", "Huawei launches Mate X7", WIRE, T0, "Reuters", None)
    price = c.restore("b", "Mate X7 costs 1,999 euros", REWRITE, T0, "The Verge", None)
    assert launch != price
    hour = timedelta(hours=1)
    assert c.restore("d", "Huawei pauses", DEVELOPMENT, T0 + hour, "AFP", launch) == launch
    assert c.restore("y", "Huawei's foldable", COPY, T0 + hour, "Yahoo", launch) == launch
    assert c.copy_of("y") == "a"  # a copy adds nothing to the story's centroid
    assert c.clusters() == [["a", "d", "y"], ["b"]]
    assert c.add("z", "Huawei foldable, again", COPY, T0 + 2 * hour, "MSN") == launch
    assert c.copy_of("z") == "y" and c.best(launch) == "a"  # the same text as y


def test_best_article_of_a_large_story_is_its_full_text() -> None:
    fragments = [s for s in (WIRE + " " + REWRITE).split(". ") if len(s.split()) > 6]
    c = StoryClusterer(split=None)
    story = None
    for i in range(24):  # many short reports: ranked in full, a shortlist kept
        story = c.restore(f"s{i}", "", fragments[i % len(fragments)], T0, "s", story)
        assert c.best(story).startswith("s")
    c.restore("wire", "Huawei launches Mate X7", WIRE, T0, "Reuters", story)
    assert c.best(story) == "wire"  # came after the ranking, still found
    for i in range(24, 30):
        c.restore(f"s{i}", "", fragments[i % len(fragments)], T0, "s", story)
        assert c.best(story) == "wire"


def test_syndication_lookup_finds_a_copy_behind_boilerplate() -> None:
    index = SyndicationIndex(per_shingle=2)
    boiler = "The company did not respond to a request for comment on the matter on Monday."
    index.add("wire", WIRE + " " + boiler)
    for i in range(20):  # the boilerplate's postings now hold 20 newer texts
        index.add(f"n{i}", f"{_filler(i)} {boiler}")
    assert index.add("copy", COPY + " " + boiler) == "wire"
    assert index.add("other", OTHER_EVENT + " " + boiler) is None
