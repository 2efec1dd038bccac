"""Search filters turned into one boolean mask over a generation's points by SQL, so nothing per point is kept between queries."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass

import numpy as np

# Grades as stored by graph/extract, with the ways officers write them.
GRADES = {
    "outstanding": "outstanding",
    "good": "good",
    "requires improvement": "requires-improvement",
    "requires improvement to be good": "requires-improvement",
    "ri": "requires-improvement",
    "inadequate": "inadequate",
    "adequate": "adequate",
}
# Inspections whose overall grade is not a grade of the council's children's services as a whole.
NOT_COUNCIL_WIDE = ("fostering", "adoption", "send-area", "jtai", "monitoring-visit", "focused-visit")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class SearchError(Exception):
    """A search that cannot run as asked (a bad filter value, no data), told in one line."""


@dataclass(frozen=True)
class Filters:
    """What the officer narrowed the search to; every field optional."""

    council: str | None = None
    exclude_council: tuple[str, ...] = ()
    theme: str | None = None
    committee: str | None = None
    since: str | None = None
    until: str | None = None
    grade: str | None = None

    def active(self) -> bool:
        return any((self.council, self.exclude_council, self.theme, self.committee, self.since, self.until, self.grade))


def resolve_council(con: sqlite3.Connection, name: str) -> set[str]:
    """Council ids (as stored in meetings) for a name or GSS code: the gazetteer first, then the councils table."""
    from councilkg.graph.councils import resolve

    name = name.strip()
    found = resolve(name)
    ids: set[str] = {found["gss"]} if found else set()
    rows = con.execute(
        "SELECT id FROM councils WHERE id = ? OR upper(gss) = upper(?) OR lower(name) = lower(?)", (name, name, name)
    ).fetchall()
    if not rows and not ids:  # "Herefordshire" for "Herefordshire Council": whole words at the start of the name
        rows = con.execute("SELECT id FROM councils WHERE lower(name) LIKE lower(?) || ' %'", (name,)).fetchall()
    ids.update(r[0] for r in rows)
    if not ids:
        raise SearchError(f"unknown council {name!r}")
    return ids


def resolve_theme_id(theme: str) -> str:
    """A theme id for an id or a label (preferred or alternative)."""
    from councilkg.graph.themes import resolve_theme

    tid = resolve_theme(theme)
    if not tid:
        raise SearchError(f"unknown theme {theme!r}")
    return tid


def normalise_grade(grade: str) -> str:
    key = re.sub(r"[\s_-]+", " ", grade.strip().lower()).removesuffix(" (to be good)")
    if key not in GRADES:
        raise SearchError(f"unknown grade {grade!r} (one of: outstanding, good, requires improvement, inadequate, adequate)")
    return GRADES[key]


def _check_date(value: str, flag: str) -> str:
    if not _DATE.match(value):
        raise SearchError(f"{flag} {value!r}: expected YYYY-MM-DD (or YYYY-MM, YYYY)")
    return value


# The overall grade each document's council held at its meeting: Ofsted's grade in force at the meeting date, stamped on the
# meeting when it was written (graph/ofsted.py); for a council Ofsted's record does not hold, the latest happened inspection
# its minutes report at or before the meeting date (for an undated meeting, the latest its own document reports).
GRADE_AT_MEETING = f"""
SELECT d.id AS doc_id, CASE WHEN m.ofsted_grade IS NOT NULL THEN m.ofsted_grade
  WHEN m.council_id IN (SELECT council_id FROM official_inspections) THEN NULL ELSE (
  SELECT j.grade FROM inspections ins JOIN judgements j ON j.inspection_id = ins.id
  WHERE ins.council_id = m.council_id AND j.area IS NULL AND ins.status = 'happened'
    AND ins.type NOT IN ({",".join("'" + t + "'" for t in NOT_COUNCIL_WIDE)})
    AND CASE WHEN m.date IS NULL THEN ins.doc_id = d.id
             ELSE ins.date IS NOT NULL AND ins.date <= substr(m.date, 1, length(ins.date)) END
  ORDER BY ins.date DESC LIMIT 1) END AS grade
FROM documents d JOIN meetings m ON m.id = d.meeting_id WHERE m.council_id IS NOT NULL
"""


def grade_by_document(con: sqlite3.Connection, doc_ids: list[str] | None = None) -> dict[str, str]:
    """Document id -> the council's overall grade at the time of its meeting (documents without one are absent)."""
    sql, args = GRADE_AT_MEETING, ()
    if doc_ids is not None:
        sql += " AND d.id IN (SELECT value FROM json_each(?))"
        args = (json_list(doc_ids),)
    return {r[0]: r[1] for r in con.execute(sql, args) if r[1]}


def json_list(values) -> str:
    """A list of values as one SQL parameter, read back with json_each."""
    return json.dumps(sorted(values))


def where_clause(con: sqlite3.Connection, f: Filters) -> tuple[str, list]:
    """SQL conditions over `p` (points), `i` (items) and `m` (meetings) for the filters, with their arguments."""
    conds: list[str] = []
    args: list = []
    if f.council:
        conds.append("m.council_id IN (SELECT value FROM json_each(?))")
        args.append(json_list(resolve_council(con, f.council)))
    if f.exclude_council:
        ids = set().union(*(resolve_council(con, c) for c in f.exclude_council))
        conds.append("(m.council_id IS NULL OR m.council_id NOT IN (SELECT value FROM json_each(?)))")
        args.append(json_list(ids))
    if f.theme:
        conds.append("p.id IN (SELECT point_id FROM point_themes WHERE theme = ?)")
        args.append(resolve_theme_id(f.theme))
    if f.committee:
        conds.append("lower(m.committee) LIKE '%' || lower(?) || '%'")
        args.append(f.committee.strip())
    if f.since:
        conds.append("m.date IS NOT NULL AND substr(m.date, 1, length(?)) >= ?")
        args += [_check_date(f.since, "--since")] * 2
    if f.until:
        conds.append("m.date IS NOT NULL AND substr(m.date, 1, length(?)) <= ?")
        args += [_check_date(f.until, "--until")] * 2
    if f.grade:
        grade = normalise_grade(f.grade)
        docs = [d for d, g in grade_by_document(con).items() if g == grade]
        conds.append("p.doc_id IN (SELECT value FROM json_each(?))")
        args.append(json_list(docs))
    return " AND ".join(conds) or "1", args


def allowed_mask(con: sqlite3.Connection, idx, f: Filters, exclude_points=(), exclude_docs=()) -> np.ndarray | None:
    """Bool mask over the points of `idx` (an Indexes) passing the filters; None when nothing is filtered."""
    if not f.active() and not exclude_points and not exclude_docs:
        return None
    where, args = where_clause(con, f)
    if exclude_docs:
        where += " AND p.doc_id NOT IN (SELECT value FROM json_each(?))"
        args.append(json_list(exclude_docs))
    rows = con.execute(
        f"SELECT p.id FROM points p JOIN items i ON i.id = p.item_id LEFT JOIN meetings m ON m.id = i.meeting_id WHERE {where}",
        args,
    ).fetchall()
    mask = np.zeros(len(idx.point_ids), dtype=bool)
    if rows:
        mask[idx.index_of([r[0] for r in rows])] = True
    if exclude_points:
        mask[idx.index_of(list(exclude_points))] = False
    return mask
