"""A meeting's committee and date from the heading councils write above their minutes, else a date from the file name."""

from __future__ import annotations

import re

from . import dates, heading_text
from . import meta as metamod

_DAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
DATE = _DAY + r"\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{4}"
# "Minutes of a meeting of the Cabinet held at … on Tuesday 12 March 2024";
# "MINUTES OF PROCEEDINGS AT MEETING OF THE BOROUGH COUNCIL OF X HELD … ON MONDAY, 27TH MARCH, 2023"
MINUTES_OF = re.compile(
    r"^(?:the\s+)?minutes\s+of\s+(?:the\s+)?(?:proceedings\s+(?:at|of)\s+)?(?:an?\s+|the\s+)?"
    r"(?:(?:extraordinary|special|annual|ordinary|additional|reconvened)\s+)?meeting\s+of\s+(?:the\s+)?"
    r"(?P<committee>.+?)\s+(?:held|which\s+took\s+place)\b(?P<rest>.*)$", re.S | re.I)
# "Minutes of the Planning Committee meeting held on 3rd May 2022"; "Minutes of the meeting held on …" (committee above)
COMMITTEE_MEETING = re.compile(
    r"^(?:the\s+)?minutes\s+of\s+(?:the\s+|a\s+|an\s+)?(?P<committee>[A-Z].{0,80}?\s+)?meeting\s+(?:held|which\s+took\s+place)\b"
    r"(?P<rest>.*)$", re.S | re.I)
# "CABINET – 9 JANUARY 2025", "CORPORATE PARENTING PANEL– 29 October 2024", "Cabinet - Tuesday, 12 March 2024"
WITH_DATE = re.compile(r"^(?P<committee>[A-Z][A-Za-z &'’,-]{2,80}?)\s*[–—-]\s*(?P<date>" + DATE + r")\.?$")
COUNCIL_LINE = re.compile(r"^\s*([A-Z][A-Z &'’-]*\bCOUNCIL)\s*$", re.M)
# A council named as the meeting body: "the Borough Council of X", "X District Council" (not bare "County Council").
NAMED_COUNCIL = re.compile(r"\bcouncil\s+of\s+\S|^(?!(?:the\s+)?(?:full|county|borough|district|city|town|parish)?\s*council$).*\bcouncil$", re.I)
# Where a preamble ends, for the item splitter (corpus/item_headings.py); the heading region has its own wider test.
PREAMBLE_END = re.compile(r"^(?:PRESENT|Present|Members? present|Councillors? present|Attendance|In attendance)\b")


def meeting_meta(text: str, file_name: str = "") -> dict[str, str]:
    """Committee, date (with `*_method`) and council_hint from the heading region; the file name's date only as a last
    resort. The date is the one the heading says the meeting was held on (corpus/dates.py)."""
    region = heading_text.region(text)
    paras = region.paragraphs
    page: dict[str, str] = {}
    for k, para in enumerate(paras):
        found = _read_heading(para, paras[k - 1] if k else "")
        if found.get("committee"):
            page["committee"], page["committee_method"] = found["committee"], "text:heading"
            break
    day = dates.meeting_date(region.text, dates.years_in(region.text) or dates.years_in(text[:5000]))
    if day:
        page["date"], page["date_method"] = day
    c = COUNCIL_LINE.search(region.text)
    if c:
        page["council_hint"] = c.group(1).strip().title()
    if not page.get("date") and file_name:
        day = date_from_name(file_name)
        if day:
            page["date"], page["date_method"] = day, "file-name"
    return page


def _read_heading(para: str, before: str) -> dict[str, str]:
    """The committee of one paragraph of the heading read as a minutes heading; `before` is the paragraph above."""
    m = MINUTES_OF.match(para) or WITH_DATE.match(para)
    if m:
        return {"committee": committee_name(m.group("committee"))}
    m = COMMITTEE_MEETING.match(para)
    name = (m.group("committee") or "").strip() if m else ""
    if m and not name and before and len(before.split()) <= 8 and not COUNCIL_LINE.match(before.upper()):
        name = title_case(before)
    return {"committee": committee_name(name)} if name else {}


def committee_name(raw: str) -> str:
    """The meeting body as written; a named council ('the Borough Council of X') is its full council, 'Council'."""
    name = re.sub(r"\s+", " ", raw).strip(" ,.–-")
    name = re.sub(r"^the\s+", "", name, flags=re.I)
    if len(name) > 80:
        return ""
    if NAMED_COUNCIL.search(name):
        return "Council"
    return title_case(name)


SMALL_WORDS = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with", "from"}


def title_case(text: str) -> str:
    """An ALL CAPS title as a title ('DATE OF NEXT MEETING' -> 'Date of Next Meeting'); other text as written."""
    if not text.isupper():
        return text
    words = text.title().split(" ")
    return " ".join(w.lower() if k and w.lower() in SMALL_WORDS else w for k, w in enumerate(words))


_NAME_DMY = re.compile(r"(?<!\d)(\d{1,2})[._-](\d{1,2})[._-](\d{2}|\d{4})(?!\d)")
_NAME_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def date_from_name(name: str) -> str | None:
    """'CPP_Minutes_10.12.24.pdf', 'kent_2024-10-29_cpp.txt', 'Printed minutes 13th-Mar-2025 10.00 …' as ISO dates."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)
    m = _NAME_ISO.search(stem)
    if m:
        return metamod.iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    words = metamod.parse_date(re.sub(r"[_-]+", " ", stem))
    if words:
        return words
    m = _NAME_DMY.search(stem)
    if m:
        year = int(m.group(3))
        return metamod.iso(year + 2000 if year < 100 else year, int(m.group(2)), int(m.group(1)))
    return None
