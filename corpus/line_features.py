"""What each line of a whole-meeting file looks like (numbering and its form, case, length, position, markup, the
lines around it): the features the item-heading classifier weighs, so no single form decides alone."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property

from .heading import COUNCIL_LINE, PREAMBLE_END, WITH_DATE

# Markdown escapes ("2\. Apologies"), emphasis, heading and table marks: markup, read as features and then dropped.
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
EMPHASIS = re.compile(r"^(?:#{1,6}\s+|>\s*)|\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)|^\||\|$")
# The numbering a line opens with, in any of the forms councils write: "85.", "85", "1.Title", "Minute 23/45",
# "Min. 12", "Item 5:", "23/45", "2016/07", "5)", "(5)"; the title follows, or stands on the next line.
NUMBERING = re.compile(
    r"^(?P<lead>(?:Minute|Min\.?|Item|Agenda\s+item)\s*(?:No\.?\s*)?)?\(?(?P<num>\d{1,4}/\d{1,3}(?!\d)|\d{1,4}[A-Za-z]?(?![\d/]))"
    r"(?P<sep>\.\)?|\)|:|\s*[–—-](?=\s))?(?P<gap>\s*)(?P<title>.*)$", re.I)
DECIMAL = re.compile(r"^\d{1,3}\.\d{1,3}\b")
LETTERED = re.compile(r"^\(?(?:[a-z]|i{1,3}|iv|vi{0,3}|ix|x)[.)]\s", re.I)
BULLET = re.compile(r"^[·•▪●◦‣∙*\-–—]\s")
SENTENCE = re.compile(
    r"\b(?:noted|was|were|had|has|have|is|are|introduced|explained|asked|said|reported|confirmed|thanked|advised|stated"
    r"|highlighted|informed|welcomed|queried|responded|questioned|shared|resolved|RESOLVED|agreed|moved|seconded"
    r"|would|should|could|will|that|which)\b")
LABEL = re.compile(r"^(?:RESOLVED|AGREED|RECOMMENDED|PRESENT|ALSO PRESENT|IN ATTENDANCE|APOLOGIES:|(?:UN)?RESTRICTED ITEMS"
                   r"|EXEMPT ITEMS|PART (?:I|II|1|2|A|B)\b|MINUTES\b|NOTE:|CHAIR(?:MAN)?:|DATE:|TIME:|VENUE:)")
ACTION = re.compile(r"^(?:And\s+)?(?:RESOLVED|AGREED|RECOMMENDED|Resolved|Agreed|Proposed|Seconded|Carried|It was)\b", re.I)
MONTH = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?,?\s+\d{4}\b", re.I)
FORMS = ("minute", "item", "slash", "num")
MAX_WORDS = 30
WORD = re.compile(r"[A-Za-z]{3}")
INLINE_COLON = re.compile(r"^[^:]{3,60}:\s+\S")


def plain(line: str) -> str:
    """A line without markdown escapes and emphasis: what a reader sees."""
    text = line.strip()
    if any(c in text for c in "\\*_#>|"):
        text = EMPHASIS.sub("", ESCAPE.sub(r"\1", text)).strip(" |")
    return " ".join(text.split())


@dataclass
class Line:
    """One line read for headings: its numbering (if any), its title (the next line's when it stands alone), its form."""

    index: int
    raw: str
    text: str
    number: str | None = None
    form: str | None = None
    title: str = ""
    title_line: int = -1  # where the title stands (this line, or the next when the number stands alone)
    shape: tuple | None = None  # numbering form, capitals, markup, spacing: a file's item headings share one
    chain: float = 0.0  # the best rising run of numbers of its form this line is part of, as a share of its form's lines

    @cached_property
    def key(self) -> tuple[int, ...]:
        parts = re.findall(r"\d+", self.number or "")
        suffix = re.search(r"[A-Za-z]$", self.number or "")
        return (*map(int, parts), ord(suffix.group(0).lower()) - 96 if suffix else 0)


def read_lines(lines: list[str]) -> list[Line]:
    """Every line with its numbering parsed; a number alone takes its title from the next text line."""
    out = [Line(i, raw, plain(raw)) for i, raw in enumerate(lines)]
    for ln in out:
        if not ln.text or DECIMAL.match(ln.text):
            ln.title = ln.text
            continue
        m = NUMBERING.match(ln.text)
        if m and (m.group("lead") or m.group("sep") or m.group("gap") or not m.group("title")):
            ln.number = m.group("num")
            ln.form = ("minute" if m.group("lead") and m.group("lead")[:3].lower() == "min" else "item" if m.group("lead")
                       else "slash" if "/" in ln.number else "num")
            ln.title, ln.title_line = m.group("title").strip().lstrip(":.–—- "), ln.index
            if not ln.title:
                nxt = next((o for o in out[ln.index + 1:ln.index + 4] if o.text), None)
                if nxt is not None:
                    ln.title, ln.title_line = nxt.text, nxt.index
        else:
            ln.title, ln.title_line = ln.text, ln.index
    _chains(out)
    return out


def _chains(lines: list[Line]) -> None:
    """Mark the longest run of each form whose numbers rise in small steps (minute numbers continue, paragraphs restart)."""
    for form in FORMS:
        cands = [ln for ln in lines if ln.form == form and _title_like(ln.title)]
        if not cands:
            continue
        best, prev = [1] * len(cands), [-1] * len(cands)
        for j, h in enumerate(cands):
            for i in range(max(0, j - 40), j):
                if follows(cands[i].key, h.key) and best[i] + 1 > best[j]:
                    best[j], prev[j] = best[i] + 1, i
        j = max(range(len(cands)), key=lambda k: best[k])
        length = best[j]
        while j >= 0:
            cands[j].chain = min(length, 12) / 12 if length >= 2 else 0.0
            j = prev[j]


def follows(a: tuple[int, ...], b: tuple[int, ...], gap: int = 5) -> bool:
    """b can come after a: same prefix (the year of '23/45') or suffix ('122/22'), a number up to `gap` higher, or a
    lettered '85a'."""
    if len(a) != len(b) or a[:-2] != b[:-2]:
        return len(a) == len(b) == 3 and a[1:] == b[1:] and 0 < b[0] - a[0] <= gap  # '122/22' then '123/22'
    if b[-2] == a[-2]:
        return b[-1] > a[-1]
    return 0 < b[-2] - a[-2] <= gap


def _title_like(title: str) -> bool:
    return bool(title) and (title[0].isupper() or title[0].isdigit() or title[0] in "'\"‘“(") and len(title.split()) <= 30


NAMES = ("bias", "numbered", "form_minute", "form_item", "form_slash", "form_num", "sep_dot", "sep_colon", "sep_paren",
         "sep_dash", "unspaced", "space_only", "alone", "num_log", "decimal", "lettered", "bullet", "chain",
         "words_3", "words_8", "words_15", "words_more", "all_caps", "capital_share", "first_lower", "ends_stop", "ends_colon",
         "ends_comma", "ends_question", "sentence", "action", "label", "procedural", "date", "council", "digits", "full_width",
         "blank_before", "blank_after", "next_lower", "next_long", "next_numbered", "prev_colon", "prev_open", "position",
         "preamble", "md_bold", "md_heading", "table", "repeated", "quote", "title_like", "numbered_title", "alone_title",
         "plain_title", "plain_title_gap", "next_para", "inline_colon", "isolated_title", "after_sentence_title",
         "minutes_doc_title", "shape_share", "shape_unnumbered", "shape_caps")


def features(lines: list[Line], width: int) -> list[list[float] | None]:
    """One row of NAMES per line; None for a line that cannot head an item."""
    from .segment import PROCEDURAL  # segment imports this module's user; read at call time

    texts = [ln.text for ln in lines]
    counts: dict[str, int] = {}
    for t in texts:
        if t:
            counts[t] = counts.get(t, 0) + 1
    preamble = _preamble_end(texts)
    n = max(1, len(lines))
    # Lines that cannot head an item, not worth reading: blank, a wrap of the line above, a title of MAX_WORDS words or
    # more or without a word, a line repeated ten times (furniture).
    cands = [ln for ln in lines if ln.text and ln.title.count(" ") < MAX_WORDS and counts[ln.text] < 10
             and (ln.number or not _continues(texts, ln.index)) and WORD.search(ln.title)]
    # Minutes of a meeting nearly always have an apologies, declarations or minutes item: sub-headings of a report do not.
    minutes_doc = float(any(ln.title.count(" ") < 10 and PROCEDURAL.search(ln.title) for ln in cands))
    # Items of one file share a shape (numbering form, capitals, markup, spacing): how many title-like lines share this one's.
    same: dict[tuple, int] = {}
    for ln in cands:
        ln.shape = _shape(ln, texts) if _is_title(ln.title) else None
        if ln.shape:
            same[ln.shape] = same.get(ln.shape, 0) + 1
    rows: list[list[float] | None] = [None] * len(lines)
    for ln in cands:
        t, title, raw = ln.text, ln.title, ln.raw.strip()
        m = NUMBERING.match(t) if ln.number else None
        sep = (m.group("sep") or "") if m else ""
        words = title.split()
        letters = [c for c in title if c.isalpha()]
        nxt = _next_text(texts, ln.title_line + 1 if ln.title_line >= 0 else ln.index + 1)
        prv = _prev_text(texts, ln.index - 1)
        row = [
            1.0, float(ln.number is not None), *(float(ln.form == f) for f in FORMS),
            float(sep.startswith(".")), float(sep == ":"), float(sep == ")"), float(sep.strip() in ("-", "–", "—")),
            float(bool(m and sep and not m.group("gap") and m.group("title"))),
            float(bool(m and not sep and m.group("gap") and m.group("title"))), float(bool(m and not m.group("title"))),
            math.log1p(ln.key[0]) / 5 if ln.number else 0.0,
            float(bool(DECIMAL.match(t))), float(bool(LETTERED.match(t))), float(bool(BULLET.match(raw))), ln.chain,
            float(len(words) <= 3), float(3 < len(words) <= 8), float(8 < len(words) <= 15), float(len(words) > 15),
            float(len(letters) >= 4 and all(c.isupper() for c in letters)),
            sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha()) / max(1, len(words)),
            float(title[:1].islower()), float(title.endswith(".")), float(title.endswith(":")), float(title.endswith((",", ";"))),
            float(title.endswith("?")), float(bool(SENTENCE.search(title))), float(bool(ACTION.match(title))),
            float(bool(LABEL.match(title))), float(len(words) <= 12 and bool(PROCEDURAL.search(title))),
            float(any(map(str.isdigit, title)) and bool(WITH_DATE.match(title) or MONTH.search(title))), float(bool(COUNCIL_LINE.match(title))),
            sum(map(str.isdigit, title)) / max(1, len(title)),
            float(bool(width) and len(raw) >= 0.85 * width),
            float(ln.index == 0 or not texts[ln.index - 1]), float(ln.index + 1 >= len(texts) or not texts[ln.index + 1]),
            float(bool(nxt) and nxt[:1].islower()), float(bool(nxt) and len(nxt.split()) > 12),
            float(bool(nxt) and bool(NUMBERING.match(nxt)) and not DECIMAL.match(nxt)),
            float(prv.endswith(":")), float(bool(prv) and not prv.endswith((".", ":", ";", "?", "!", '"', "”"))),
            ln.index / n, float(ln.index < preamble),
            float(raw.startswith(("**", "__")) or raw.endswith(("**", "__"))), float(raw.startswith("#")),
            float(raw.startswith("|")), float(counts.get(t, 0) >= 3), float(title[:1] in "'\"‘“"),
        ]
        rows[ln.index] = row
        like = float(ln.shape is not None)
        shape = min(same[ln.shape], 10) / 10 if ln.shape else 0.0
        gap_before, long_next = row[NAMES.index("blank_before")], row[NAMES.index("next_long")]
        row += [like, like * row[1], like * row[NAMES.index("alone")], like * (1 - row[1]),
                like * (1 - row[1]) * gap_before * long_next, long_next * gap_before,
                float(bool(INLINE_COLON.match(title))),
                like * (1 - row[1]) * gap_before * row[NAMES.index("blank_after")],
                like * (1 - row[1]) * (1 - row[NAMES.index("prev_open")]), like * minutes_doc, shape,
                shape * (1 - row[1]), shape * row[NAMES.index("all_caps")]]
    return rows


