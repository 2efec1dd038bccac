"""Ofsted inspection reports of a council's children's services, read by Ofsted's template rather than as minutes.

The template (ILACS since 2018, SIF 2013-18 and the older looked-after-children reports alike): a title block
naming the council, "Inspection date(s): ...", the inspector, a judgement table, the recommendations ("What needs
to improve", "Areas for improvement" or "Recommendations": one bullet or numbered paragraph each), then numbered
paragraphs under a heading per judgement. The reader hands the table and the recommendations over as item
descriptions in a normal form (never searched) and the paragraphs as item text (segmented into points, which the
graph labels as inspection findings)."""

from __future__ import annotations

import re
from datetime import date

from .model import InputError, Section
from .pdf import join_pages, sniff_pdf
from .readers import Payload, register

FORMAT = "ofsted-report"
COMMITTEE = "Ofsted inspection report"
_I = re.IGNORECASE
GRADE = r"(Outstanding|Good|Requires improvement(?: to be good)?|Inadequate|Adequate)"
_DATES_LINE = re.compile(r"^\s*(?:Inspection|Visit) dates?:?\s*(.+)$", re.M | _I)
_INSPECTOR = re.compile(r"(?:Lead|Reporting) inspector|Majesty[’']s Inspector|\bHMI\b|Report published|Ofsted", _I)
_PUBLISHED = re.compile(r"^\s*(?:Report )?published:?\s*(.+)$", re.M | _I)
# Titles, most specific first: (pattern, inspection type). The ILACS title names the council inside it.
_TITLES = [
    (re.compile(r"^Focused visit to (?P<name>.+?) (?:local authority )?children[’']s services", _I), "focused-visit"),
    (re.compile(r"^Monitoring visit (?:of|to) (?P<name>.+?) (?:local authority )?children[’']s services", _I), "monitoring-visit"),
    (re.compile(r"^Inspection of services for children in need of help and protection", _I), "sif"),
    (re.compile(r"^Inspection of looked after children", _I), "looked-after-children"),
    (re.compile(r"^Inspection of (?:safeguarding|the arrangements for the protection)", _I), "safeguarding-cp"),
    (re.compile(r"^Inspection of children[’']s social care services", _I), "ilacs"),
    (re.compile(r"^Inspection of (?P<name>.+?)(?: local authority)?(?: children[’']s services)?$", _I), "ilacs"),
]
_NOT_NAME = re.compile(r"^(?:\d+|Inspection of|Review of|and$|protection|services|board|children|local authority)", _I)
# Areas of the judgement tables, by the words that name them (ILACS, SIF, looked-after-children).
AREAS = [
    (re.compile(r"overall effectiveness|overall judgement", _I), "overall effectiveness"),
    (re.compile(r"impact of leaders", _I), "impact of leaders"),
    (re.compile(r"help and protection", _I), "help and protection"),
    (re.compile(r"children in care and care leavers", _I), "children in care and care leavers"),
    (re.compile(r"looked after and achieving permanence", _I), "children looked after and achieving permanence"),
    (re.compile(r"adoption", _I), "adoption performance"),
    (re.compile(r"care leavers", _I), "care leavers"),
    (re.compile(r"children in care", _I), "children in care"),
    (re.compile(r"leadership, management and governance", _I), "leadership, management and governance"),
]
_ROW = re.compile(rf"^(?:\d(?:\.\d)?\.?\s+)?(?P<area>.*?)\s*:?\s*{GRADE}\s*\.?$", _I)
_OVERALL_LINE = [re.compile(rf"^The overall judgement is {GRADE}", _I),
                 re.compile(rf"^Children[’']s services in .+? (?:are|is) {GRADE}", _I),
                 re.compile(rf"^Overall effectiveness(?: of services for looked after children)?.*?\b{GRADE}\s*$", _I)]
_RECS_HEAD = re.compile(r"^(?:What needs to improve(?: in this area)?\??\d?|What does the local authority need to improve\?"
                        r"|Areas for improvement|Recommendations)\s*$", _I)
_SECTION_HEAD = re.compile(r"^(?:The experiences and progress of|The impact of leaders|Summary of key findings|"
                           r"Information about this inspection|Section \d|Inspection judgements about|The local authority has the following"
                           r"|Record of main findings|Contents$)", _I)
