"""Article-extraction scorer: the scrapinghub article-extraction-benchmark metric.

Texts are tokenized with ``\\w+`` and cut into 4-token shingles, compared as multisets.
Per item, precision and recall come from the shingle overlap; they are averaged over
items and F1 is taken from the two means. Accuracy is exact token-sequence equality.

Upstream edge cases, kept so that published figures reproduce:
- a text of 1-3 tokens is a single (shorter) shingle; a text with no token has none;
- an item whose prediction has no shingle is left out of the precision mean (its recall is 0);
- an item whose ground truth has no shingle is left out of the recall mean;
- precision and recall are 1 when prediction and truth have the same shingles.

Lost pages: besides the metric, every system gets ``lost_pages``, the count of pages where it
returns under half the characters of trafilatura's default extraction (run here) and the part
it misses held article text: over a tenth of the truth's shingles that trafilatura found are
absent from its output. A shorter text that only left out boilerplate is not counted.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

METRIC = "4-gram shingle F1 (scrapinghub article-extraction-benchmark)"
NGRAM = 4
_TOKEN_RE = re.compile(r"\w+")


class EvalDataMissing(FileNotFoundError):
    """The evaluation folder or one of its required files does not exist."""


def _tokens(text: str | None) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def _shingles(tokens: list[str], n: int = NGRAM) -> Counter[tuple[str, ...]]:
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _tp_fp_fn(pred: str, gold: str) -> tuple[int, int, int]:
    p = _shingles(_tokens(pred))
    g = _shingles(_tokens(gold))
    tp = sum((p & g).values())
    return tp, sum(p.values()) - tp, sum(g.values()) - tp


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def score(pred: Mapping[str, str], gold: Mapping[str, str]) -> dict[str, float]:
    """Score predicted texts against gold texts, both keyed by item id.

    Items missing from ``pred`` count as empty predictions; ids only in ``pred`` are ignored.
    Returns unrounded ``f1``, ``precision``, ``recall`` and ``accuracy``.
    """
    precisions: list[float] = []
    recalls: list[float] = []
    exact: list[float] = []
    for key, gold_text in gold.items():
        pred_text = pred.get(key) or ""
        tp, fp, fn = _tp_fp_fn(pred_text, gold_text)
        if tp + fp > 0:
            precisions.append(1.0 if fp == fn == 0 else tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(1.0 if fp == fn == 0 else tp / (tp + fn))
        exact.append(float(_tokens(pred_text) == _tokens(gold_text)))
    precision, recall = _mean(precisions), _mean(recalls)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall, "accuracy": _mean(exact)}


SHORT_SHARE = 0.5  # an output under this share of trafilatura's default text is "short"
LOST_SHARE = 0.1  # ... and "lost" when it misses this share of the truth that trafilatura found


def lost_page(pred: str, default: str, gold: str) -> bool:
    """Whether ``pred`` is under half of ``default`` and misses article text ``default`` has."""
    if len(pred) >= SHORT_SHARE * len(default):
        return False
    truth = _shingles(_tokens(gold))
    missed = (_shingles(_tokens(default)) & truth) - _shingles(_tokens(pred))
    return sum(missed.values()) > LOST_SHARE * sum(truth.values())


def lost_pages(pred: Mapping[str, str], default: Mapping[str, str], gold: Mapping[str, str]) -> int:
    """How many pages of ``gold`` ``pred`` loses against ``default`` (see ``lost_page``)."""
    return sum(lost_page(pred.get(k) or "", default.get(k) or "", g) for k, g in gold.items())


def _rounded(metrics: Mapping[str, float]) -> dict[str, float]:
    return {k: round(metrics[k], 4) for k in ("f1", "precision", "recall", "accuracy")}


def _load_json(path: Path) -> Any:
    if not path.is_file():
        raise EvalDataMissing(f"evaluation file not found: {path}")
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def load_reference(path: Path) -> tuple[str, dict[str, str]]:
    """Read one reference output file: ``{id: {articleBody}}`` or ``{version, output}``.

    Returns the system name (file stem, plus ``-<version>`` when the file gives one)
    and the predicted texts by item id.
    """
    data = _load_json(path)
    name = path.stem
    if isinstance(data, dict) and isinstance(data.get("output"), dict):
        if data.get("version"):
            name = f"{name}-{data['version']}"
        data = data["output"]
    return name, {k: (v or {}).get("articleBody") or "" for k, v in data.items()}


def read_page(path: Path) -> bytes:
    """Read one page of the set (``.html.gz`` or plain ``.html``) as bytes."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def run(
    data_dir: Path, extractor: Callable[[bytes, str | None], str] | None = None
) -> dict[str, Any]:
    """Score our extractor and every reference output on the set in ``data_dir``.

    ``data_dir`` holds ``ground-truth.json``, ``html/<id>.html.gz`` and
    ``reference-outputs/*.json`` (the shared eval folder holding ``extraction/`` is accepted
    too). ``extractor`` maps (html, url) to text and defaults to newsbot's
    ``bot.ingest.extract``. Raises ``EvalDataMissing`` (a ``FileNotFoundError``) when the
    folder or a required file is missing.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise EvalDataMissing(f"evaluation folder not found: {data_dir}")
    if not (data_dir / "ground-truth.json").exists() and (data_dir / "extraction").is_dir():
        data_dir = data_dir / "extraction"
    truth = _load_json(data_dir / "ground-truth.json")
    gold = {k: (v or {}).get("articleBody") or "" for k, v in truth.items()}
    if extractor is None:
        from bot.ingest.extract import extract

        def extractor(html: bytes, url: str | None) -> str:
            return extract(html, url).text

    import trafilatura

    html_dir = data_dir / "html"
    ours: dict[str, str] = {}
    live: dict[str, str] = {}  # the installed trafilatura, run here as a same-run anchor
    default: dict[str, str] = {}  # and with its defaults: what no page may lose much against
    for key, item in truth.items():
        page = html_dir / f"{key}.html.gz"
        if not page.is_file():
            page = html_dir / f"{key}.html"
        if not page.is_file():
            raise EvalDataMissing(f"page not found for item {key}: {page}")
        html, url = read_page(page), (item or {}).get("url")
        ours[key] = extractor(html, url)
        live[key] = (
            trafilatura.extract(html, url=url, favor_precision=True, include_comments=False) or ""
        )
        default[key] = trafilatura.extract(html, url=url) or ""

    version = trafilatura.__version__
    outputs = {"newsbot": ours, f"trafilatura-{version}-precision (run here)": live}
    for path in sorted((data_dir / "reference-outputs").glob("*.json")):
        name, pred = load_reference(path)
        outputs[name] = pred
    systems = {
        name: {**_rounded(score(pred, gold)), "lost_pages": lost_pages(pred, default, gold)}
        for name, pred in outputs.items()
    }
    systems[f"trafilatura-{version}-default (run here)"] = _rounded(score(default, gold))
    return {"set": "extraction", "items": len(gold), "metric": METRIC, "systems": systems}
