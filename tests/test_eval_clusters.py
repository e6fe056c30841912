"""`newsbot eval clusters`: the summaries proxy set, newsbot beside its same-run baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
# The issue asks B-cubed F1 >= 0.95 on all 100 stories. Measured (mean of 5 seeded orders,
# deterministic): 0.955 on all 100 (every order 0.953-0.958), 0.965 on stories 0-49 (where the
# constants were chosen), 0.969 on the held-out stories 50-99. Reached, so it is asserted.
TARGET = 0.95
FIGURES = {
    "bcubed_f1",
    "bcubed_precision",
    "bcubed_recall",
    "pairwise_f1",
    "pairwise_precision",
    "pairwise_recall",
    "clusters",
    "bcubed_f1_sd",
    "bcubed_f1_0_49",
    "bcubed_f1_50_99",
    "docs_per_s",
}
RATES = FIGURES - {"clusters", "docs_per_s"}


@pytest.mark.timeout(300)  # the whole set, 5 orders, 4 systems: slow on a busy machine
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
    baselines = {"newsbot-centroid-only", "tfidf-single-pass", "shingle-containment-only"}
    # "newsbot+minilm" only where the optional embedding package is installed
    assert {"newsbot"} | baselines <= set(systems) <= {"newsbot", "newsbot+minilm"} | baselines
    for figures in systems.values():
        assert set(figures) == FIGURES
        assert all(0.0 <= figures[k] <= 1.0 for k in RATES)
        assert figures["docs_per_s"] > 0
    ours = systems["newsbot"]
    for baseline in ("newsbot-centroid-only", "tfidf-single-pass"):
        assert ours["bcubed_f1"] > systems[baseline]["bcubed_f1"]
        assert ours["pairwise_f1"] > systems[baseline]["pairwise_f1"]
    assert 80 <= ours["clusters"] <= 300
    assert ours["bcubed_f1"] >= TARGET
    assert min(ours["bcubed_f1_0_49"], ours["bcubed_f1_50_99"]) >= TARGET
    assert ours["bcubed_f1_sd"] <= 0.01
