"""`newsbot eval quotes`: direct quotations and their speakers on PolNeAR's dev split.

Gold. PolNeAR annotates every attribution (source, cue, content spans) of 84 political news
articles. A gold direct quote is an attribution whose content starts with a double quote mark:
the set's own `content_is_direct_quote`, which knows only " and “, or a content that starts
with the typewriter double '' or `` (the New York Times' style: 788 train and 48 dev contents
that the set's field calls indirect), « or „. Its content may have several spans: a quotation
split around its attribution (“A,” he said, “B.”) or running over paragraphs has one span per
part, and the spans include the marks. newsbot scores one piece per contiguous part of each
Quote (`Quote.parts`), without the marks, so each gold *span* is one gold quote ("piece");
marks do not matter since only words are compared. Spans of one attribution with only spaces
between them (some annotators cut a quotation at its sentences: 200 such cuts on train, 15 on
dev) are one contiguous part and one piece. Two articles were annotated by six annotators: we
use the first annotator (alphabetical, which is also the order in metadata.tsv) for every
article.

Match. Words are `\\w+` runs (with inner apostrophes and hyphens) located by character offset
in the article. A gold piece G and a found quote P match when their word positions overlap by
|G ∩ P| / max(|G|, |P|) >= 0.8, i.e. each covers at least 80% of the other. Pairs are matched
one to one, best overlap first. Precision = matches / found, recall = matches / gold pieces.

Partial quotes. PolNeAR marks a quotation inside reported speech (Smith said the plan was
“dead on arrival”) as part of an indirect content, never as a direct quote, while newsbot
returns such partial quotes on purpose. A found quote that matches no gold piece and lies
(>= 80% of its words) inside the content of a non-direct attribution is therefore not scored
in the "newsbot" row; the "strict" row counts those as false positives.

Speaker. On matched pairs whose gold source is a name (the source's head word, before any
comma or parenthesis, is capitalised and not a pronoun; the name is the capitalised run ending
there, without titles), our speaker is right when, compared case-insensitively by whole words,
it contains the gold name or the gold name contains it. "he", "the campaign", "a doctor" are not
names and not checked.

Anchor. "quote marks only": every span between paired double marks (“…”, "…" or ''…'') in
a paragraph, no
filtering and no attribution logic; its speaker is the nearest capitalised word run in the
same paragraph outside the quote.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.nlp.quotes.find import find_quotes
from bot.nlp.text import word_set

SET_NAME = "quotes"
METRIC = "direct-quote P/R/F1 (token overlap >= 0.8) and speaker accuracy on named sources"
THRESHOLD = 0.8
_WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*")
_PRONOUNS = word_set("he she they it i we you who which that this these those")
_TITLES = word_set(
    "the mr mrs ms miss dr sen rep representative gov president vice secretary state senator "
    "governor rev "
    "reverend gen general democratic republican gop former first lady"
)

Found = tuple[int, int, str | None]  # start, end, speaker
System = Callable[[str], list[Found]]


@dataclass(slots=True)
class Article:
    """One article: its text, gold pieces and the spans of its indirect contents."""

    name: str
    text: str
    gold: list[tuple[int, int, str, int]] = field(default_factory=list)  # start, end, source, at
    indirect: list[tuple[int, int]] = field(default_factory=list)


def _folder(data_dir: Path) -> Path:
    data_dir = Path(data_dir)
    if (data_dir / "attributions_dev.jsonl").exists():
        return data_dir
    folder = data_dir / SET_NAME
    if not (folder / "attributions_dev.jsonl").exists():
        raise FileNotFoundError(
            f"{folder}/attributions_dev.jsonl not found: is {data_dir} the shared eval folder?"
        )
    return folder


def load(folder: Path, *, own_flag: bool = False) -> list[Article]:
    """The dev articles with their gold direct-quote pieces, first annotator of each.

    ``own_flag``: read the gold as the set's `content_is_direct_quote` alone, spans as they are
    (no typewriter quotes, no joining): the reading of earlier runs, printed for comparison.
    """
    rows = [json.loads(line) for line in (folder / "attributions_dev.jsonl").open(encoding="utf-8")]
    annotators: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        annotators[row["article"]].add(row["annotator"])
    articles = {}
    for path in sorted((folder / "dev" / "text").glob("*.txt")):
        articles[path.stem] = Article(path.stem, path.read_text(encoding="utf-8"))
    for row in rows:
        article = articles.get(row["article"])
        if article is None or row["annotator"] != min(annotators[row["article"]]):
            continue
        source = " ".join(part["text"] for part in row["source"])
        at = row["source"][0]["spans"][0][0] if row["source"] else -1
        spans = [tuple(s) for part in row["content"] for s in part["spans"]]
        if own_flag and row["content_is_direct_quote"]:
            article.gold.extend((s, e, source, at) for s, e in spans)
        elif not own_flag and _direct(row):
            article.gold.extend((s, e, source, at) for s, e in _joined(article.text, spans))
        else:
            article.indirect.extend((s, e) for s, e in spans)
    return list(articles.values())


def _direct(row: dict[str, Any]) -> bool:
    """The content starts with a double quote mark, the typewriter '' and `` included."""
    content = " ".join(part["text"] for part in row["content"]).lstrip()
    return bool(row["content_is_direct_quote"]) or content.startswith(("''", "``", "«", "„"))


def _joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans, those with only spaces between them joined into one."""
    joined: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if joined and joined[-1][1] <= s and not text[joined[-1][1] : s].strip(" \t\u00a0"):
            joined[-1] = (joined[-1][0], e)
        else:
            joined.append((s, e))
    return joined


