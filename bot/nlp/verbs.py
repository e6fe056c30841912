"""The speech verbs: the ones newsbot started with and the forms learned from the cues of
PolNeAR's train split (cue_lexicon.json, written by bot/eval/cue_lexicon.py).

Apart from cuewords.py because the quote marks (marks.py) and the sentence splitter
(bot/nlp/text.py) need them too, and the splitter is what cuewords.py builds on.
"""

from __future__ import annotations

import json
from pathlib import Path

LEXICON = json.loads((Path(__file__).parent / "cue_lexicon.json").read_text(encoding="utf-8"))
# Inflected forms only: bare "claim", "state" or "note" are more often nouns than verbs.
_SEED = """say says said saying tell tells told telling add adds added adding explain explains
    explained continue continues continued ask asks asked write writes wrote written
    notes noted states stated declare declares declared insist insists insisted
    argue argues argued claimed claims recall recalls recalled remark remarked replied
    replies respond responds responded tweeted tweets posted announced announces warn
    warns warned acknowledged acknowledges admit admits admitted suggested suggests
    concluded predicted quipped joked shouted yelled chanted urged vowed boasted
    complained conceded emphasized emphasised stressed observed recounted testified
    exclaimed mused pleaded promised proclaimed cautioned countered retorted whispered
    muttered sighed laughed wondered demanded charged contended maintained assured
    confirmed denied reiterated asserted affirmed elaborated commented reported reports
    recalled writes cried"""
_LEARNED = {form for verb in LEXICON["verbs"].values() for form in verb["forms"]}
CUE_VERBS = frozenset(_SEED.split()) | _LEARNED
