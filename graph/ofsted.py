"""Ofsted's record of inspections of councils' children's services (graph/data/inspections.csv), and the one resolver that
links an inspection named anywhere (a minutes sentence, a report's front page) to the official event it refers to."""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from councilkg.graph.councils import _day, gazetteer

DATA = Path(__file__).parent / "data" / "inspections.csv"
FIELDS = ["id", "gss", "council", "inspectorate", "type", "framework", "start", "end", "published", "url", "judgements", "theme", "source"]
GRADES = {"outstanding": "outstanding", "good": "good", "requires improvement to be good": "requires-improvement",
          "requires improvement": "requires-improvement", "adequate": "adequate", "inadequate": "inadequate"}
# Area keys of the register -> the wording Ofsted gives them (ckg:judgementArea).
AREAS = {
    "leaders": "impact of leaders on social work practice with children and families",
    "help-protection": "experiences and progress of children who need help and protection",
    "in-care": "experiences and progress of children in care",
    "care-leavers": "experiences and progress of care leavers",
    "help-protection-sif": "children who need help and protection",
    "looked-after-permanence": "children looked after and achieving permanence",
    "adoption": "adoption performance",
    "care-leavers-sif": "experiences and progress of care leavers",
    "leadership-sif": "leadership, management and governance",
    "safeguarding": "safeguarding",
    "looked-after": "services for looked after children",
}
# The register's types a mention's type (graph/inspections.py TYPES) may refer to.
COMPATIBLE = {"ilacs": {"ilacs"}, "sif": {"sif"}, "ilacs-full": {"ilacs", "sif"}, "safeguarding-cp": {"slac", "cpi", "tlac"},
              "focused-visit": {"focused-visit"}, "monitoring-visit": {"monitoring-visit"}}
# Frameworks whose overall grade is the grade of the council's children's services as a whole.
GRADED = ("ilacs", "sif", "cpi")
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "winter": (12, 14)}
_I = re.IGNORECASE
_LAST_YEAR, _THIS_YEAR = re.compile(r"\blast year|previous year", _I), re.compile(r"\bthis year|earlier (?:this|in the) year", _I)
_SEASON = re.compile(r"\b(spring|summer|autumn|winter)\b", _I)
_PUBLISHED = re.compile(r"\bpublish\w*", _I)
_RECENT = re.compile(r"\b(?:recent(?:ly)?|last|latest|previous|took place|following|since|received|publish\w*|outcome of)\b", _I)


class RegisterError(Exception):
    """The shipped inspections.csv is missing or malformed."""


@lru_cache(maxsize=1)
def register() -> dict[str, list[dict]]:
    """GSS code -> the council's official inspections and visits, oldest first, read once from the CSV."""
    if not DATA.exists():
        raise RegisterError(f"{DATA}: inspection register missing")
    out: dict[str, list[dict]] = {}
    with open(DATA, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if set(FIELDS) - set(row) or not row["id"] or not (row["start"] or row["published"]):
                raise RegisterError(f"{DATA}: bad row {row.get('id')!r}")
            row["grades"] = dict(j.split("=", 1) for j in row["judgements"].split("|") if "=" in j)
            row["overall"] = row["grades"].get("overall")
            lo, hi = window_of(row)
            row["lo"], row["hi"] = lo.isoformat(), hi.isoformat()
            out.setdefault(row["gss"], []).append(row)
    for rows in out.values():
        rows.sort(key=lambda r: r["lo"])
    return out


def window_of(row: dict) -> tuple[date, date]:
    """The days the inspection ran: start to end; an older report known only by publication ran within the 10 weeks before."""
    start, end, pub = _day(row["start"]), _day(row["end"]), _day(row["published"])
    if start:
        return start, end or start + timedelta(days=11 if row["type"] in ("ilacs", "sif") else 2)
    return pub - timedelta(days=70), pub - timedelta(days=21)


@lru_cache(maxsize=1)
def _predecessors() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for gss, c in gazetteer().items():
        for new in c["replaced_by"]:
            out.setdefault(new, []).append(gss)
    return out


def family(gss: str) -> list[str]:
    """The council's code with the codes of the councils it replaced and that replaced it, whose inspections it inherits."""
    c = gazetteer().get(gss, {})
    return list(dict.fromkeys([gss, *_predecessors().get(gss, []), *c.get("former_gss", []), *c.get("replaced_by", [])]))


def events(gss: str) -> list[dict]:
    """Every official event of the council and its predecessors or successors, oldest first."""
    reg = register()
    return sorted((e for g in family(gss) for e in reg.get(g, [])), key=lambda e: e["lo"])


def _span(when: str | tuple[str, str] | None, precision: str | None, wording: str, on: date | None) -> tuple[date, date] | None:
    """The days a mention can refer to: its date at its precision, else what its words allow relative to the meeting."""
    if isinstance(when, tuple):
        lo, hi = _day(when[0]), _day(when[1] or when[0])
        return (lo - timedelta(days=3), hi + timedelta(days=3)) if lo and hi else None
    if when:
        y, m, d = (int(x) for x in (when.split("-") + [0, 0])[:3])
        if precision == "day" and d:
            return date(y, m, d) - timedelta(days=3), date(y, m, d) + timedelta(days=3)
        if m and precision != "year":
            return date(y, m, 1), date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)
        return date(y, 1, 1), date(y, 12, 31)
    if on is None:
        return None
    relative = relative_span(wording, on)
    if relative:
        return relative
    # An undated "the inspection": the latest before the meeting, if recent enough to be the one a committee talks of; with
    # no word that it happened lately ("the ILACS framework", "an ILACS"), only one of the last six months.
    return on - timedelta(days=550 if _RECENT.search(wording) else 183), on