# Sub-headings inside a SIF list of recommendations: skipped while the numbered list goes on after them.
_SUBHEAD = re.compile(r"^(?:Priority and immediate action|Areas for improvement)\s*$", _I)
# bullets: the few glyphs Ofsted's fonts use, and any private-use code point (symbol fonts' bullets)
_GLYPH = re.compile(r"^\s*[◼■•▪●\ue000-\uf8ff]\s*")
_NUMBERED = re.compile(r"^\s*(\d{1,3})\.\s+\S")
_TIMING = re.compile(r"^(?:Immediately|Within (?:three|six|\w+) months)\s*:\s*$", _I)




def sniff_report(payload: Payload) -> bool:
    """A PDF whose first pages carry an Ofsted title block: an inspection title, its dates and an inspector."""
    if not sniff_pdf(payload):
        return False
    try:
        head = "\n".join(payload.pages[:2])
    except InputError:
        return False  # the plain PDF reader reports the damage
    lines = [ln.strip() for ln in head.split("\n") if ln.strip()][:40]
    title = any(re.match(r"^(?:Inspection of|Focused visit to|Monitoring visit)", ln, _I) for ln in lines)
    return title and bool(_DATES_LINE.search(head)) and bool(_INSPECTOR.search(head))


def parse_date(text: str, default: date | None = None) -> date | None:
    """One written date ("11 June 2018", "18", "27 February") with what it leaves out taken from `default`."""
    from datetime import datetime

    from dateutil import parser

    text = re.sub(r"[^\w ,]", " ", text).strip(" ,")
    if not text:
        return None
    base = datetime(default.year, default.month, default.day) if default else datetime(1900, 1, 1)
    try:
        got = parser.parse(text, default=base, dayfirst=True, fuzzy=False).date()
    except (ValueError, OverflowError):
        return None
    return got if default or got.year != 1900 else None


def date_range(text: str) -> tuple[date | None, date | None]:
    """"11 June 2018 to 22 June 2018", "18 to 29 July 2022", "15 – 19 July 2013": the start and end dates; an
    inspection in two parts ("30 September to 11 October 2024 and 13 to 16 January 2025") runs from first to last."""
    spans = re.split(r"\s+and\s+", text.strip())
    if len(spans) > 1:
        first, last = date_range(spans[0]), date_range(spans[-1])
        return (first[0], last[1]) if first[0] and last[1] else (None, None)
    parts = re.split(r"\s+(?:to|until)\s+|\s*[–—-]\s+|\s+[–—-]\s*", text.strip(), maxsplit=1)
    end = parse_date(parts[-1])
    if end is None:
        return None, None
    start = parse_date(parts[0], end) if len(parts) > 1 else end
    if start and start > end:  # "28 December to 8 January": the start is in the year before
        start = start.replace(year=start.year - 1)
    return start, end


def _title(lines: list[str]) -> tuple[str, str | None, str]:
    """The inspection type, the council's name as the report gives it, and the title, from the lines above the dates."""
    block: list[str] = []
    for ln in lines:
        if _DATES_LINE.match(ln):
            break
        block.append(ln.strip())
    block = [b for b in block if b]
    joined = " ".join(block)
    start = next((i for i, b in enumerate(block) if re.match(r"^(?:Inspection of|Focused visit|Monitoring visit)", b, _I)), 0)
    title = " ".join(block[start:])
    kind, name = "ilacs", None
    for pat, k in _TITLES:
        m = pat.match(title)
        if m:
            kind, name = k, m.groupdict().get("name")
            break
    if name:
        name = re.sub(r"^the\s+", "", name, flags=_I).strip(" ,")
    else:  # SIF and older: the council on a line of its own around the title
        name = next((b for b in block if not _NOT_NAME.match(b) and not re.search(r"\d|children|services", b, _I)), None)
    return kind, name, title or joined


def _area(text: str) -> str | None:
    return next((name for pat, name in AREAS if pat.search(text)), None)


def _grade(text: str) -> str:
    g = text.lower()
    return "requires-improvement" if g.startswith("requires") else g


