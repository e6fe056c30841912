"""Organisation cues: what in a text says that a capitalised name is an organisation.

They find organisations nobody configured (find_orgs), each cue next to a capitalised name:

* a legal form or a group word after it: "Zephyr Robotics Inc.", "BYD Co., Ltd.", "Acme Holdings";
* "the X company": "the Acme company";
* "X's chief executive" (also CEO, CFO, founder, chairman): "Foo's chief executive".

"X's spokesperson" is a weak cue, since people have spokespeople too ("Biden's spokesman"): the
caller keeps such a name only when a strong cue names it as well. Names come back clean ("Acme
Robotics Inc." -> "Acme Robotics"); generic ones ("The Group", "Holdings", "Working Group") and
places ("the Chinese company", "Hong Kong's chief executive") are skipped.

They also confirm an ambiguous known name (corporate_cue): a corporate word nearby ("shares",
"CEO", "profit") or a corporate verb right after a standalone name ("Amazon said", not "Harrison
Ford said"). Nothing here knows the gazetteer: bot.nlp.companies maps names to companies.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

_LEGAL = (
    r"(?:Inc|Corp|Co|Ltd|Pty|Pte|Bhd)\.?|Incorporated|Corporation|Company|Limited|LLC|L\.L\.C\."
    r"|LLP|PLC|plc|AG|SA|S\.A\.|SE|NV|N\.V\.|BV|B\.V\.|GmbH|KGaA|Oyj|ASA|A/S|S\.p\.A\.|SpA|PBC"
)
_GAP = r"[^\S\r\n]+"  # spaces, never a line break: a name does not run from a headline into text
_TOKEN = (
    rf"(?!(?:{_LEGAL})(?![\w&]))"
    r"(?:(?:[A-Z]\.){2,}"  # U.S.
    r"|[A-Z][\w&\-]*(?:['’][A-Z][\w&\-]*)?(?:\.(?:com|net|io|ai))?"  # Acme, O'Reilly, JD.com
    rf"(?:['’]s(?={_GAP}(?:{_LEGAL})(?![\w&])))?"  # McDonald's Corp.
    r"|[a-z]{1,2}[A-Z][\w&\-]*|\d+[A-Z][\w\-]*)"  # eBay, 3M
)
_NAME = rf"(?P<name>{_TOKEN}(?:{_GAP}(?:&{_GAP})?{_TOKEN}){{0,5}})"
_SUFFIXED = re.compile(rf"(?<![\w&.]){_NAME}(?P<legal>(?:,?{_GAP}(?:{_LEGAL})(?![\w&]))+)?")
_THE_COMPANY = re.compile(rf"(?<!\w)[Tt]he{_GAP}{_NAME}{_GAP}company(?!\w)")
_POSSESSIVE = re.compile(
    rf"(?<![\w&.]){_NAME}['’]s{_GAP}(?P<role>chief executive|chief financial officer|CEO|CFO|COO"
    r"|CTO|co-founder|founder|chairman|chairwoman|spokesperson|spokesman|spokeswoman)(?!\w)"
)
_WEAK_ROLES = frozenset({"spokesperson", "spokesman", "spokeswoman"})
# Two-letter legal forms double as abbreviations: "New York AG Letitia James", "Co Durham".
_SHORT_LEGAL = frozenset({"AG", "SA", "SE", "NV", "BV", "Co"})
_NEXT_CAPITALISED = re.compile(rf"{_GAP}[A-Z][a-z]")
_TOKENS = re.compile(r"\S+")
_QUALIFIER = re.compile(r"-(?:based|listed|owned|backed|headquartered|registered)$")
_LEGAL_TAIL = re.compile(rf"(?:,?\s+(?:{_LEGAL}))+\s*$", re.IGNORECASE)


def _set(words: str, separator: str | None = None) -> frozenset[str]:
    return frozenset(word.strip() for word in words.split(separator))


GROUP_WORDS = _set(
    "Group Holdings Holding Technologies Industries Enterprises Labs Ventures Partners Capital"
)

# Capitalised words that start a sentence or qualify a name but are never the name itself.
LEADING = _set(
    """The A An And But Or So Yet If When While As At By For From In Into Of On To With After
    Before Since Until During Despite Although Though Because However Meanwhile Also Even Only
    Still Now Then Here There This That These Those Its It Their Our His Her My Your We They He
    She Why How What Who Where Which Yesterday Today Tomorrow Last Next Earlier Later Shares
    Investors Analysts Rival Rivals Officials Chipmaker Automaker Carmaker Retailer Startup Both
    Each Every All Many Some Several Other Under Over Amid Among Between Including Like Unlike
    Against Per Via Mr Mrs Ms Dr Former Parent Unit Chief Executive CEO Founder President Monday
    Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
    August September October November December"""
)
_GENERIC = LEADING | _set(
    """Working Research Study Contact Advisory Action Expert Support Focus Interest Pressure Lobby
    Trade Industry Investment Investor Media Financial Consumer Rights Advocacy Opposition
    Parliamentary Political Terror Militant Rebel Ethnic Age Peer User Users Family Global
    International National World New First Second Third Emerging Advanced Digital Same Venture
    Private Equity General United"""
)
# Places and nationalities, which take the same cues: "the Chinese company", "Britain's CEO".
_PLACES = _set(
    """US|U.S.|USA|UK|U.K.|EU|America|American|Britain|British|England|English|China
    |Chinese|Japan|Japanese|Korea|Korean|South Korea|South Korean|Taiwan|Taiwanese|Hong Kong|Macau
    |India|Indian|Germany|German|France|French|Italy|Italian|Spain|Spanish|Dutch|Netherlands|Swiss
    |Switzerland|Sweden|Swedish|Finland|Finnish|Norway|Norwegian|Denmark|Danish|Ireland|Irish
    |Belgium|Belgian|Austria|Austrian|Poland|Polish|Russia|Russian|Ukraine|Ukrainian|Turkey
    |Turkish|Israel|Israeli|Saudi|Saudi Arabia|Qatar|Qatari|Emirati|UAE|Iran|Iranian|Canada
    |Canadian|Mexico|Mexican|Brazil|Brazilian|Argentina|Argentine|Chile|Chilean|Australia
    |Australian|Singapore|Singaporean|Indonesia|Indonesian|Vietnam|Vietnamese|Thailand|Thai
    |Malaysia|Malaysian|Philippines|Filipino|Africa|African|South Africa|South African|Nigeria
    |Nigerian|Kenya|Kenyan|Egypt|Egyptian|Europe|European|Asia|Asian|Western|Eastern|Northern
    |Southern|Silicon Valley|Wall Street|California|Texas|Florida|Washington|New York|Delaware
    |Massachusetts|Michigan|Ohio|Illinois|Nevada|Arizona|Georgia|Virginia|Oregon|Idaho|Seattle
    |San Francisco|San Jose|Santa Clara|Cupertino|Redmond|Mountain View|Menlo Park|Palo Alto
    |Austin|Boston|Chicago|Detroit|Dearborn|Los Angeles|San Diego|Irvine|Portland|Denver|Dallas
    |Houston|Atlanta|Miami|Pittsburgh|Armonk|Bentonville|Omaha|Cambridge|Oxford|Milan|Rome|Madrid
    |Vienna|Oslo|Helsinki|Copenhagen|Warsaw|Tel Aviv|Bangkok|Jakarta|Guangzhou|Dongguan|Hefei
    |Beijing|Shanghai|Shenzhen|Hangzhou
    |Tokyo|Osaka|Seoul|Taipei|Hsinchu|London|Paris|Berlin|Munich|Frankfurt|Stuttgart|Amsterdam
    |Stockholm|Zurich|Geneva|Dublin|Brussels|Moscow|Dubai|Riyadh|Mumbai|Bangalore|Sydney
    |Toronto|Nasdaq|NYSE|Fortune""",
    "|",
)

_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_SENTENCE_END = re.compile(r"[.!?。！？](?=[\s\"”’)]|$)|\n")
_PREVIOUS_WORD = re.compile(r"(\S+)[^\S\r\n]+$")
_CORPORATE = re.compile(
    r"(?i:(?<!\w)(?:shares?|share price|stocks?|shareholders?|investors?|CEO|chief executive"
    r"|executives?|chairman|founder|earnings|revenues?|profits?|sales|quarterly|fiscal|IPO"
    r"|acquisitions?|acquired|merger|subsidiary|startup|company|companies|firm|brand|valuation"
    r"|market value|layoffs)(?!\w))|公司|集团|股价|股份|股票|财报|营收|利润|手机|发布|首席执行官"
)
_VERB = re.compile(
    r"[^\S\r\n]+(?i:said|says|announced|announces|reported|reports|launched|launches|unveiled"
    r"|unveils|posted|plans|planned|agreed|agrees|confirmed|denied|declined|shipped|sold|bought"
    r"|acquired|hired|sued|expects|raised|invested|released|cut|cuts)(?!\w)"
)
_COMPOUND = re.compile(
    r"-(?!(?:owned|backed|based|made|designed|led|branded|funded|built|powered|operated|listed"
    r"|run|related|supplied|affiliated|controlled|sponsored|developed)(?!\w))[a-z]"
)


class Passage:
    """A title or a text, with word offsets computed on first need."""

    def __init__(self, text: str, in_title: bool) -> None:
        self.text, self.in_title = text, in_title
        self._starts: list[int] | None = None
        self._ends: list[int] = []

    def window(self, start: int, end: int, words: int, sentence: bool = False) -> tuple[int, int]:
        """The span from `words` words before [start, end) to `words` after, or to the sentence."""
        if self._starts is None:
            spans = [m.span() for m in _WORD.finditer(self.text)]
            self._starts, self._ends = [s for s, _ in spans], [e for _, e in spans]
        before = bisect_left(self._starts, start) - words
        after = bisect_left(self._starts, end) + words - 1
        lo = self._starts[before] if before >= 0 else 0
        hi = self._ends[after] if after < len(self._ends) else len(self.text)
        if sentence:
            for match in _SENTENCE_END.finditer(self.text, lo, start):
                lo = match.end()
            match = _SENTENCE_END.search(self.text, end, hi)
            hi = match.start() if match else hi
        return lo, hi

    def shouted(self, start: int, end: int) -> bool:
        """Whether the words around [start, end) are all capitals, as in a shouted headline."""
        lo, hi = self.window(start, end, 3)
        words = _LETTERS.findall(self.text, lo, start) + _LETTERS.findall(self.text, end, hi)
        return bool(words) and all(word.isupper() for word in words)

    def word_before(self, start: int) -> str:
        """The word before `start` on the same line, or ""."""
        match = _PREVIOUS_WORD.search(self.text, max(0, start - 40), start)
        return match.group(1) if match else ""


def in_compound(text: str, end: int) -> bool:
    """Whether a name ending at `end` opens a hyphenated word ("Meta-analysis"), unless a
    corporate one ("Apple-designed")."""
    return _COMPOUND.match(text, end) is not None


def corporate_cue(passage: Passage, start: int, end: int, lo: int, hi: int) -> bool:
    """Whether a name at [start, end) reads as a company: a corporate word in [lo, hi), or a
    corporate verb right after a name that is not the end of a longer one ("Harrison Ford")."""
    if _CORPORATE.search(passage.text, lo, hi):
        return True
    before = passage.word_before(start)
    in_name = before[:1].isupper() and before[-1] not in '.!?:;,"”)' and before not in LEADING
    return not in_name and _VERB.match(passage.text, end) is not None


@dataclass(frozen=True, slots=True)
class OrgSpan:
    """An organisation named by a cue: its clean name and the span of the cued phrase."""

    name: str
    start: int
    end: int
    strong: bool  # False for the spokesperson cue alone


def strip_legal(name: str) -> str:
    """The name without legal forms at its end: "Huawei Technologies Co., Ltd." -> "Huawei
    Technologies"."""
    return _LEGAL_TAIL.sub("", name).strip(" ,")


