"""Tests for the summary evaluation (bot.eval.summaries)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.eval.summaries import (
    METRIC,
    SET_NAME,
    detokenize,
    lines,
    load,
    newsbot,
    ptb_of,
    score,
    words,
)

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"

PTB = (
    "( CNN ) Sales rose 3.5 % to $ 2.1 billion , the company said . `` We are pleased , '' "
    "Dr. Lee said : ' it 's a record . ' He ca n't stop . Fans in the club ’ s shop cheered ."
)


def test_detokenize() -> None:
    text, offsets = detokenize(PTB)
    assert text == (
        "(CNN) Sales rose 3.5% to $2.1 billion, the company said. “We are pleased,” "
        "Dr. Lee said: 'it's a record.' He can't stop. Fans in the club’s shop cheered."
    )
    tokens = PTB.split()
    assert len(offsets) == len(tokens)
    for token, (a, b) in zip(tokens, offsets, strict=True):
        assert text[a:b] == {"``": "“", "''": "”"}.get(token, token)


def test_detokenize_single_quotes() -> None:
    text, _ = detokenize("'It 's over , ' Merson said . The players ' union agreed .")
    assert text == "'It's over,' Merson said. The players' union agreed."


def test_chosen_sentences_map_back_to_their_tokens() -> None:
    text, offsets = detokenize(PTB)
    chosen = ["“We are pleased,” Dr. Lee said: 'it's a record.'", "He can't stop."]
    assert ptb_of(chosen, text, offsets, PTB) == (
        "`` We are pleased , '' Dr. Lee said : ' it 's a record . ' He ca n't stop ."
    )


def test_newsbot_returns_source_tokens() -> None:
    # "He can't stop." is too short to be a summary sentence; the others keep their tokens.
    assert newsbot(PTB) == PTB.replace("He ca n't stop . ", "")


def test_lines_and_words() -> None:
    assert lines("One . Two ! '' Three ? Four") == "One .\nTwo !\n'' Three ?\nFour"
    assert words("He ca n't , '' she said .") == 5


def test_score_is_rouge_against_the_reference() -> None:
    items = [{"reference": "The cat sat on the mat . It purred ."}]
    perfect = score(items, ["The cat sat on the mat . It purred ."])
    assert perfect == {"rouge1": 100.0, "rouge2": 100.0, "rougeLsum": 100.0, "words": 8.0}
    partial = score(items, ["A dog sat ."])
    assert 0 < partial["rouge1"] < 100
    assert partial["words"] == 3.0


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=SET_NAME):
        load(tmp_path / "nowhere")


@pytest.mark.skipif(not EVAL.is_dir(), reason=f"shared evaluation data not found at {EVAL}")
def test_whole_set_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["eval", "summaries", "--json", "--data", str(EVAL)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"set", "items", "metric", "systems"}
    assert (result["set"], result["items"], result["metric"]) == (SET_NAME, 100, METRIC)
    systems = result["systems"]
    assert {"newsbot", "M0 (LEAD-3)", "M22 (BART)", "M1 (NEUSUM)", "M5 (RNES)"} <= set(systems)
    for figures in systems.values():
        assert set(figures) == {"rouge1", "rouge2", "rougeLsum", "words"}

    lead3 = systems["M0 (LEAD-3)"]
    for figure, published in {"rouge1": 41.99, "rouge2": 19.36, "rougeLsum": 38.09}.items():
        assert lead3[figure] == pytest.approx(published, abs=0.05)
    bart = systems["M22 (BART)"]
    for figure, published in {"rouge1": 46.03, "rouge2": 23.00, "rougeLsum": 42.85}.items():
        assert bart[figure] == pytest.approx(published, abs=0.05)

    ours = systems["newsbot"]
    for figure in ("rouge1", "rouge2", "rougeLsum"):
        assert ours[figure] >= lead3[figure], figure
    # At LEAD-3's length, not ahead by being longer.
    assert ours["words"] <= lead3["words"] * 1.1


def test_the_set_folder_itself_is_accepted() -> None:
    if not (EVAL / SET_NAME).is_dir():
        pytest.skip(f"shared evaluation data not found at {EVAL}")
    assert len(load(EVAL / SET_NAME)) == len(load(EVAL)) == 100
