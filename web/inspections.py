"""Ofsted's record in the web UI: /inspections (HTML and JSON, by grade, year and framework), an official event's page, and
a council's official timeline with the meetings that discussed each event and what their minutes claimed; all read from the
SPARQL store (the data directory's own or, without one, the shared store)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from councilkg.graph.ofsted import AREAS, family, record_grade
from councilkg.graph.vocab import iri, sparql_prologue
from councilkg.web.around import split_iri
from councilkg.web.entities import Entity, Entry, concept_label, council_link, meeting_label
from councilkg.web.errors import MAX_LIST, BadRequest, NotFound
from councilkg.web.graph_store import page_store
from councilkg.web.present import GRADES, Link, grade_label, shorten

bp = Blueprint("inspections", __name__)
AREA_ORDER = ["overall", *AREAS]  # the register lists an event's judgements in this order
_EVENT = """?e a ckg:Inspection ; ckg:inOfficialRecord true ; ckg:inspectedCouncil ?c ; ckg:inspectorate ?inspectorate ; ckg:inspectionType ?type .
  OPTIONAL { ?c rdfs:label ?name } OPTIONAL { ?e ckg:inspectionFramework ?framework } OPTIONAL { ?e ckg:inspectionDate ?start }
  OPTIONAL { ?e ckg:inspectionEndDate ?end } OPTIONAL { ?e dcterms:issued ?published } OPTIONAL { ?e dcterms:source ?report }
  OPTIONAL { ?e ckg:visitTheme ?theme }"""


def _values(var: str, iris: list[str]) -> str:
    return f"VALUES ?{var} {{ {' '.join(f'<{i}>' for i in sorted(set(iris)))} }}"


def _grades(store, events: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Event IRI -> the record's (area key, grade) pairs in the register's order (the key is the end of the judgement's id)."""
    out: dict[str, list[tuple[str, str]]] = {}
    if not events:
        return out
    rows = store.select(sparql_prologue() + f"SELECT ?e ?j ?g WHERE {{ {_values('e', events)} ?e ckg:judgement ?j . ?j ckg:grade ?g }}")
    for r in rows:
        ident = split_iri(r["e"])[1]
        area = split_iri(r["j"])[1][len(ident) + 1:]
        out.setdefault(r["e"], []).append((area, split_iri(r["g"])[1]))
    for pairs in out.values():
        pairs.sort(key=lambda p: AREA_ORDER.index(p[0]) if p[0] in AREA_ORDER else len(AREA_ORDER))
    return out


def _event(r: dict, grades: list[tuple[str, str]], discussed: list[dict] | None = None) -> dict:
    """One official event as plain values (the JSON of /api/inspections and what the templates show)."""
    kind = split_iri(r["type"])[1]
    return {"id": split_iri(r["e"])[1], "council": {"id": split_iri(r["c"])[1], "name": r.get("name")}, "inspectorate": r["inspectorate"],
            "type": kind, "type_label": concept_label("inspection-type", kind), "framework": r.get("framework"),
            "start": r.get("start"), "end": r.get("end"), "published": r.get("published"), "report": r.get("report"),
            "overall": dict(grades).get("overall"),
            "judgements": [{"area": None if a == "overall" else AREAS.get(a, a), "grade": g} for a, g in grades],
            "theme": r.get("theme"), "discussed_in": discussed or []}


def official_events(store, council_ids: list[str] | None = None, grade: str | None = None, year: str | None = None,
                    kind: str | None = None, event: str | None = None) -> list[dict]:
    """Official events in the store, newest first, each with the meetings whose minutes discussed it."""
    conds = []
    if council_ids is not None:
        conds.append(_values("c", [str(iri("council", c)) for c in council_ids]) if council_ids else "FILTER(false)")
    if event:
        conds.append(_values("e", [str(iri("inspection", event))]))
    if grade:
        conds.append(f"?e ckg:judgement ?jo . ?jo ckg:grade <{iri('grade', grade)}> FILTER NOT EXISTS {{ ?jo ckg:judgementArea ?area }}")
    if year:
        conds.append(f'FILTER(SUBSTR(STR(COALESCE(?start, ?published)), 1, 4) = "{year}")')
    if kind:
        conds.append(f"?e ckg:inspectionType <{iri('inspection-type', kind)}>")
    rows = store.select(sparql_prologue() + "SELECT DISTINCT ?e ?c ?name ?inspectorate ?type ?framework ?start ?end ?published ?report ?theme "
                        f"WHERE {{\n  {_EVENT}\n  {' '.join(conds)}\n}}")
    rows.sort(key=lambda r: r["e"])
    rows.sort(key=lambda r: r.get("start") or r.get("published") or "", reverse=True)
    grades = _grades(store, [r["e"] for r in rows])
    found = discussions(store, [split_iri(r["e"])[1] for r in rows], grades)
    return [_event(r, grades.get(r["e"], []), found.get(split_iri(r["e"])[1])) for r in rows]