def strip_group_word(name: str) -> str:
    """The name without a trailing group word: "Lenovo Group" -> "Lenovo"; else unchanged."""
    words = name.split()
    return " ".join(words[:-1]) if len(words) > 1 and words[-1] in GROUP_WORDS else name


def _clean(match: re.Match[str]) -> tuple[list[str], int] | None:
    """The name's words after dropping sentence words before it, and where the name starts."""
    tokens = list(_TOKENS.finditer(match["name"]))
    while tokens and (
        tokens[0].group() in LEADING
        or tokens[0].group() == "&"
        or _QUALIFIER.search(tokens[0].group())
    ):
        tokens.pop(0)
    words = [t.group() for t in tokens]
    if not words or " ".join(words) in _PLACES:
        return None
    if all(w in _GENERIC or w in GROUP_WORDS for w in words):
        return None
    return words, match.start("name") + tokens[0].start()


def org_mentions(name: str, text: str, short: bool = True) -> list[int]:
    """Offsets where `text` names an organisation: by its full name or, when `short`, by its
    first word standing alone ("Kestrel's shares" for "Kestrel Simulation"), unless that word is
    generic ("General Electric") or a place."""
    words = name.split()
    pattern = r"\s+".join(map(re.escape, words)) + r"(?![\w&])"
    first = words[0]
    distinctive = first not in _GENERIC and first not in _PLACES and first not in GROUP_WORDS
    if short and distinctive and len(words) > 1 and len(first) > 2 and first[0].isupper():
        pattern += rf"|{re.escape(first)}(?![\w&]|[^\S\r\n]+[A-Z])"
    return [match.start() for match in re.finditer(rf"(?<![\w&])(?:{pattern})", text)]


