"""Direct quotations of an article, who said them, and which are worth showing.

`find_quotes` returns every direct quotation in order: its text is exactly the words between
the marks (quotemarks.py), never altered, with the character offset where they start; only a
final comma, which leads into the attribution (“…growing,” he said), is left out. One
sentence quoted in two parts around its attribution (“If we stop…,” she said, “we lose
both.”) is one Quote whose text joins the parts with " … " (the ellipsis marks the cut), with
each part's offsets in `Quote.parts`. Two sentences around an attribution (“A,” he said.
“B.”) and the paragraphs of a quotation that runs over several paragraphs stay separate
quotes with the same speaker.

The speaker comes from the cue next to the quotation (cues.py), in this order: right after it
(“…,” Smith said), before it in the same sentence (Smith said: “…”), later in the sentence,
or the sentence ending with a colon just before it; after a quotation that ends with a comma,
a past-tense verb outside the learned lexicon is a cue too (“…,” Toomey fumed). A quotation
with no cue of its own takes the speaker of the quotation it continues: the previous
paragraph's part, the other part of a split quotation, the quotation just before it in the
paragraph, or the attributed quotation that ends the paragraph before. Phrases are resolved to the
fullest name by speakers.py. Scare quotes and titles (a one- or two-word “term”, “The Crown”, a
quoted fragment inside a sentence with no speech verb) are not quotations of a person.

`key_quotes` picks the most newsworthy: attributed to a named speaker, a whole statement of
about 8-40 words, earlier in the article a little better, and distinct speakers first; never
the same statement twice (`same_statement`: one's words run inside the other's, as when two
reports of a story quote it in full and in part) nor one that the summary's sentences already
show. `merge_quotes` keeps one quote per statement across the articles of a story.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from bot.models import Quote
from bot.nlp.marks import QuoteSpan, scan_quotes
from bot.nlp.quotes.cues import Attribution, attribution_after, attribution_before, introduced_by
from bot.nlp.quotes.links import Found, inherit, split_quote
from bot.nlp.quotes.speakers import SpeakerResolver
from bot.nlp.text import sentence_ends, word_set

_WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*")
_SMALL_WORDS = word_set("a an and as at but by for in of on or the to vs with from")
_SAME_MIN_WORDS = 3  # a shorter run of words inside another quote may be a different statement


def find_quotes(text: str) -> list[Quote]:
    """Every direct quotation of the text, in order of appearance, with its speaker."""
    spans = scan_quotes(text)
    if not spans:
        return []
    opens = [s.open_at for s in spans]
    ends = [e for e in sentence_ends(text) if not _inside_quote(spans, opens, e)]
    starts = [0, *ends]
    resolver = SpeakerResolver(text, [(s.start, s.end) for s in spans], starts)
    found = [_attribute(text, spans, k, ends, resolver) for k in range(len(spans))]
    inherit(text, found)
    quotes: list[Quote] = []
    joins_previous = False
    for k, item in enumerate(found):
        if joins_previous:  # the second half of a split quotation, already in the quote
            joins_previous = False
            continue
        nxt = found[k + 1] if k + 1 < len(found) else None
        if nxt is not None and split_quote(text, item, nxt) and _is_quotation(text, item):
            quotes.append(_joined(text, item, nxt))
            joins_previous = True
            continue
        if not _is_quotation(text, item):
            continue
        start, end = item.span.start, item.span.end
        words = len(_WORD_RE.findall(text[start:end]))
        # “…growing,” he said: the comma belongs to the sentence around the quote.
        trimmed = text[start:end].rstrip(",").rstrip()
        quote = Quote(text=trimmed or text[start:end], speaker=item.speaker, start=start)
        quote.score = newsworthiness(quote, words, len(text), led_on=len(trimmed) < end - start)
        quotes.append(quote)
    return quotes


def _joined(text: str, first: Found, second: Found) -> Quote:
    """One Quote of a split quotation: its parts joined with " … ", their offsets kept."""
    a_end = first.span.start + len(text[first.span.start : first.span.end].rstrip(",").rstrip())
    a, b = text[first.span.start : a_end], text[second.span.start : second.span.end]
    words = len(_WORD_RE.findall(a)) + len(_WORD_RE.findall(b))
    quote = Quote(
        text=f"{a} … {b}",
        speaker=first.speaker or second.speaker,
        start=first.span.start,
        parts=((first.span.start, a_end), (second.span.start, second.span.end)),
    )
    quote.score = newsworthiness(quote, words, len(text))
    return quote


def _attribute(
    text: str, spans: list[QuoteSpan], k: int, ends: list[int], resolver: SpeakerResolver
) -> Found:
    span = spans[k]
    para_start = text.rfind("\n", 0, span.open_at) + 1
    para_end = text.find("\n", span.after)
    para_end = len(text) if para_end < 0 else para_end
    prev_end = spans[k - 1].after if k > 0 else 0
    next_open = spans[k + 1].open_at if k + 1 < len(spans) else len(text)
    i = bisect.bisect_right(ends, span.open_at)
    sentence_start = ends[i - 1] if i > 0 else 0
    before_start = max(sentence_start, prev_end, para_start)
    j = bisect.bisect_left(ends, span.after)
    sentence_end = ends[j] if j < len(ends) else len(text)
    after_end = min(sentence_end, next_open, para_end)
    standalone = not _WORD_RE.search(text[max(sentence_start, para_start) : span.open_at])

    attribution = None
    led_on = text[span.end - 1] in ",?!"  # “…,” Toomey fumed: leads into its attribution
    if after_end > span.after:
        attribution = attribution_after(text, span.after, after_end, True, led_on=led_on)
    elif text[span.end - 1] in "?!":
        # “Why?” Smith asked. -- the attribution follows a question or exclamation.
        stop = ends[j + 1] if j + 1 < len(ends) else len(text)
        attribution = attribution_after(text, span.after, min(stop, next_open, para_end), True)
    if attribution is None and before_start < span.open_at:
        attribution = attribution_before(text, before_start, span.open_at)
    if attribution is None and after_end > span.after:
        attribution = attribution_after(text, span.after, after_end, strict=False)
    if attribution is None and standalone and para_start == before_start and para_start > 0:
        attribution = _colon_intro(text, para_start, ends)
    introduced = text[before_start : span.open_at].rstrip().endswith(":")
    if attribution is None and introduced:
        attribution = introduced_by(text, before_start, span.open_at)
    speaker = None
    if attribution is not None and attribution.speaker is not None:
        speaker = resolver.resolve(attribution.speaker, attribution.speaker.start)
    return Found(span, attribution, speaker, standalone, introduced)


def _inside_quote(spans: list[QuoteSpan], opens: list[int], at: int) -> bool:
    """Whether `at` lies strictly between a quotation's opening mark and its end."""
    k = bisect.bisect_left(opens, at) - 1
    return k >= 0 and at < spans[k].after


