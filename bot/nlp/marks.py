"""Find spans of text between quotation marks, in any of the common typographic styles.

Handles curly “…”, straight "…", single ‘…’ / '…' (mostly nested inside doubles), guillemets
«…» and »…«, German/Polish „…“ / „…”, CJK 「…」 and 『…』, and quotations that run over several
paragraphs, where by convention each new paragraph opens with the mark again and only the last
one closes. Only top-level quotations are returned; nested ones stay inside their parent's text.

Apostrophes (it's, the '90s, rock 'n' roll, students') and inch or minute marks (5'10") are the
noise of this job: an opening mark must stand at the start of a word, a closing mark at the end
of one, and a straight or single mark between letters or after a digit is never a quote mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.nlp.verbs import CUE_VERBS

# Opening mark -> the marks that can close it.
_CLOSERS: dict[str, str] = {
    "“": '”“"',  # English ”; sloppy sources close with a second “ or a straight "
    "„": "“”",  # German „…“, Polish and others „…”
    "«": "»",
    "»": "«",  # German and Danish »…«
    "「": "」",
    "『": "』",
    '"': '"”',  # sloppy sources open straight and close curly
    "”": "”",  # Swedish and Finnish ”…”
    "‘": "’‘",
    "‚": "‘’",
    "'": "'’",
    "‹": "›",
    "›": "‹",
}
DOUBLE_OPENERS = frozenset('“„«»「『"”')
_OPEN_BEFORE = frozenset("([{—–-/:;,\u00a0") | frozenset(_CLOSERS)
# Words that begin with an apostrophe, not an opening single quote.
_ELISIONS = ("n'", "n’", "tis", "twas", "em", "til", "cause", "bout", "round", "s ")
_INCH_RE = re.compile(r"\d['’′]\d{1,2}$")
_CLOSER_LATER = re.compile(r'[^\n"“”]*["”“]')  # another double mark later in the paragraph
_WORDS_AFTER = re.compile(r"[^\W\d_]+(?:[ \t]+[^\W\d_]+)?")


@dataclass(slots=True, frozen=True)
class QuoteSpan:
    """The inside of one top-level quotation (or of one paragraph of a multi-paragraph one)."""

    start: int  # first character inside the marks (leading spaces skipped)
    end: int  # one past the last character inside the marks (trailing spaces skipped)
    open_at: int  # offset of the opening mark
    close_at: int | None  # offset of the closing mark; None when the paragraph ends first
    continued: bool = False  # True when this part continues the previous paragraph's quotation
    close_len: int = 1  # 2 for typewriter doubles ('' or ``)

    @property
    def after(self) -> int:
        """Offset just after the closing mark (or the end of the text inside)."""
        return self.end if self.close_at is None else self.close_at + self.close_len


def _is_opening(text: str, i: int, mark: str) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if mark in "「『„":
        return True  # never anything but an opening mark
    # Sloppy typography glues “ to the word before it (mill.“We): “ opens all the same.
    if not (before.isspace() or before in _OPEN_BEFORE or mark == "“") or after == mark:
        return False
    if after.isspace() and mark not in "«»‹›":  # French puts a space inside guillemets
        # Sloppy typography puts a space inside: “ We … ” / " We … ," -- a double mark
        # opens when a mark that can close it follows in the paragraph.
        return mark in '“"' and _CLOSER_LATER.match(text, i + 1) is not None
    if mark in "'‘‚":
        rest = text[i + 1 : i + 6].lower()
        if after.isdigit() or rest.startswith(_ELISIONS):
            return False
    return not (mark == "”" and "“" in text)


def _is_closing(text: str, i: int, mark: str) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before.isspace() and mark not in "」』»«›‹":
        return False
    if mark in "'’\"" and _INCH_RE.search(text[max(0, i - 5) : i]):
        return False
    # A single mark with a letter right after it is an apostrophe (it's, don't).
    return not (mark in "'’‘" and (after.isalnum()))


def _glued_close(text: str, i: int, mark: str) -> bool:
    """Sloppy typography: `… for US companies ”explains the businessman.`, `… this year ”
    Berg said` -- a closing double mark with a space before it and its attribution right
    after it (a speech verb within the next two words) closes the quotation."""
    if mark not in '”»“"' or not text[i - 1 : i].isspace():
        return False
    words = _WORDS_AFTER.match(text, i + 1 + (text[i + 1 : i + 2] == " "))
    if words is None:
        return False
    return any(w.lower() in CUE_VERBS for w in words.group().split()[:2])


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer(r"\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _scan_paragraph(text: str, start: int, end: int) -> tuple[list[QuoteSpan], int | None]:
    """Top-level quotes of one paragraph, and the opening offset of one left open at its end."""
    found: list[QuoteSpan] = []
    stack: list[tuple[str, int]] = []  # (opening mark, offset)
    i = start - 1
    while i + 1 < end:
        i += 1
        ch = text[i]
        if text[i : i + 2] in ("''", "``"):  # typewriter doubles: ''Grand Bargain''
            width = 2
            if stack and stack[-1][0] == "''" and text[i] == "'" and not text[i - 1].isspace():
                opener = stack.pop()
                if not stack:
                    s, e = _trimmed(text, opener[1] + 2, i)
                    if e > s:
                        found.append(QuoteSpan(s, e, opener[1], i, close_len=width))
            elif _is_opening(text, i, "\u2018") and not text[i + 2 : i + 3].isspace():
                stack.append(("''", i))
            i += 1
            continue
        if ch not in _CLOSERS and ch not in "”’“‘」』":
            continue
        level = next(
            (k for k in range(len(stack) - 1, -1, -1) if ch in _CLOSERS.get(stack[k][0], "")), -1
        )
        inch = _INCH_RE.search(text[max(0, i - 5) : i])
        straight = level >= 0 and stack[level][0] == '"' and not inch
        if level >= 0 and (straight or _is_closing(text, i, ch) or _glued_close(text, i, ch)):
            if stack[level][0] in "'‘‚" and level == 0 and _possessive(text, i, end, ch):
                continue
            opener = stack[level]
            del stack[level:]
            if not stack:
                s, e = _trimmed(text, opener[1] + 1, i)
                if e > s:
                    found.append(QuoteSpan(s, e, opener[1], i))
            continue
        if ch in _CLOSERS and _is_opening(text, i, ch):
            stack.append((ch, i))
    if stack and (stack[0][0] in DOUBLE_OPENERS or stack[0][0] == "''"):
        return found, stack[0][1]
    return found, None


def _possessive(text: str, i: int, end: int, mark: str) -> bool:
    """A plural possessive (the students' books) with a later closing mark in the paragraph."""
    if text[i - 1] not in "sS" or not text[i + 1 : i + 3].strip(" ").islower():
        return False
    return any(_is_closing(text, j, text[j]) for j in range(i + 1, end) if text[j] in "'’")


def scan_quotes(text: str) -> list[QuoteSpan]:
    """Every top-level quotation span of the text, in order.

    A quotation left open at the end of a paragraph continues when the next paragraph starts
    with an opening mark; each paragraph's part is its own span (the later ones `continued`).
    A double quotation left open with no continuation is kept up to the paragraph's end.
    """
    spans: list[QuoteSpan] = []
    paragraphs = _paragraphs(text)
    carried = False
    for index, (p_start, p_end) in enumerate(paragraphs):
        found, open_at = _scan_paragraph(text, p_start, p_end)
        if carried and found and found[0].open_at == _first_mark(text, p_start):
            found[0] = replace(found[0], continued=True)
        spans.extend(found)
        if open_at is None:
            carried = False
            continue
        s, e = _trimmed(text, open_at + (2 if text[open_at : open_at + 2] == "''" else 1), p_end)
        next_start = paragraphs[index + 1][0] if index + 1 < len(paragraphs) else None
        continues = next_start is not None and _first_mark(text, next_start) is not None
        if e > s:
            spans.append(QuoteSpan(s, e, open_at, None, continued=carried and not found))
        carried = continues
    return spans


def _first_mark(text: str, p_start: int) -> int | None:
    """Offset of an opening double mark at the very start of a paragraph, else None."""
    i = p_start
    while i < len(text) and text[i].isspace() and text[i] != "\n":
        i += 1
    if i < len(text) and text[i] in DOUBLE_OPENERS and _is_opening(text, i, text[i]):
        return i
    return None
