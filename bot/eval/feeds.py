"""`newsbot eval feeds`: every feed of feedparser's test suite through our feed code.

The figure that matters is exceptions: 0. Where a file carries an `expect` expression (from
feedparser's own suite) it is checked against our parse result, and against bare feedparser
in the same run as the anchor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import feedparser

from bot.ingest.feeds import FeedError, make_entries, parse_document, parse_feed


def _check(expect: str | None, skip_unless: str | None, result: Any) -> bool | None:
    """Evaluate a suite expression; None when it does not apply here.

    The expressions are feedparser's own test assertions, read from the evaluation data.
    """
    if not expect:
        return None
    try:
        if skip_unless and not eval(skip_unless, {}):
            return None
    except Exception:
        return None
    try:
        return bool(eval(expect, {"__builtins__": __builtins__}, result))
    except Exception:
        return False


def run(data_dir: Path) -> dict[str, Any]:
    """Parse every feed of the set; count exceptions, results, entries, expectations met."""
    folder = Path(data_dir) / "feeds"
    manifest = folder / "manifest.jsonl"
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest} not found: is {data_dir} the shared eval folder?")
    ours = {
        "exceptions": 0,
        "feeds": 0,
        "not_feeds": 0,
        "entries": 0,
        "expect_met": 0,
        "expect_checked": 0,
    }
    anchor = {"exceptions": 0, "expect_met": 0, "expect_checked": 0}
    failures: list[str] = []
    items = 0
    for line in manifest.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        items += 1
        body = (folder / item["path"]).read_bytes()
        headers = item.get("http_headers") or {}
        url = "http://127.0.0.1/eval/" + item["path"]
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        try:
            doc = parse_document(body, url, content_type, headers)
            make_entries(doc.get("entries", []), base=url)
            try:
                parsed = parse_feed(body, url, content_type)
                ours["feeds"] += 1
                ours["entries"] += len(parsed.entries)
            except FeedError:
                ours["not_feeds"] += 1
        except Exception as exc:
            ours["exceptions"] += 1
            failures.append(f"{item['path']}: {type(exc).__name__}: {exc}")
            doc = None
        verdict = _check(item.get("expect"), item.get("skip_unless"), doc) if doc else None
        if verdict is not None:
            ours["expect_checked"] += 1
            ours["expect_met"] += verdict
        try:
            bare = feedparser.parse(body, response_headers=headers or None)
        except Exception:
            anchor["exceptions"] += 1
            continue
        verdict = _check(item.get("expect"), item.get("skip_unless"), bare)
        if verdict is not None:
            anchor["expect_checked"] += 1
            anchor["expect_met"] += verdict
    return {
        "set": "feeds",
        "items": items,
        "metric": "exceptions raised (target 0); suite expectations met",
        "systems": {
            "newsbot": ours,
            f"feedparser-{feedparser.__version__}": anchor,
        },
        "failures": failures[:20],
    }