def _written_as_place(name: str, text: str) -> bool:
    """Whether the text also writes the name as a place: "San Jose-based", "based in Lyon"."""
    escaped = re.escape(name)
    return re.search(rf"(?<!\w){escaped}-based|based in {escaped}(?!\w)", text) is not None


def find_orgs(text: str) -> list[OrgSpan]:
    """Organisations named by a cue in `text`, in order of appearance (a name may repeat)."""
    found: list[OrgSpan] = []
    for match in _SUFFIXED.finditer(text):
        legal = match["legal"]
        if legal is None and match["name"].rsplit(None, 1)[-1] not in GROUP_WORDS:
            continue
        short = legal is not None and legal.strip(" ,.") in _SHORT_LEGAL
        if short and _NEXT_CAPITALISED.match(text, match.end()):
            continue
        cleaned = _clean(match)
        if cleaned is None or (legal is None and len(cleaned[0]) < 2):
            continue
        found.append(OrgSpan(" ".join(cleaned[0]), cleaned[1], match.end(), True))
    for pattern in (_THE_COMPANY, _POSSESSIVE):
        for match in pattern.finditer(text):
            cleaned = _clean(match)
            if cleaned is None or _written_as_place(" ".join(cleaned[0]), text):
                continue
            strong = match.groupdict().get("role") not in _WEAK_ROLES
            found.append(OrgSpan(" ".join(cleaned[0]), cleaned[1], match.end(), strong))
    found.sort(key=lambda org: org.start)
    return found