def relative_span(wording: str, on: date) -> tuple[date, date] | None:
    """The days an undated mention's words place it in, relative to the meeting ("last year's", "in the autumn"), or None."""
    year = on.year - 1 if _LAST_YEAR.search(wording) else on.year if _THIS_YEAR.search(wording) else None
    season = _SEASON.search(wording)
    if season:
        a, b = _SEASONS[season[1].lower()]
        y = year or (on.year if date(on.year, a, 1) <= on else on.year - 1)
        return date(y, a, 1), date(y + (b - 1) // 12, (b - 1) % 12 + 1, 28)
    if year:
        return date(year, 1, 1), date(year, 12, 31)
    return None


def resolve_event(gss: str | None, kind: str, when: str | tuple[str, str] | None = None, precision: str | None = None,
                  wording: str = "", on: str | None = None) -> dict | None:
    """The official event an inspection fact refers to, or None: same council (or its predecessor), a compatible type,
    running within the days its date (or, undated, its words and the meeting date) allow, and not after the meeting.

    `when` is "YYYY", "YYYY-MM" or "YYYY-MM-DD" at `precision`, or a (start, end) pair of ISO days (a report's dates).
    Of several candidates the latest is taken: "the inspection" in minutes is the last one held."""
    types = COMPATIBLE.get(kind)
    if not gss or not types:
        return None
    meeting = _day(on)
    try:
        span = _span(when, precision, wording or "", meeting)
    except ValueError:  # a date no calendar has ("2018-13"): nothing to link, never a failed write
        return None
    if span is None:
        return None
    lo, hi = span
    found = None
    published = bool(when) and bool(_PUBLISHED.search(wording or ""))  # "the SIF report published in June 2017"
    for e in events(gss):
        elo, ehi = (e["published"], e["published"]) if published and e["published"] else (e["lo"], e["hi"])
        if e["type"] not in types or ehi < lo.isoformat() or elo > hi.isoformat():
            continue
        if meeting and e["lo"] > meeting.isoformat():
            continue
        found = e
    return found


def grade_in_force(gss: str, on: str) -> str | None:
    """The overall grade Ofsted had published for the council's children's services by that day (ILACS, SIF, CPI)."""
    grade = None
    for e in events(gss):
        if e["type"] in GRADED and e["overall"] and (e["published"] or e["hi"]) <= on[:10]:
            grade = e["overall"]
    return grade


def official_grades(judgements: str | None) -> list[tuple[str, str]]:
    """(area key, grade) pairs of a register row's judgements cell ("overall=good|leaders=outstanding")."""
    return [tuple(j.split("=", 1)) for j in (judgements or "").split("|") if "=" in j]


# Words of an area as minutes write it -> the register's area keys it can mean.
_AREA_WORDS = [(re.compile(r"leader|leadership|management", _I), ("leaders", "leadership-sif")),
               (re.compile(r"help and protection|protection", _I), ("help-protection", "help-protection-sif")),
               (re.compile(r"care leavers", _I), ("care-leavers", "care-leavers-sif")),
               (re.compile(r"in care|looked after", _I), ("in-care", "looked-after-permanence", "looked-after")),
               (re.compile(r"adoption", _I), ("adoption",)), (re.compile(r"safeguarding", _I), ("safeguarding",))]


def record_grade(event, area: str | None) -> str | None:
    """The record's grade for the area minutes name (None: overall); None when the record has no such area or several fit."""
    grades = dict(official_grades(event["judgements"]))
    if not area or area.lower() == "overall effectiveness":
        return grades.get("overall")
    keys = {k for pat, ks in _AREA_WORDS if pat.search(area) for k in ks if k in grades}
    return grades[keys.pop()] if len(keys) == 1 else None
