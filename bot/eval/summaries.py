"""Summary quality on SummEval's 100 CNN/DailyMail test articles, beside published systems.

The set's text is PTB-tokenised (``it 's``, ``` `` ''```). Our summarizer receives what a user's
article looks like: the source detokenised (there are no paragraph breaks left to keep). It
returns whole sentences of that text; each is mapped back to the very PTB tokens it came from,
so every system -- ours, LEAD-3, BART, ... -- is scored on the same tokenisation, by the same
code, in the same run: ROUGE-1/2/Lsum F1 from ``rouge-score`` with stemming, against the
original highlights, with one sentence per line for ROUGE-Lsum (a sentence ends at a ``.``,
``!`` or ``?`` token, the split that reproduces the published figures of this file's systems).
"Words" counts the tokens that hold a letter or digit, the same way for every system.

The summarizer runs with the product's defaults (3 sentences, 600 characters). Its one fitted
parameter, ``CENTRALITY_WEIGHT``, was chosen on the even half of this set (items sorted by
doc_id) and nothing else was tuned on it; see ``bot/summarize/extractive.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from statistics import fmean
from typing import Any

from bot.summarize.extractive import summarize_text


def _word_set(spec: str) -> frozenset[str]:
    return frozenset(spec.split())


SET_NAME = "summaries"
FILE_NAME = "summeval_cnndm_test100.jsonl"
METRIC = "ROUGE-1/2/Lsum F1 x100 (rouge-score, stemmed) vs original highlights"
SENTENCES = 3  # LEAD-3's length, the product's default
MAX_CHARS = 600  # the product's default
ANCHORS = {
    "M0": "M0 (LEAD-3)",
    "M1": "M1 (NEUSUM)",
    "M2": "M2 (BanditSum)",
    "M5": "M5 (RNES)",
    "M22": "M22 (BART)",
    "M23": "M23 (Pegasus)",
}
_FIGURES = ("rouge1", "rouge2", "rougeLsum")
_SENTENCE_END = re.compile(r"(?<= [.!?]) ")

# PTB tokens glued to the token before or after them when detokenising.
_GLUE_LEFT = _word_set(". , ; : ? ! % ) ] } '' ' ’ ... n't 's 're 'm 'll 've 'd")
_GLUE_RIGHT = _word_set("( [ { `` ` ‘ $ £ € # @")
_AFTER_APOSTROPHE = _word_set("s re ll ve d m t")  # "club ’ s" -> "club’s"
_REPLACE = {"``": "“", "''": "”", "`": "‘"}


def detokenize(ptb: str) -> tuple[str, list[tuple[int, int]]]:
    """Readable text from PTB tokens, and each token's (start, end) in that text."""
    tokens = ptb.split()
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    length = 0
    glue_next = True
    quote_open = False  # a single quote ('Just ... ,') is open
    for i, token in enumerate(tokens):
        lower = token.lower()
        previous = tokens[i - 1] if i else ""
        glue = glue_next or lower in _GLUE_LEFT
        if previous == "’" and lower in _AFTER_APOSTROPHE:
            glue = True
        if lower == "na" and previous.lower() in ("gon", "wan"):
            glue = True
        opens = False
        if token == "'":
            # The Daily Mail's quotes: the opening one is usually glued to its word and the
            # closing one stands alone; a lone one after ":" or a stop opens a quote.
            opens = not quote_open and previous in ("", ":", ".", "?", "!")
            glue = glue_next or not opens
            quote_open = opens
        elif token[:1] == "'" and token[1:2].isalpha() and lower not in _GLUE_LEFT:
            quote_open = True
        if not glue:
            parts.append(" ")
            length += 1
        shown = _REPLACE.get(token, token)
        parts.append(shown)
        offsets.append((length, length + len(shown)))
        length += len(shown)
        glue_next = token in _GLUE_RIGHT or opens
    return "".join(parts), offsets


def ptb_of(sentences: list[str], text: str, offsets: list[tuple[int, int]], ptb: str) -> str:
    """The PTB tokens behind sentences taken verbatim, in order, from ``detokenize(ptb)``."""
    tokens = ptb.split()
    pieces: list[str] = []
    position = 0
    for sentence in sentences:
        start = text.index(sentence, position)
        end = start + len(sentence)
        position = end
        pieces.extend(t for t, (a, b) in zip(tokens, offsets, strict=True) if a < end and b > start)
    return " ".join(pieces)


def lines(summary: str) -> str:
    """One sentence per line, as ROUGE-Lsum wants: a sentence ends at a . ! or ? token."""
    return _SENTENCE_END.sub("\n", summary.strip())


def words(summary: str) -> int:
    """Tokens holding a letter or digit (punctuation tokens are not words)."""
    return sum(1 for token in summary.split() if any(c.isalnum() for c in token))


def newsbot(ptb: str, sentences: int = SENTENCES, max_chars: int = MAX_CHARS) -> str:
    """Our summary of a PTB-tokenised article, as the PTB tokens of the chosen sentences."""
    text, offsets = detokenize(ptb)
    chosen = summarize_text(text, sentences=sentences, max_chars=max_chars)
    return ptb_of(chosen, text, offsets, ptb)


def lead(ptb: str, sentences: int = SENTENCES) -> str:
    """The first sentences by our sentence splitter: LEAD-3 with newsbot's splitting."""
    from bot.nlp.text import split_sentences

    text, offsets = detokenize(ptb)
    return ptb_of(split_sentences(text)[:sentences], text, offsets, ptb)


def load(data_dir: Path) -> list[dict[str, Any]]:
    """The set's items; ``data_dir`` is shared/eval or the summaries folder itself."""
    for folder in (data_dir / SET_NAME, data_dir):
        path = folder / FILE_NAME
        if path.is_file():
            with path.open(encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
    raise FileNotFoundError(f"{SET_NAME}: no {FILE_NAME} in {data_dir} or {data_dir / SET_NAME}")


def score(items: list[dict[str, Any]], outputs: list[str]) -> dict[str, float]:
    """Mean ROUGE F1 x100 of ``outputs`` against each item's original highlights, and words."""
    from rouge_score import rouge_scorer, tokenizers

    # The default tokenizer, passed explicitly so that rouge-score does not log its choice.
    tokenizer = tokenizers.DefaultTokenizer(use_stemmer=True)
    scorer = rouge_scorer.RougeScorer(list(_FIGURES), use_stemmer=True, tokenizer=tokenizer)
    totals = dict.fromkeys(_FIGURES, 0.0)
    for item, output in zip(items, outputs, strict=True):
        result = scorer.score(lines(item["reference"]), lines(output))
        for figure in _FIGURES:
            totals[figure] += result[figure].fmeasure
    figures = {f: round(100 * totals[f] / len(items), 2) for f in _FIGURES}
    return {**figures, "words": round(fmean(words(o) for o in outputs), 1)}


def run(data_dir: Path) -> dict[str, Any]:
    """Score newsbot and the file's anchor systems on the whole set, in one run."""
    items = load(data_dir)
    outputs = {
        "newsbot": [newsbot(item["source"]) for item in items],
        "lead-3 (newsbot sentences)": [lead(item["source"]) for item in items],
    }
    for key, name in ANCHORS.items():
        outputs[name] = [item["systems"][key]["summary"] for item in items]
    return {
        "set": SET_NAME,
        "items": len(items),
        "metric": METRIC,
        "systems": {name: score(items, texts) for name, texts in outputs.items()},
    }
