"""`newsbot eval ask`: /ask over the summaries set's 1,100 paraphrased questions, newsbot beside
its same-run baselines (see bot/eval/ask.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SYSTEMS = {"newsbot", "newsbot-exact-words", "search-top-hit"}
FIGURES = {"answered", "first", "any5", "wrong", "first_0_49", "wrong_0_49", "first_50_99",
           "wrong_50_99", "questions_per_s"}  # fmt: skip


@pytest.mark.timeout(900)  # 2 halves x 1,099 questions x 3 systems, about 3 minutes here
def test_eval_ask_answers_the_story_asked_about_and_not_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not (EVAL / "summaries").exists():
        pytest.skip(f"{EVAL / 'summaries'} is absent (a clone outside the workplace has no data)")
    assert main(["eval", "ask", "--json", "--data", str(EVAL)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"set", "items", "metric", "background", "systems"}
    assert result["set"] == "ask" and result["items"] == 1099
    assert result["background"] == (840 if (EVAL / "quotes-train").exists() else 0)
    systems = result["systems"]
    assert set(systems) == SYSTEMS
    for figures in systems.values():
        assert set(figures) == FIGURES
        assert all(0.0 <= v <= 1.0 for k, v in figures.items() if k != "questions_per_s")
    ours, top_hit = systems["newsbot"], systems["search-top-hit"]
    # Measured 2026-12-07: first 0.73 (0.74 / 0.73 by half), wrong 0.11 (0.09 / 0.12); the top
    # hit of search answers the asked article first 0.88 but answers half the questions whose
    # article is not stored (0.52). A reader gets the right story or a plain "not answered".
    assert min(ours["first_0_49"], ours["first_50_99"]) >= 0.70
    assert max(ours["wrong_0_49"], ours["wrong_50_99"]) <= 0.15
    assert ours["wrong"] * 4 <= top_hit["wrong"]
    # Related words may not cost answers the exact words found.
    assert ours["first"] >= systems["newsbot-exact-words"]["first"] - 0.005