def gold_name(source: str, text: str = "", at: int = -1) -> str | None:
    """The name in a gold source phrase, or None when the source is a pronoun or description.

    `text` and `at` (the source's offset) let a sentence's capitalised first word count as a
    common noun when the article also writes it in lower case ("Protesters chanted").
    """
    head = re.split(r"[,(]", source, maxsplit=1)[0]
    words = _WORD_RE.findall(head)
    if not words or not words[-1][0].isupper() or words[-1].lower() in _PRONOUNS:
        return None
    run = _run_before(words, len(words) - 1)
    i = len(words) - len(run)
    if i >= 2 and words[i - 1] in ("of", "from"):  # "Tim Kaine of Virginia", "Bank of America"
        earlier = _run_before(words, i - 2)
        if len(earlier) >= 2 or (len(earlier) == 1 and len(run) == 1):
            run, i = earlier, i - 1 - len(earlier)
    if (
        i == 0
        and len(run) == 1
        and at >= 0
        and _sentence_initial(text, at)
        and re.search(rf"\b{re.escape(run[0].lower())}\b", text)
    ):
        return None
    return " ".join(run)


def _run_before(words: list[str], last: int) -> list[str]:
    """The capitalised words that end at words[last], without leading titles."""
    i = last
    while i > 0 and words[i - 1][0].isupper():
        i -= 1
    run = words[i : last + 1]
    while len(run) > 1 and run[0].lower() in _TITLES:
        run = run[1:]
    return run


def _sentence_initial(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\u00a0\"“”'’")
    return not before or before[-1] in ".?!\n:"


def _norm(name: str) -> str:
    name = re.sub(r"['’]s\b", "", name.casefold())
    return " " + " ".join(_WORD_RE.findall(name)) + " "


def speaker_right(ours: str | None, gold: str) -> bool:
    """Ours contains the gold name or the gold name contains ours, by whole words."""
    if not ours:
        return False
    a, b = _norm(ours), _norm(gold)
    return a.strip() != "" and (b in a or a in b)


def _positions(words: list[tuple[int, int]], start: int, end: int) -> set[int]:
    return {k for k, (s, e) in enumerate(words) if s >= start and e <= end}


