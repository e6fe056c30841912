"""Learn the speech-verb lexicon of direct quotations from PolNeAR's train split.

`python -m bot.eval.cue_lexicon [../shared/eval/quotes-train]` reads the split in place and
writes bot/nlp/cue_lexicon.json: for each verb lemma that annotators marked as the whole cue
of a direct quotation, in an inflected form ("fumed", "advises", "saying"), in at least
`MIN_ARTICLES` articles, its count and its inflected forms (past, participles, third person;
never the bare form, which is more often a noun: "claim", "note", "state"); and verb +
particle cues ("shot back", "chimed in"). Only lemmas and counts are written, no article
text. Needs the `lemminflect` package (the project's `eval` extra), at build time only.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bot.eval.quotes import _direct
from bot.nlp.text import word_set

OUT = Path(__file__).resolve().parents[1] / "nlp" / "cue_lexicon.json"
MIN_ARTICLES = 2
_INFLECTED = ("VBD", "VBN", "VBG", "VBZ")
_AUXILIARIES = word_set("be have do will would can could may might shall should must")
_PARTICLES = word_set("back in out on up off over along")
_WORD_RE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def _verb(word: str) -> str | None:
    """The verb lemma of a lower-case inflected verb form, else None."""
    from lemminflect import getAllLemmas

    if not word.islower():
        return None  # a name ("Trump") or a sentence's first word
    lemmas = getAllLemmas(word).get("VERB")
    if not lemmas or lemmas[0] in _AUXILIARIES or lemmas[0] == word:
        return None
    return lemmas[0]


def learn(folder: Path) -> dict[str, Any]:
    """Counts of cue lemmas (and verb + particle cues) of direct quotes, first annotator."""
    from lemminflect import getAllInflections

    rows = [json.loads(line) for line in (folder / "attributions_dev.jsonl").open()]
    annotators: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        annotators[row["article"]].add(row["annotator"])
    counts: Counter[str] = Counter()
    articles: dict[str, set[str]] = defaultdict(set)
    phrasal: Counter[tuple[str, str]] = Counter()
    phrasal_articles: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        if row["annotator"] != min(annotators[row["article"]]) or not _direct(row):
            continue
        # The cue alone ("fumed"), or with its particle ("shot back"): a longer cue ("said
        # in a statement", "gave a speech") does not say which of its words is the verb.
        words = [w for part in row["cue"] for w in _WORD_RE.findall(part["text"])]
        lemma = _verb(words[0]) if words else None
        if lemma is None:
            continue
        if len(words) == 1:
            counts[lemma] += 1
            articles[lemma].add(row["article"])
        elif len(words) == 2 and words[1] in _PARTICLES:
            phrasal[(lemma, words[1])] += 1
            phrasal_articles[(lemma, words[1])].add(row["article"])

    def forms(lemma: str) -> list[str]:
        inflections = getAllInflections(lemma, upos="VERB")
        return sorted({f for tag in _INFLECTED for f in inflections.get(tag, ())} - {lemma})

    verbs = {
        lemma: {"count": n, "forms": forms(lemma)}
        for lemma, n in counts.most_common()
        if len(articles[lemma]) >= MIN_ARTICLES
    }
    particles = {
        f"{lemma} {particle}": {"count": n, "forms": [f"{f} {particle}" for f in forms(lemma)]}
        for (lemma, particle), n in phrasal.most_common()
        if len(phrasal_articles[(lemma, particle)]) >= MIN_ARTICLES
    }
    return {
        "source": "PolNeAR train split, cues of direct quotations (first annotator)",
        "min_articles": MIN_ARTICLES,
        "verbs": verbs,
        "phrasal": particles,
    }


def main(argv: list[str] | None = None) -> int:
    """Write the lexicon learned from the split folder given (default ../shared/eval)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "../shared/eval/quotes-train")
    lexicon = learn(folder)
    OUT.write_text(json.dumps(lexicon, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(lexicon['verbs'])} verbs, {len(lexicon['phrasal'])} phrasal cues -> {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
