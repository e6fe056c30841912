"""`newsbot eval feeds`: feedparser's whole suite through our feed code without an exception."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.conftest import EVAL_DATA, eval_set


def test_every_feed_of_the_suite_parses_without_exception(
    capsys: pytest.CaptureFixture[str],
) -> None:
    eval_set("feeds")
    assert main(["eval", "feeds", "--json", "--data", str(EVAL_DATA)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"set", "items", "metric", "systems"}
    assert result["set"] == "feeds" and result["items"] == 2107
    ours = result["systems"]["newsbot"]
    assert ours["exceptions"] == 0
    assert ours["feeds"] + ours["not_feeds"] == 2107
    anchor = next(v for k, v in result["systems"].items() if k.startswith("feedparser"))
    assert ours["expect_met"] >= anchor["expect_met"]


def test_missing_data_folder_is_a_clear_error(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert main(["eval", "feeds", "--data", str(tmp_path / "nowhere")]) == 2
    assert "no evaluation data" in capsys.readouterr().err