def score_article(article: Article, found: list[Found]) -> dict[str, int]:
    """Counts for one article: matches, found, gold, ignored, speaker checked / right."""
    words = [(m.start(), m.end()) for m in _WORD_RE.finditer(article.text)]
    gold = [(_positions(words, s, e), (src, at)) for s, e, src, at in article.gold]
    gold = [(g, src) for g, src in gold if g]
    ours = [(_positions(words, s, e), spk) for s, e, spk in found]
    ours = [(p, spk) for p, spk in ours if p]
    pairs = []
    for gi, (g, _) in enumerate(gold):
        for pi, (p, _) in enumerate(ours):
            overlap = len(g & p) / max(len(g), len(p))
            if overlap >= THRESHOLD:
                pairs.append((overlap, gi, pi))
    used_g: set[int] = set()
    used_p: set[int] = set()
    counts = {
        "tp": 0,
        "found": len(ours),
        "gold": len(gold),
        "ignored": 0,
        "checked": 0,
        "right": 0,
    }
    for _, gi, pi in sorted(pairs, reverse=True):
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        counts["tp"] += 1
        name = gold_name(gold[gi][1][0], article.text, gold[gi][1][1])
        if name:
            counts["checked"] += 1
            counts["right"] += speaker_right(ours[pi][1], name)
    indirect: set[int] = set()
    for s, e in article.indirect:
        indirect |= _positions(words, s, e)
    for pi, (p, _) in enumerate(ours):
        if pi not in used_p and len(p & indirect) >= THRESHOLD * len(p):
            counts["ignored"] += 1
    return counts


def newsbot(text: str) -> list[Found]:
    """newsbot's quotes as (start, end, speaker), one per contiguous part of each quote."""
    found: list[Found] = []
    for q in find_quotes(text):
        parts = q.parts or ((q.start, q.start + len(q.text)),)
        found.extend((s, e, q.speaker) for s, e in parts)
    return found


_PAIR_RE = re.compile(r"“([^”\n]+)”|\"([^\"\n]+)\"|''([^\n]+?)''")
_NAME_RE = re.compile(r"[A-Z][\w’'.\-]*(?:\s+[A-Z][\w’'.\-]*)*")
_NOT_NAMES = word_set("The He She It But And In A I We They This That")


def quote_marks_only(text: str) -> list[Found]:
    """The anchor: every span between paired double marks; speaker = the nearest name."""
    found: list[Found] = []
    for match in _PAIR_RE.finditer(text):
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        start, end = match.start(group), match.end(group)
        p_start = text.rfind("\n", 0, start) + 1
        p_end = text.find("\n", end)
        p_end = len(text) if p_end < 0 else p_end
        best, distance = None, None
        for name in _NAME_RE.finditer(text, p_start, p_end):
            if start - 1 <= name.start() < end + 1 or name.group() in _NOT_NAMES:
                continue
            d = start - name.end() if name.end() <= start else name.start() - end
            if distance is None or d < distance:
                best, distance = name.group(), d
        found.append((start, end, best))
    return found


def _figures(totals: dict[str, int], strict: bool) -> dict[str, Any]:
    found = totals["found"] - (0 if strict else totals["ignored"])
    tp = totals["tp"]
    precision = tp / found if found else 0.0
    recall = tp / totals["gold"] if totals["gold"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    checked = totals["checked"]
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "speaker_accuracy": round(totals["right"] / checked, 4) if checked else 0.0,
        "gold_quotes": totals["gold"],
        "found_quotes": found,
        "speaker_checked": checked,
    }


def evaluate(articles: list[Article], system: System) -> dict[str, int]:
    """Summed counts of one system over the articles."""
    totals: dict[str, int] = defaultdict(int)
    for article in articles:
        for key, value in score_article(article, system(article.text)).items():
            totals[key] += value
    return dict(totals)


def run(data_dir: Path) -> dict[str, Any]:
    """Score newsbot and the quote-marks-only anchor on every dev article, in one run."""
    folder = _folder(data_dir)
    articles = load(folder)
    found = {article.text: newsbot(article.text) for article in articles}  # once, scored twice
    ours = evaluate(articles, found.__getitem__)
    anchor = evaluate(articles, quote_marks_only)
    # The same quotes scored against the gold as the set's own flag reads it (earlier runs).
    flagged = load(folder, own_flag=True)
    ours_flag = evaluate(flagged, found.__getitem__)
    anchor_flag = evaluate(flagged, quote_marks_only)
    return {
        "set": SET_NAME,
        "items": len(articles),
        "metric": METRIC,
        "systems": {
            "newsbot": _figures(ours, strict=False),
            "newsbot (partial quotes as FP)": _figures(ours, strict=True),
            "quote marks only (anchor)": _figures(anchor, strict=False),
            "newsbot, set's own direct flag": _figures(ours_flag, strict=False),
            "newsbot, set's own direct flag (partial quotes as FP)": _figures(
                ours_flag, strict=True
            ),
            "quote marks only, set's own direct flag": _figures(anchor_flag, strict=False),
        },
    }
