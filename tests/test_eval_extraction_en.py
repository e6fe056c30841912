"""Tests for the trafilatura-evaluation scorer (bot.eval.extraction_en)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.eval.extraction_en import SET_NAME, count_item, lost_page, run, score_outputs

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"

ITEM = {"with": ["first  must-have", "second one"], "without": ["Share this", "Cookie banner"]}


def test_all_found() -> None:
    text = "Intro. first must-have\nand the second   one. End."
    assert count_item(ITEM, text) == (2, 0, 0, 2)
    got = score_outputs({"u": ITEM}, {"u": text})
    assert got == {"f1": 1.0, "precision": 1.0, "recall": 1.0, "accuracy": 1.0}


def test_none_found_and_crash() -> None:
    assert count_item(ITEM, "unrelated text") == (0, 0, 2, 2)
    assert count_item(ITEM, None) == (0, 0, 2, 2)
    got = score_outputs({"u": ITEM}, {})  # a missing output counts as a crash
    assert got == {"f1": 0.0, "precision": 0.0, "recall": 0.0, "accuracy": 0.5}


def test_must_not_have_leaks() -> None:
    text = "first must-have second one Share this"
    assert count_item(ITEM, text) == (2, 1, 0, 1)
    got = score_outputs({"u": ITEM}, {"u": text})
    assert got == {"f1": 0.8, "precision": 0.6667, "recall": 1.0, "accuracy": 0.75}


def test_micro_average_over_pages() -> None:
    other = {"with": ["a b"], "without": ["zzz"]}
    got = score_outputs({"u": ITEM, "v": other}, {"u": "first must-have", "v": "a b zzz"})
    # tp 2, fp 1, fn 1, tn 2
    assert got == {"f1": 0.6667, "precision": 0.6667, "recall": 0.6667, "accuracy": 0.6667}


def test_lost_page_needs_a_short_output_missing_a_must_have() -> None:
    default = "Intro. first must-have and the second one. " + "Menu link. " * 30
    assert lost_page(ITEM, "Intro.", default)  # short, and both must-haves gone
    assert not lost_page(ITEM, "first must-have and the second one.", default)  # menu left out
    assert not lost_page(ITEM, default, default)
    assert not lost_page(ITEM, None, "")  # nothing to lose


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=SET_NAME):
        run(tmp_path / "nowhere")


@pytest.mark.skipif(not EVAL.is_dir(), reason=f"shared evaluation data not found at {EVAL}")
def test_whole_set_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["eval", "extraction-en", "--json", "--data", str(EVAL)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"set", "items", "metric", "systems"}
    assert result["set"] == SET_NAME
    assert result["items"] == 180
    systems = result["systems"]
    assert "newsbot" in systems
    assert len(systems) == 3
    assert sum(name.startswith("trafilatura-") for name in systems) == 2
    default = next(name for name in systems if re.fullmatch(r"trafilatura-[\d.]+", name))
    for name, figures in systems.items():
        lost = set() if name == default else {"lost_pages"}
        assert set(figures) == {"f1", "precision", "recall", "accuracy", *lost}
        assert all(0.0 <= figures[k] <= 1.0 for k in ("f1", "precision", "recall", "accuracy"))
    # the bar: level with or ahead of both trafilatura modes, and no page lost
    ours = systems["newsbot"]
    assert ours["lost_pages"] == 0
    assert ours["f1"] >= systems[default]["f1"]
    assert ours["f1"] >= systems[f"{default}-precision"]["f1"]
    # one run, same pages: every system is scored over the same items
    data = json.loads((EVAL / SET_NAME / "evaldata-en.json").read_text(encoding="utf-8"))
    assert len(data) == result["items"]