def judgement_table(lines: list[str]) -> tuple[list[tuple[str, str]], int]:
    """(area, grade) rows of the table under the dates, each row's area wrapped over lines until its grade, and the
    number of lines up to its last row."""
    rows: list[tuple[str, str]] = []
    pending, last = "", 0
    for n, ln in enumerate(lines[:80]):
        s = ln.strip()
        overall = next((m for m in (p.match(s) for p in _OVERALL_LINE) if m), None)
        if overall and all(a != "overall effectiveness" for a, _ in rows):
            rows.append(("overall effectiveness", _grade(overall.group(1))))
            pending, last = "", n + 1
            if len(rows) > 1:
                break  # ILACS: overall effectiveness is the table's last row
            continue
        if not s or re.match(r"^(?:Judgement\s+Grade|Lead inspector|Her Majesty|His Majesty)", s, _I):
            continue
        pending = f"{pending} {s}".strip()
        m = _ROW.match(pending)
        if m and _area(m.group("area")):
            rows.append((_area(m.group("area")), _grade(m.group(2))))
            pending, last = "", n + 1
        elif s.endswith(".") or len(pending) > 140:
            if len(pending) > 140 and len(rows) > 1:
                break
            pending = ""  # a sentence between the overall judgement and the table (SIF)
    seen: dict[str, str] = {}
    for area, grade in rows:
        seen.setdefault(area, grade)
    return list(seen.items()), last


_LEAD_IN = re.compile(r"following actions?[.:]?\s*$|should[^.]*:\s*$", _I)
_IMPERATIVE = re.compile(r"(?:Ensure|Take|Improve|Continue|Develop|Implement|Review|Make|Fully|Strengthen|Increase|Reduce|"
                         r"Provide|Establish|Embed|Secure|Raise|Devise|Monitor|Agree|Extend|Undertake|Consider)\b", _I)


def _heading(lines: list[str], j: int) -> bool:
    """A short line without a full stop after a sentence's end, followed by a bullet or a number: a heading."""
    s, prev = lines[j].strip(), lines[j - 1].strip()
    nxt = next((ln for ln in lines[j + 1:j + 4] if ln.strip()), "")
    return (len(s) < 70 and s[:1].isupper() and not s.endswith((".", ",", ";")) and prev.endswith(".")
            and bool(_GLYPH.match(nxt) or _NUMBERED.match(nxt.strip())))


def _join(lines: list[str]) -> str:
    """A wrapped paragraph on one line; a word hyphenated at a line end ("extra-" / "familial") stays one word."""
    text = ""
    for ln in lines:
        text += ln.strip() if text.endswith("-") and text[-2:-1].isalpha() else " " + ln.strip()
    return re.sub(r"\s+", " ", text).strip()


def _list_goes_on(lines: list[str], j: int, style: str | None) -> bool:
    """After a sub-heading, the next paragraph is another numbered recommendation ("Social work practice", "7. Review")."""
    nxt = next((ln.strip() for ln in lines[j + 1:j + 8] if ln.strip() and not re.fullmatch(r"\d{1,3}", ln.strip())), "")
    num = _NUMBERED.match(nxt)
    return style != "bullet" and bool(num) and bool(_IMPERATIVE.match(nxt[num.end() - 1:]))