def _colon_intro(text: str, para_start: int, ends: list[int]) -> Attribution | None:
    """Smith said:¶“…” -- the previous paragraph ends with a colon that introduces the quote."""
    prev_end = para_start
    while prev_end > 0 and text[prev_end - 1].isspace():
        prev_end -= 1
    if not prev_end or text[prev_end - 1] != ":":
        return None
    i = bisect.bisect_right(ends, prev_end - 1)
    start = max(ends[i - 1] if i > 0 else 0, text.rfind("\n", 0, prev_end) + 1)
    return attribution_before(text, start, prev_end)


def _is_quotation(text: str, item: Found) -> bool:
    """False for scare quotes, terms and titles: the quotation of a person has a speaker cue,
    continues one, or stands as a statement of its own."""
    inner = text[item.span.start : item.span.end]
    words = _WORD_RE.findall(inner)
    if not words:
        return False
    # “Oh, God,” Biden said / he said: “Any.” -- punctuated speech next to its cue, that opens
    # its sentence or follows a colon (not a title: On “Face the Nation,” Sanders said).
    speech = item.standalone or item.introduced or not _title_like(words)
    if item.attribution is not None and item.attribution.adjacent and inner[-1] in ".?!,":
        return speech and item.attribution.speaker is not None
    if _title_like(words) and not item.standalone:
        return False
    if item.attribution is not None:
        return len(words) > 2 or item.attribution.adjacent
    if len(words) <= 2 or _title_like(words):
        return False
    return item.standalone or item.introduced


def _title_like(words: list[str]) -> bool:
    """“The Crown”, “Make America Great Again”, “Christian”: every word capitalised."""
    return all(w[0].isupper() or w.lower() in _SMALL_WORDS for w in words)


