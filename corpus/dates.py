"""Candidate dates in a heading, each parsed by dateutil and kept with its context, and the one the meeting was held on.

dateutil parses what a span says (any order of day, month and year, ordinals, abbreviations, 2-digit years); this
module only finds the spans worth giving it (runs of weekday, day, month and year words) and reads the words before
each, so a posting date, a signature date or the next meeting's is never taken for the meeting's. Only the heading
region's spans are parsed: a few per file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dateutil import parser as du

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
# A day number with its ordinal, as written or as OCR leaves it ("1°\"", "19™", "10”", "2\"?").
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th|[°\"”“™?'’]{1,3}(?:st|nd|rd|th)?)?"
_GAP = r"(?:\s*,?\s+|\s*,\s*)(?:(?:of|the)\s+)?"
SPAN = re.compile(
    rf"(?<![\w.])(?:(?P<wd>{_WEEKDAY}){_GAP})?(?:(?P<d1>{_DAY}){_GAP}(?P<m1>{_MONTH})|(?P<m2>{_MONTH}){_GAP}(?P<d2>{_DAY}))"
    rf"(?:(?:\s*,?\s*|\s+)(?P<y>(?:19|20)\d\d|'\d\d))?(?![\w])"
    rf"|(?<![\w.:/])(?:(?P<wd2>{_WEEKDAY}){_GAP})?(?P<num>[0-3]?\d[./-][01]?\d[./-](?:19|20)?\d\d)(?![\w/]|[.:]\d)",
    re.IGNORECASE)
_OCR_ORDINAL = re.compile(r"(\d)[°\"”“™?'’]{1,3}(?:st|nd|rd|th)?", re.IGNORECASE)
# Words just before a date that say it is not the meeting's.
NOT_MEETING = re.compile(r"\b(?:next|following|future|forthcoming|subsequent|previous|last|signed|signature|dated|posted|"
                         r"published|publication|issued|circulated|despatched|dispatched|printed|updated|revised|"
                         r"approved|adopted|amended|deadline)\b[^.;]{0,40}$", re.IGNORECASE)
# Words just before a date that say the meeting was held then.
HELD = re.compile(r"\b(?:held|meeting|met|convened|took\s+place|taking\s+place|commencing|sat|at\s+\d[\d.:]*\s*[ap]\.?m\.?|"
                  r"on|dated?\s+meeting)\b[^.;]{0,80}$", re.IGNORECASE)
CONTEXT = 80


@dataclass
class Candidate:
    """A date written in the heading: ISO value, the span as written, the words before it, and the weekday given."""

    iso: str
    span: str
    before: str
    weekday: int | None
    weekday_agrees: bool | None
    year_given: bool
    start: int


def candidates(text: str, years: list[int] | None = None) -> list[Candidate]:
    """Every date span in `text` that dateutil reads as a calendar day; a span without a year takes the one year among
    `years` (the document's) on which its weekday falls, else it is dropped."""
    out = []
    for m in SPAN.finditer(text):
        wd_word = m.group("wd") or m.group("wd2")
        weekday = _weekday(wd_word)
        span = _OCR_ORDINAL.sub(r"\1", m.group(0)[len(wd_word or ""):].strip(" ,"))
        try:
            day = du.parse(span, dayfirst=True, default=dt.datetime(1, 1, 1)).date()
        except (ValueError, OverflowError):
            continue
        year_given = day.year != 1
        if not year_given:
            fits = sorted({y for y in years or [] if _on(y, day) and _on(y, day).weekday() == weekday}) if weekday is not None else []
            if len(fits) != 1:
                continue
            day = _on(fits[0], day)
        agrees = None if weekday is None else day.weekday() == weekday
        out.append(Candidate(day.isoformat(), m.group(0), text[max(0, m.start() - CONTEXT): m.start()], weekday, agrees,
                             year_given, m.start()))
    return out


def _on(year: int, day: dt.date) -> dt.date | None:
    try:
        return day.replace(year=year)
    except ValueError:
        return None


def _weekday(word: str | None) -> int | None:
    if not word:
        return None
    w = word.lower()[:3]
    return next((k for k, name in enumerate(WEEKDAYS) if name.startswith(w)), None)


def meeting_date(text: str, years: list[int] | None = None) -> tuple[str, str] | None:
    """(ISO date, how it was decided) of the day the heading says the meeting was held on, else None.

    A date whose weekday disagrees, or that the words before it call another date (the next meeting's, a posting or
    signature date), is never taken. Of the rest, one the words before call the meeting's ('held on', 'meeting …
    on') wins over one that merely stands first."""
    c = choose(candidates(text, years))
    return (c.iso, "text:heading" if c.year_given else "text:heading+weekday") if c else None


def choose(cands: list[Candidate]) -> Candidate | None:
    """The meeting's date among a heading's candidates (see meeting_date), or None."""
    held, plain = [], []
    for c in cands:
        if c.weekday_agrees is False or NOT_MEETING.search(c.before):
            continue
        (held if HELD.search(c.before) else plain).append(c)
    return (held or plain or [None])[0]


def years_in(text: str) -> list[int]:
    """The years a text writes out (four digits, 1990-2099): where a heading's 'Monday 10th October' belongs."""
    return sorted({int(y) for y in re.findall(r"(?<!\d)(?:19[89]\d|20\d\d)(?!\d)", text)})
