"""Ofsted's record in the web UI: /inspections (HTML and JSON, by grade, year and framework), an official event's page, and
a council's official timeline with the meetings that discussed each event and what their minutes claimed."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from councilkg.graph.ofsted import AREAS, family, official_grades, record_grade
from councilkg.web.entities import Entity, Entry, _one, concept_label, council_link, meeting_label
from councilkg.web.errors import MAX_LIST, BadRequest, NotFound
from councilkg.web.present import GRADES, Link, grade_label, shorten
from councilkg.web.services import db, services

bp = Blueprint("inspections", __name__)
_SELECT = "SELECT o.*, c.name FROM official_inspections o LEFT JOIN councils c ON c.id = o.council_id"


def _event(r, discussed: list[dict] | None = None) -> dict:
    """One official event as plain values (the JSON of /api/inspections and what the templates show)."""
    return {"id": r["id"], "council": {"id": r["council_id"], "name": r["name"]}, "inspectorate": r["inspectorate"],
            "type": r["type"], "type_label": concept_label("inspection-type", r["type"]), "framework": r["framework"],
            "start": r["start"], "end": r["end"], "published": r["published"], "report": r["url"], "overall": r["overall"],
            "judgements": [{"area": None if a == "overall" else AREAS.get(a, a), "grade": g} for a, g in official_grades(r["judgements"])],
            "theme": r["theme"], "discussed_in": discussed or []}


def official_events(con, council_ids: list[str] | None = None, grade: str | None = None, year: str | None = None,
                    kind: str | None = None) -> list[dict]:
    """Official events held in the data directory, newest first, each with the meetings whose minutes discussed it."""
    conds, args = [], []
    if council_ids is not None:
        conds.append("o.council_id IN (SELECT value FROM json_each(?))")
        args.append(_json(council_ids))
    if grade:
        conds.append("o.overall = ?")
        args.append(grade)
    if year:
        conds.append("substr(coalesce(o.start, o.published), 1, 4) = ?")
        args.append(year)
    if kind:
        conds.append("o.type = ?")
        args.append(kind)
    rows = con.execute(f"{_SELECT} WHERE {' AND '.join(conds) or '1'} ORDER BY coalesce(o.start, o.published) DESC", args).fetchall()
    found = discussions(con, [r["id"] for r in rows])
    return [_event(r, found.get(r["id"])) for r in rows]


def discussions(con, event_ids: list[str]) -> dict[str, list[dict]]:
    """Event id -> the meetings whose minutes refer to it, with the point and any grade the minutes state (and whether the
    record agrees), oldest meeting first."""
    out: dict[str, list[dict]] = {}
    if not event_ids:
        return out
    rows = con.execute(
        "SELECT i.id, i.event_id, i.ev_point, i.ev_item, i.quote, m.id AS mid, m.date, m.committee, o.judgements "
        "FROM inspections i JOIN documents d ON d.id = i.doc_id LEFT JOIN meetings m ON m.id = d.meeting_id "
        "JOIN official_inspections o ON o.id = i.event_id WHERE i.event_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY m.date, i.id", (_json(event_ids),)).fetchall()
    for r in rows:
        claims = []
        for j in con.execute("SELECT id, grade, area FROM judgements WHERE inspection_id=?", (r["id"],)):
            official = record_grade(r, j["area"])
            claims.append({"judgement": j["id"], "grade": j["grade"], "area": j["area"], "record": official,
                           "contradicts_record": bool(official and official != j["grade"])})
        out.setdefault(r["event_id"], []).append({
            "meeting": {"id": r["mid"], "date": r["date"], "committee": r["committee"]},
            "point": r["ev_point"], "item": r["ev_item"], "quote": r["quote"], "claims": claims})
    return out


def official_timeline(con, council_id: str) -> list[dict]:
    """The council's official inspections (and those of the councils it replaced), oldest first, for its page."""
    events = official_events(con, family(council_id))
    return sorted(events, key=lambda e: e["start"] or e["published"] or "")


def official_inspection(con, ident: str) -> Entity:
    """The page of one official event: the record's facts and grades, then the minutes that discussed it."""
    r = _one(con, f"{_SELECT} WHERE o.id=?", ident, "inspection")
    ev = _event(r, discussions(con, [ident]).get(ident))
    e = Entity("inspection", ident, f"{ev['type_label']} of {r['name'] or r['council_id']} ({ev['start'] or ev['published']})")
    e.facts = [("Council", council_link(r["council_id"], r["name"])), ("Inspectorate", r["inspectorate"]),
               ("Type", Link("inspection-type", r["type"], ev["type_label"])), ("In Ofsted's record", "yes")]
    e.facts += [(label, ev[key]) for label, key in (("Framework", "framework"), ("Started", "start"), ("Ended", "end"),
                                                     ("Published", "published"), ("Visit theme", "theme"), ("Report", "report")) if ev[key]]
    e.facts += [(j["area"] or "Overall effectiveness", grade_label(j["grade"])) for j in ev["judgements"]]
    meetings = ev["discussed_in"][:MAX_LIST]
    e.group("Discussed in", [Entry(Link("point", d["point"], shorten(d["quote"], 160)) if d["point"] else
                                   Link("item", d["item"], shorten(d["quote"], 160)),
                                   meeting_label(d["meeting"]["date"], d["meeting"]["committee"])) for d in meetings if d["point"] or d["item"]])
    e.group("Grades the minutes state", [
        Entry(Link("judgement", c["judgement"], f"{grade_label(c['grade'])} — {c['area'] or 'overall'}"),
              f"contradicts the record ({grade_label(c['record'])})" if c["contradicts_record"] else "agrees with the record" if c["record"] else "")
        for d in meetings for c in d["claims"]])
    return e


def _json(values) -> str:
    import json

    return json.dumps(sorted(set(values)))


def check_filters(grade: str | None, year: str | None, kind: str | None) -> dict:
    """The list's filters, checked: a grade as officers write it ("requires improvement"), a four-digit year, a type."""
    from councilkg.embed.filters import SearchError, normalise_grade

    try:
        grade = normalise_grade(grade) if grade and grade.strip() else None
    except SearchError as e:
        raise BadRequest(str(e)) from None
    year = (year or "").strip() or None
    if year and not (year.isdigit() and len(year) == 4):
        raise BadRequest(f"year {year!r}: expected YYYY")
    return {"grade": grade, "year": year, "kind": (kind or "").strip() or None}


def _filters() -> dict:
    return check_filters(*(request.args.get(k) for k in ("grade", "year", "framework")))


def listing(con, council_ids: list[str] | None, f: dict) -> dict:
    """The JSON of /api/inspections and `councilkg inspections --json`."""
    events = official_events(con, council_ids, **f)
    return {"count": len(events), "filters": f, "inspections": events}


def _listing() -> dict:
    if services().stateless:
        raise NotFound("The inspection list needs a data directory (serve --data DIR)")
    return listing(db(), None, _filters())


@bp.get("/inspections")
def inspections_page():
    found = _listing()
    f, events = found["filters"], found["inspections"]
    kinds = [r[0] for r in db().execute("SELECT DISTINCT type FROM official_inspections ORDER BY type")]
    return render_template("inspections.html", events=events, f=f, kinds=kinds, GRADES=GRADES)


@bp.get("/api/inspections")
def api_inspections():
    return jsonify(_listing())
