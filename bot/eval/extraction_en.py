"""Held-out extraction check: trafilatura's own evaluation, English subset of its corpus.

Each page has "with" segments (must appear in the extracted text) and "without" segments
(boilerplate that must not). As in upstream ``tests/eval_common.py``, the output and every
segment are whitespace-normalised (``\\s+`` -> one space, stripped) and matched as substrings:
a found "with" is a TP, a missing one an FN; a found "without" is an FP, an absent one a TN.
Counts are summed over all pages (micro average). A crash or ``None`` output counts as a full
miss (no TP, no FP), as upstream does. Every system runs on the same pages in the same run.

Lost pages: every system but trafilatura's default also gets ``lost_pages``, the count of pages
where it returns under half the characters of trafilatura's default text and misses a
must-have segment that the default text has. A shorter text that only left out boilerplate
(the page's must-not-have segments, or anything unannotated) is not counted.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

SET_NAME = "extraction-trafilatura-en"
METRIC = "must-have/must-not-have segments, micro P/R/F1 (trafilatura evaluation)"
_WS_RE = re.compile(r"\s+")
DEFAULT_PREFIX = "trafilatura-"  # the system named this plus a version: trafilatura's defaults

Counts = tuple[int, int, int, int]  # tp, fp, fn, tn
System = Callable[[bytes, str], str | None]


def norm(text: str) -> str:
    """Collapse every whitespace run to one space and strip (upstream ``norm``)."""
    return _WS_RE.sub(" ", text).strip()


def count_item(item: Mapping[str, Any], output: str | None) -> Counts:
    """(tp, fp, fn, tn) of one page; ``None`` output (a crash) finds nothing."""
    withs: Sequence[str] = item.get("with") or []
    withouts: Sequence[str] = item.get("without") or []
    if output is None:
        tp = fp = 0
    else:
        text = norm(output)
        tp = sum(1 for seg in withs if norm(seg) in text)
        fp = sum(1 for seg in withouts if norm(seg) in text)
    return tp, fp, len(withs) - tp, len(withouts) - fp


def scores(counts: Counts) -> dict[str, float]:
    """F1, precision, recall and accuracy of summed counts, rounded to 4 decimals."""
    tp, fp, fn, tn = counts
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    total = tp + fp + fn + tn
    accuracy = (tp + tn) / total if total else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    values = {"f1": f1, "precision": precision, "recall": recall, "accuracy": accuracy}
    return {k: round(v, 4) for k, v in values.items()}


SHORT_SHARE = 0.5  # an output under this share of trafilatura's default text is "short"


def lost_page(item: Mapping[str, Any], output: str | None, default: str | None) -> bool:
    """Whether ``output`` is under half of ``default`` and misses a must-have that it has."""
    output, default = norm(output or ""), norm(default or "")
    if len(output) >= SHORT_SHARE * len(default):
        return False
    withs = [norm(seg) for seg in item.get("with") or []]
    return any(seg in default and seg not in output for seg in withs)


def score_outputs(
    evaldata: Mapping[str, Mapping[str, Any]], outputs: Mapping[str, str | None]
) -> dict[str, float]:
    """Micro-averaged scores of ``outputs`` (by url; missing = crash) over ``evaldata``."""
    total = [0, 0, 0, 0]
    for url, item in evaldata.items():
        for i, n in enumerate(count_item(item, outputs.get(url))):
            total[i] += n
    tp, fp, fn, tn = total
    return scores((tp, fp, fn, tn))


def _systems() -> dict[str, System]:
    import trafilatura

    from bot.ingest.extract import extract

    version = trafilatura.__version__
    return {
        "newsbot": lambda html, url: extract(html, url).text,
        DEFAULT_PREFIX + version: lambda html, url: trafilatura.extract(html),
        f"trafilatura-{version}-precision": lambda html, url: trafilatura.extract(
            html, favor_precision=True, include_comments=False
        ),
    }


def _set_folder(data_dir: Path) -> Path:
    data_dir = Path(data_dir)
    for folder in (data_dir, data_dir / SET_NAME):
        if (folder / "evaldata-en.json").is_file() and (folder / "html").is_dir():
            return folder
    raise FileNotFoundError(
        f"evaluation set {SET_NAME} not found in {data_dir}: expected "
        f"{data_dir / SET_NAME}/evaldata-en.json and html/ (or pass the set folder itself)"
    )


def run(data_dir: Path, systems: Mapping[str, System] | None = None) -> dict[str, Any]:
    """Score newsbot and two trafilatura settings on every English page of the set.

    ``data_dir`` is the shared eval folder or the set folder itself. Pages are the entries of
    ``evaldata-en.json`` whose ``html/<file>.gz`` exists. Crashes are scored as full misses and
    listed under ``"failures"`` (only present when something crashed).
    """
    folder = _set_folder(data_dir)
    evaldata: dict[str, dict[str, Any]] = json.loads(
        (folder / "evaldata-en.json").read_text(encoding="utf-8")
    )
    html_dir = folder / "html"
    pages = {u: it for u, it in evaldata.items() if (html_dir / f"{it['file']}.gz").is_file()}
    if not pages:
        raise FileNotFoundError(f"no page of evaldata-en.json found under {html_dir}")
    runners = dict(systems) if systems is not None else _systems()
    outputs: dict[str, dict[str, str | None]] = {name: {} for name in runners}
    failures: list[str] = []
    for url, item in pages.items():
        html = gzip.decompress((html_dir / f"{item['file']}.gz").read_bytes())
        for name, system in runners.items():
            try:
                outputs[name][url] = system(html, url)
            except Exception as exc:  # a crash is scored as a full miss
                outputs[name][url] = None
                failures.append(f"{name} crashed on {item['file']}: {exc!r}")
    systems = {name: score_outputs(pages, outputs[name]) for name in runners}
    default = next((n for n in runners if re.fullmatch(rf"{DEFAULT_PREFIX}[\d.]+", n)), None)
    if default is not None:
        for name in runners:
            if name != default:
                lost = (
                    lost_page(it, outputs[name][u], outputs[default][u]) for u, it in pages.items()
                )
                systems[name]["lost_pages"] = sum(lost)
    result: dict[str, Any] = {
        "set": SET_NAME,
        "items": len(pages),
        "metric": METRIC,
        "systems": systems,
    }
    if failures:
        result["failures"] = failures
    return result
