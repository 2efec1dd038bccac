"""Agenda-item headings of a whole-meeting file ('85. Title', 'Minute 23/45', 'Item 5:', ALL CAPS titles), told from numbered paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .heading import COUNCIL_LINE, PREAMBLE_END, WITH_DATE, title_case

FORMS = (  # (family, pattern): a family's headings share one numbering
    ("minute", re.compile(r"^(?:Minute|Min\.?)\s*(?:No\.?\s*)?(?P<num>\d{1,4}(?:/\d{1,4})?[A-Za-z]?)\b\.?\s*[:.–—-]?\s*(?P<title>.*)$", re.I)),
    ("item", re.compile(r"^Item\s+(?:No\.?\s*)?(?P<num>\d{1,3}[A-Za-z]?)\b\.?\s*[:.–—-]?\s*(?P<title>.*)$", re.I)),
    ("minute", re.compile(r"^(?P<num>\d{1,3}/\d{1,4}|\d{4}/\d{1,3})\.?(?:\s+[–—-])?\s+(?P<title>\S.*)$")),
    ("num", re.compile(r"^(?P<num>\d{1,4}[A-Za-z]?)(?:\.\s*|\s+)(?:[–—-]\s+)?(?P<title>\S.*)$")),
    ("num", re.compile(r"^(?P<num>\d{1,4}[A-Za-z]?)\.?(?P<title>)$")),
)
# Words of a sentence, not of a title: numbered paragraphs say what was noted, asked or agreed.
SENTENCE = re.compile(
    r"\b(?:noted|was|were|had|has|have|is|are|introduced|explained|asked|said|reported|confirmed|thanked|advised|stated"
    r"|highlighted|informed|welcomed|queried|responded|questioned|shared|resolved|RESOLVED|agreed|moved|seconded"
    r"|would|should|could|will|that|which)\b")
LABEL = re.compile(r"^(?:RESOLVED|AGREED|RECOMMENDED|PRESENT|ALSO PRESENT|IN ATTENDANCE|APOLOGIES:|(?:UN)?RESTRICTED ITEMS"
                   r"|EXEMPT ITEMS|PART (?:I|II|1|2|A|B)\b|MINUTES\b|NOTE:|CHAIR(?:MAN)?:|DATE:|TIME:|VENUE:)")
ACTION = re.compile(r"^(?:RESOLVED|AGREED|RECOMMENDED|Resolved|Agreed)\b")
MIN_CHAIN = {"minute": 2, "item": 2, "num": 3, "caps": 3}
MAX_GAP = 5


@dataclass
class Heading:
    """A line that may head an item: where it starts, where its body starts, its number and title."""

    start: int
    body: int
    family: str
    number: str | None
    title: str
    score: float = 1.0

    @property
    def key(self) -> tuple[int, ...]:
        parts = re.findall(r"\d+", self.number or "")
        suffix = re.search(r"[A-Za-z]$", self.number or "")
        return (*map(int, parts), ord(suffix.group(0).lower()) - 96 if suffix else 0)


def find(lines: list[str], width: int) -> list[Heading]:
    """The item headings: the best increasing chain of numbered headings, else ALL CAPS titles; [] when none convince."""
    candidates = [h for i in range(len(lines)) for h in [_numbered(lines, i, width)] if h]
    best: list[Heading] = []
    for family in ("minute", "item", "num"):
        chain = _chain([h for h in candidates if h.family == family])
        if len(chain) >= MIN_CHAIN[family] and sum(h.score for h in chain) > sum(h.score for h in best):
            best = chain
    if best:
        return best
    caps = _caps(lines, width)
    return caps if len(caps) >= MIN_CHAIN["caps"] else []


def _numbered(lines: list[str], i: int, width: int) -> Heading | None:
    line = lines[i].strip()
    if not line[:1].isdigit() and not line[:1] in "MmIi":
        return None
    for family, form in FORMS:
        m = form.match(line)
        if not m:
            continue
        title, body = m.group("title").strip(), i + 1
        if not title:  # the title stands on the next line
            j = _next_text(lines, i + 1)
            if j is None:
                return None
            title, body = lines[j].strip(), j + 1
        title, body = _wrapped_title(lines, title, body, width)
        score = _title_score(title)
        after = _next_text(lines, body)
        if score is None or after is not None and lines[after].strip()[:1].islower():
            return None  # what follows carries on the same sentence: "7. The / proposal / …" is a paragraph, not an item
        before = i == 0 or not lines[i - 1].strip()
        return Heading(i, body, family, m.group("num"), title_case(title), score + (0.5 if before else 0))
    return None


def _next_text(lines: list[str], j: int) -> int | None:
    """The next non-blank line, within two blank lines."""
    for k in range(j, min(len(lines), j + 3)):
        if lines[k].strip():
            return k
    return None


def _wrapped_title(lines: list[str], title: str, body: int, width: int) -> tuple[str, int]:
    """A long title wraps onto the next line(s): join them while the line before was full or ends mid-phrase."""
    last = title
    while body < len(lines) and lines[body].strip() and len(title.split()) < 30:
        nxt = lines[body].strip()
        full = width and len(last) >= 0.6 * width
        dangling = re.search(r"(?:\b(?:and|of|the|for|to|in|on|by|with|a|an)|[,&–—-])$", last)
        if not (full or dangling) or LABEL.match(nxt) or re.match(r"^\(?(?:\d+|[a-z])[.)]\s", nxt):
            break
        title, last, body = f"{title} {nxt}", nxt, body + 1
    return title, body


def _title_score(title: str) -> float | None:
    """How much a line reads as a title (short, capitalised, no verbs); None for a sentence or a label."""
    words = title.split()
    if not words or not (title[0].isupper() or title[0].isdigit() or title[0] in "'\"‘“(") or len(words) > 30 or ACTION.match(title):
        return None
    if title.endswith((".", ":", ";")) and len(words) > 6 or title.endswith(",") or SENTENCE.search(title):
        return None
    if not re.search(r"[A-Za-z]{3,}", title):
        return None
    capital = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha()) / len(words)
    return 1.0 + 0.5 * capital + (0.5 if len(words) <= 12 else 0.0)


def _chain(cands: list[Heading]) -> list[Heading]:
    """Highest-scoring run of headings whose numbers rise through the file by small steps (paragraph numbers restart)."""
    if not cands:
        return []
    best = [h.score for h in cands]
    prev: list[int | None] = [None] * len(cands)
    for j, h in enumerate(cands):
        for i in range(j):
            g = cands[i]
            if g.body <= h.start and _follows(g.key, h.key) and best[i] + h.score > best[j]:
                best[j], prev[j] = best[i] + h.score, i
    j: int | None = max(range(len(cands)), key=lambda k: best[k])
    out = []
    while j is not None:
        out.append(cands[j])
        j = prev[j]
    return out[::-1]


def _follows(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """b can be the next heading after a: same prefix (year of '23/45'), a number up to MAX_GAP higher or a lettered '85a'."""
    if len(a) != len(b) or a[:-2] != b[:-2]:
        return False
    if b[-2] == a[-2]:
        return b[-1] > a[-1]
    return 0 < b[-2] - a[-2] <= MAX_GAP


def _caps(lines: list[str], width: int) -> list[Heading]:
    """Unnumbered ALL CAPS titles after the heading and attendance list."""
    start = _after_preamble(lines)
    out: list[Heading] = []
    i = start
    while i < len(lines):
        line = lines[i].strip()
        letters = [c for c in line if c.isalpha()]
        if (len(letters) >= 4 and all(c.isupper() for c in letters) and len(line.split()) <= 15 and not LABEL.match(line)
                and not COUNCIL_LINE.match(line) and not WITH_DATE.match(line) and not line.endswith((":", "."))):
            title, body = line, i + 1
            while body < len(lines) and lines[body].strip().isupper() and len(title.split()) < 20:
                title, body = f"{title} {lines[body].strip()}", body + 1
            out.append(Heading(i, body, "caps", None, title_case(title)))
            i = body
            continue
        i += 1
    return out


def _after_preamble(lines: list[str]) -> int:
    """First line after the attendance block ('PRESENT: …' to the next blank line), else after the first paragraph."""
    for i, line in enumerate(lines[:80]):
        if PREAMBLE_END.match(line.strip()):
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            return j
    j = 0
    while j < len(lines) and not lines[j].strip():
        j += 1
    while j < len(lines) and lines[j].strip():
        j += 1
    return j