def discussions(store, event_ids: list[str], grades: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, list[dict]]:
    """Event id -> the meetings whose minutes refer to it, with the point and any grade the minutes state there (and whether the
    record agrees), oldest meeting first."""
    out: dict[str, list[dict]] = {}
    if not event_ids:
        return out
    events = [str(iri("inspection", e)) for e in event_ids]
    grades = grades if grades is not None else _grades(store, events)
    rows = store.select(sparql_prologue() + f"""SELECT ?x ?e ?ev ?quote ?item ?m ?day ?month ?committee WHERE {{
  {_values('e', events)} ?x ckg:recordEvent ?e ; prov:wasDerivedFrom ?ev ; ckg:quote ?quote . OPTIONAL {{ ?ev ckg:agendaItem ?item }}
  OPTIONAL {{ ?ev ckg:agendaItem?/ckg:meeting ?m OPTIONAL {{ ?m dcterms:date ?day }} OPTIONAL {{ ?m ckg:partialDate ?month }}
             OPTIONAL {{ ?m ckg:committee ?committee }} }} }}""")
    claims = _claims(store, events)
    for r in sorted(rows, key=lambda r: (r.get("day") or r.get("month") or "", split_iri(r["x"])[1])):
        record = {"judgements": "|".join(f"{a}={g}" for a, g in grades.get(r["e"], []))}
        said = []
        for j in claims.get((r["e"], r["ev"]), []):
            official = record_grade(record, j["area"])
            said.append({"judgement": j["judgement"], "grade": j["grade"], "area": j["area"], "record": official,
                         "contradicts_record": bool(official and official != j["grade"])})
        kind, ident = split_iri(r["ev"])
        out.setdefault(split_iri(r["e"])[1], []).append({
            "meeting": {"id": split_iri(r["m"])[1] if r.get("m") else None, "date": r.get("day") or r.get("month"),
                        "committee": r.get("committee")},
            "point": ident if kind == "point" else None, "item": ident if kind == "item" else split_iri(r["item"])[1] if r.get("item") else None,
            "quote": r["quote"], "claims": said})
    return out


def _claims(store, events: list[str]) -> dict[tuple[str, str], list[dict]]:
    """(event, point or item) -> the grades minutes state there about the event (ckg:statedJudgement), by judgement id."""
    rows = store.select(sparql_prologue() + f"""SELECT ?e ?j ?ev ?g ?area WHERE {{
  {_values('e', events)} ?e ckg:statedJudgement ?j . ?j prov:wasDerivedFrom ?ev ; ckg:grade ?g OPTIONAL {{ ?j ckg:judgementArea ?area }} }}""")
    out: dict[tuple[str, str], list[dict]] = {}
    for r in sorted(rows, key=lambda r: split_iri(r["j"])[1]):
        out.setdefault((r["e"], r["ev"]), []).append({"judgement": split_iri(r["j"])[1], "grade": split_iri(r["g"])[1], "area": r.get("area")})
    return out


def official_timeline(store, council_id: str) -> list[dict]:
    """The council's official inspections (and those of the councils it replaced), oldest first, for its page."""
    events = official_events(store, family(council_id))
    return sorted(events, key=lambda e: e["start"] or e["published"] or "")


def official_inspection(store, ident: str) -> Entity:
    """The page of one official event: the record's facts and grades, then the minutes that discussed it."""
    found = official_events(store, event=ident)
    if not found:
        raise NotFound(f"No inspection with id {ident}")
    ev = found[0]
    name = ev["council"]["name"]
    e = Entity("inspection", ident, f"{ev['type_label']} of {name or ev['council']['id']} ({ev['start'] or ev['published']})")
    e.facts = [("Council", council_link(ev["council"]["id"], name)), ("Inspectorate", ev["inspectorate"]),
               ("Type", Link("inspection-type", ev["type"], ev["type_label"])), ("In Ofsted's record", "yes")]
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
    return followups(store, e, ident)


def followups(store, e: Entity, ident: str) -> Entity:
    """The follow-up table: each recommendation of the inspection's report and the later meetings that took it up."""
    rows = store.select(sparql_prologue() + f"""SELECT ?rec ?text ?seq ?p ?ptext ?m ?day ?month ?committee WHERE {{
  <{iri("inspection", ident)}> ckg:recommendation ?rec . ?rec ckg:text ?text ; ckg:position ?seq .
  OPTIONAL {{ ?rec ckg:addressedIn ?p . ?p ckg:text ?ptext ; ckg:agendaItem/ckg:meeting ?m .
             OPTIONAL {{ ?m dcterms:date ?day }} OPTIONAL {{ ?m ckg:partialDate ?month }} OPTIONAL {{ ?m ckg:committee ?committee }} }} }}""")
    recs: dict[str, tuple[int, str, list]] = {}
    for r in sorted(rows, key=lambda r: (r.get("day") or r.get("month") or "", r.get("p") or "")):
        _, text, taken = recs.setdefault(r["rec"], (int(r["seq"]), r["text"], []))
        if r.get("p"):
            taken.append((Link("meeting", split_iri(r["m"])[1], meeting_label(r.get("day") or r.get("month"), r.get("committee"))),
                          Link("point", split_iri(r["p"])[1], shorten(r["ptext"], 160))))
    if recs:
        e.extra["followups"] = [(text, taken) for _, text, taken in sorted(recs.values(), key=lambda v: v[0])]
    return e


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


def listing(store, council_ids: list[str] | None, f: dict) -> dict:
    """The JSON of /api/inspections and `councilkg inspections --json`."""
    events = official_events(store, council_ids, **f)
    return {"count": len(events), "filters": f, "inspections": events}


def kinds(store) -> list[str]:
    """The inspection types Ofsted's events in the store have, for the list's framework filter."""
    rows = store.select(sparql_prologue() + "SELECT DISTINCT ?t WHERE { ?e ckg:inOfficialRecord true ; ckg:inspectionType ?t }")
    return sorted(split_iri(r["t"])[1] for r in rows if split_iri(r["t"]))


@bp.get("/inspections")
def inspections_page():
    found = listing(page_store(), None, _filters())
    return render_template("inspections.html", events=found["inspections"], f=found["filters"], kinds=kinds(page_store()), GRADES=GRADES)


@bp.get("/api/inspections")
def api_inspections():
    return jsonify(listing(page_store(), None, _filters()))