def _continues(texts: list[str], i: int) -> bool:
    """The line carries on the one above it (not blank, not ended): a wrapped paragraph's next line."""
    prev = texts[i - 1] if i else ""
    return bool(prev) and not prev.endswith((".", ":", ";", "?", "!", '"', "”", "’", ")")) and not prev.isupper()


def _is_title(title: str) -> bool:
    """Short, capitalised, not a sentence, an action or a label."""
    return (_title_like(title) and len(title.split()) <= 14 and not title.endswith((".", ",", ";")) and not SENTENCE.search(title)
            and not ACTION.match(title) and not LABEL.match(title))


def _shape(ln: Line, texts: list[str]) -> tuple:
    letters = [c for c in ln.title if c.isalpha()]
    raw = ln.raw.strip()
    return (ln.form, bool(letters) and all(c.isupper() for c in letters), raw.startswith(("**", "__")), raw.startswith("#"),
            ln.index == 0 or not texts[ln.index - 1])


def _next_text(texts: list[str], j: int) -> str:
    return next((t for t in texts[j:j + 3] if t), "")


def _prev_text(texts: list[str], j: int) -> str:
    return next((texts[k] for k in range(j, max(-1, j - 3), -1) if texts[k]), "")


def _preamble_end(texts: list[str]) -> int:
    """First line after the attendance block ('PRESENT: …' to the next blank line); 0 when there is none."""
    for i, t in enumerate(texts[:80]):
        if PREAMBLE_END.match(t):
            j = i
            while j < len(texts) and texts[j]:
                j += 1
            return j
    return 0
