"""`newsbot eval clusters`: the summaries proxy set, newsbot beside its same-run baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
# The issue asks B-cubed F1 >= 0.95. Measured (5 seeded orders, deterministic): 0.936 on all 100
# stories, 0.958 on the held-out stories 50-99. Not reached on all 100, so it is not asserted:
# the floor below only guards against regressions.
FLOOR = 0.93
FIGURES = {
    "bcubed_f1",
    "bcubed_precision",
    "bcubed_recall",
    "pairwise_f1",
    "pairwise_precision",
    "pairwise_recall",
    "clusters",
}


def test_eval_clusters_scores_newsbot_and_baselines(capsys: pytest.CaptureFixture[str]) -> None:
    if not (EVAL / "summaries").exists():
        pytest.skip(f"{EVAL / 'summaries'} is absent (a clone outside the workplace has no data)")
    assert main(["eval", "clusters", "--json", "--data", str(EVAL)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"set", "items", "metric", "systems"}
    assert result["set"] == "clusters" and result["items"] == 2800
    assert result["metric"] == (
        "B-cubed and pairwise P/R/F1 over 100 stories x 28 reports (summaries proxy)"
    )
    systems = result["systems"]
    assert {"newsbot", "tfidf-single-pass"} <= set(systems)
    for figures in systems.values():
        assert set(figures) == FIGURES
        assert all(0.0 <= figures[k] <= 1.0 for k in FIGURES - {"clusters"})
    ours, plain = systems["newsbot"], systems["tfidf-single-pass"]
    assert ours["bcubed_f1"] > plain["bcubed_f1"]
    assert ours["pairwise_f1"] > plain["pairwise_f1"]
    assert 80 <= ours["clusters"] <= 300
    assert ours["bcubed_f1"] >= FLOOR