def newsworthiness(quote: Quote, words: int, text_length: int, *, led_on: bool = False) -> float:
    """Score of a quote for a digest: named speaker, 8-40 words, a whole statement, early.

    `led_on` says the quote ended with a comma into its attribution, which was left out."""
    if words < 8:
        length = words / 8
    elif words <= 40:
        length = 1.0
    else:
        length = max(0.3, 40 / words)
    speaker = 1.0 if quote.speaker else 0.3
    stripped = quote.text.strip()
    whole = stripped[:1].isupper() and (led_on or stripped[-1:] in ".?!,…")
    fragment = 1.0 if whole else 0.6
    position = 1.0 - 0.25 * (quote.start / text_length if text_length else 0.0)
    return round(length * speaker * fragment * position, 4)


def key_quotes(quotes: list[Quote], limit: int = 2, shown: Iterable[str] = ()) -> list[Quote]:
    """The most newsworthy quotes, attributed ones first, one per speaker before any second;
    never two of one statement, nor one that a sentence of `shown` (the summary) contains."""
    ranked = sorted(quotes, key=lambda q: (q.speaker is not None, q.score), reverse=True)
    taken = [_words(sentence) for sentence in shown]
    chosen: list[Quote] = []
    speakers: set[str | None] = set()
    for pass_distinct in (True, False):
        for quote in ranked:
            if len(chosen) >= limit:
                return chosen
            words = _words(quote.text)
            if quote in chosen or any(_same(words, _words(c.text)) for c in chosen):
                continue
            if any(_within(words, sentence) for sentence in taken):
                continue
            if pass_distinct and quote.speaker in speakers:
                continue
            chosen.append(quote)
            speakers.add(quote.speaker)
    return chosen


def merge_quotes(quotes: Iterable[Quote]) -> list[Quote]:
    """One quote per statement, in order of first appearance: the fuller wording is kept, with
    its own speaker, else the other's. Syndicated copies repeat quotes, and two reports of a
    story quote one statement in full (“We're proud of…”) and in part (said it was “proud of…”)."""
    kept: list[Quote] = []
    kept_words: list[tuple[str, ...]] = []
    absorbed: set[int] = set()  # statements that a fuller wording found later holds
    # A statement inside another shares its first _SAME_MIN_WORDS words with one of the other's
    # runs of as many words: index both, so a story of many articles is not compared pairwise.
    runs: dict[tuple[str, ...], set[int]] = defaultdict(set)
    heads: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for quote in quotes:
        words = _words(quote.text)
        candidates = runs.get(_head(words), set()).union(*(heads.get(g, ()) for g in _runs(words)))
        same = sorted(i for i in candidates - absorbed if _same(words, kept_words[i]))
        if not same:
            same = [len(kept)]
            kept.append(quote)
            kept_words.append(words)
        k = same[0]
        speaker = next((kept[i].speaker for i in same if kept[i].speaker), quote.speaker)
        if len(words) > len(kept_words[k]):  # the fuller wording, where the first one stood
            kept[k] = replace(quote, speaker=quote.speaker or speaker)
            kept_words[k] = words
            absorbed.update(same[1:])  # it may hold two statements kept apart so far
        elif kept[k].speaker is None and speaker is not None:
            kept[k] = replace(kept[k], speaker=speaker)
        heads[_head(kept_words[k])].add(k)
        for gram in _runs(kept_words[k]):
            runs[gram].add(k)
    return [q for i, q in enumerate(kept) if i not in absorbed]


def same_statement(a: str, b: str) -> bool:
    """Whether two quotes are one statement: the words of one run inside the other's."""
    return _same(_words(a), _words(b))


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower().replace("’", "'") for w in _WORD_RE.findall(text))


def _head(words: tuple[str, ...]) -> tuple[str, ...]:
    """The first _SAME_MIN_WORDS words; a shorter quote whole (it only ever equals another)."""
    return words[:_SAME_MIN_WORDS]


def _runs(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Every run of _SAME_MIN_WORDS words, and a shorter quote whole."""
    n = _SAME_MIN_WORDS
    if len(words) < n:
        return {words}
    return {words[i : i + n] for i in range(len(words) - n + 1)}


def _same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if len(a) > len(b):
        a, b = b, a
    return a == b or (len(a) >= _SAME_MIN_WORDS and _within(a, b))


def _within(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """The words of `part` run, in order and together, inside `whole`."""
    n = len(part)
    if not n or n > len(whole):
        return False
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))