def recommendations(lines: list[str]) -> tuple[list[str], int, int]:
    """The recommendations (one per bullet or numbered paragraph) under the first recommendations heading, and the
    span of lines they take; ([], -1, -1) when the report has none."""
    starts = [i for i, ln in enumerate(lines) if _RECS_HEAD.match(ln.strip())]
    # a contents page lists the heading too: the real one is followed by a bullet or a number within a few lines
    for i in starts:
        recs: list[str] = []
        cur: list[str] | None = None
        style = None  # "bullet" or "number": a list is one or the other, and a change of style ends it
        j = i + 1
        while j < len(lines):
            s = lines[j].strip()
            glyph, num = _GLYPH.match(lines[j]), _NUMBERED.match(s)
            if (glyph or num) and _LEAD_IN.search(s):
                pass  # "22. In order to improve ..., the local authority should take the following action."
            elif glyph or num:
                kind = "bullet" if glyph else "number"
                if style and kind != style and not recs and cur and _LEAD_IN.search(" ".join(cur)):
                    style, cur = None, None  # the numbered paragraph was the list's lead-in
                if style and kind != style:
                    break
                if num and recs and cur is None and not _IMPERATIVE.match(s[num.end() - 1:]):
                    break
                style = style or kind
                if cur:
                    recs.append(_join(cur))
                cur = [_GLYPH.sub("", lines[j]).strip() if glyph else s[num.end() - 1:].strip()]
            elif not s:
                if cur and cur[-1].rstrip().endswith((".", ")")):
                    recs.append(_join(cur))
                    cur = None
            elif _TIMING.match(s):
                pass  # "Immediately:", "Within three months:"
            elif (_SUBHEAD.match(s) or (cur and _heading(lines, j))) and _list_goes_on(lines, j, style):
                if cur:
                    recs.append(_join(cur))
                    cur = None
            elif _SECTION_HEAD.match(s) or (_RECS_HEAD.match(s) and recs) or (cur and _heading(lines, j)):
                break
            elif cur is None and not recs:
                pass  # a lead-in ("the local authority should take the following action")
            elif cur is not None:
                cur.append(s)
            elif recs:
                break
            j += 1
            if j - i > 12 and not recs and cur is None:
                break
        if cur:
            recs.append(_join(cur))
        recs = [r for r in recs if not r.endswith(":") and not re.search(r"no areas of priority action", r, _I)]
        if recs:
            return recs, i, j
    return [], -1, -1


def findings(lines: list[str], skip: tuple[int, int]) -> list[Section]:
    """The report's paragraphs after its front matter, one section per judgement heading (the rest as "Findings")."""
    sections: list[Section] = []
    title, body = "Summary", []
    for n, ln in enumerate(lines):
        if skip[0] <= n < skip[1]:
            continue
        s = ln.strip()
        if _SECTION_HEAD.match(s) and re.match(r"^The (?:experiences|impact)", s, _I):
            if any(b.strip() for b in body):
                sections.append(Section(title=title, text="\n".join(body), procedural=False))
            title, body = s, []
            continue
        if title.startswith("The ") and not body and s and not _NUMBERED.match(s) and len(title) < 160 and not s.endswith("."):
            title = f"{title} {s}"  # a heading wrapped over two lines
            continue
        body.append(ln)
    if any(b.strip() for b in body):
        sections.append(Section(title=title, text="\n".join(body), procedural=False))
    return sections


@register(FORMAT, (".pdf",), sniff=sniff_report)
def read_report(payload: Payload) -> tuple[str, dict[str, str], list[Section]]:
    """Meta (council, dates, type) and items: the judgement table and recommendations as descriptions, the rest as text."""
    text = join_pages(payload.pages)
    lines = text.split("\n")
    kind, name, title = _title(lines)
    m = _DATES_LINE.search(text)
    start, end = date_range(m.group(1)) if m else (None, None)
    if start is None:
        raise InputError(payload.path, f"Ofsted report without readable inspection dates ({m.group(1).strip()[:60] if m else 'none'})")
    pub = _PUBLISHED.search("\n".join(lines[:80]))
    published = parse_date(pub.group(1)) if pub else None
    dates_at = next(i for i, ln in enumerate(lines) if _DATES_LINE.match(ln))
    table, table_end = judgement_table(lines[dates_at + 1:])
    recs, r0, r1 = recommendations(lines)
    body_from = dates_at + 1 + table_end
    meta = {"council": name or "", "date": (published or end).isoformat(), "date_method": "text:report",
            "committee": COMMITTEE, "committee_method": "text:report", "title": title,
            "inspection_type": kind, "inspection_start": start.isoformat(), "inspection_end": end.isoformat(),
            "published": published.isoformat() if published else ""}
    sections = [Section(title="Judgements", description="\n".join(f"{a}: {g}" for a, g in table), procedural=True),
                Section(title="What needs to improve", description="\n".join(f"• {r}" for r in recs), procedural=True)]
    sections += findings(lines[body_from:], (r0 - body_from, r1 - body_from) if r0 >= 0 else (0, 0))
    return text, meta, sections
