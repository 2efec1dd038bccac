"""Loaders for the graph's smaller nodes: meetings, documents, items, points, actions, inspections and what they yield."""

from __future__ import annotations

import json

from councilkg.web.errors import NotFound
from councilkg.web.entities import (
    Entity,
    Entry,
    Quote,
    _one,
    concept_label,
    context_of_item,
    council_link,
    evidence_link,
    facts_from,
    inspection_label,
    item_label,
    judgement_label,
    limited,
    meeting_label,
    theme_link,
    themes_of,
)
from councilkg.web.present import GRADES, Link, grade_label, safe_url, shorten
from councilkg.web.loaders import loader


@loader("meeting")
def meeting(con, ident):
    r = _one(con, "SELECT m.*, c.name FROM meetings m LEFT JOIN councils c ON c.id = m.council_id WHERE m.id=?", ident, "meeting")
    e = Entity("meeting", ident, meeting_label(r["date"], r["committee"]))
    e.facts = [("Council", council_link(r["council_id"], r["name"]) or "not stated"), ("Date", r["date"] or "unknown"),
               ("Committee", r["committee"] or "unknown"), ("Council decided by", r["council_method"])]
    e.facts += [(f"{label} decided by", r[key]) for label, key in (("Date", "date_method"), ("Committee", "committee_method"))
                if r[key]]
    if r["council_evidence"]:
        e.evidence.append(Quote(r["council_evidence"], note="why this council"))
    docs = con.execute("SELECT id, source FROM documents WHERE meeting_id=? ORDER BY source", (ident,)).fetchall()
    e.group("Minutes", [Entry(Link("document", d["id"], d["source"])) for d in docs])
    items = con.execute("SELECT id, number, title, procedural FROM items WHERE meeting_id=? ORDER BY doc_id, seq", (ident,)).fetchall()
    e.group("Agenda items", [Entry(Link("item", i["id"], item_label(i["number"], i["title"])), "procedural" if i["procedural"] else "")
                             for i in items])
    return e


@loader("document")
def document(con, ident):
    r = _one(con, "SELECT * FROM documents WHERE id=?", ident, "document")
    meta = json.loads(r["meta_json"] or "{}")
    e = Entity("document", ident, r["title"] or r["source"])
    e.facts = [("File", r["source"]), ("Read as", r["fmt"]), ("SHA-256", r["sha256"]), ("Ingested", r["ingested_at"])]
    if r["meeting_id"]:
        m = con.execute("SELECT date, committee FROM meetings WHERE id=?", (r["meeting_id"],)).fetchone()
        if m:
            e.facts.insert(0, ("Meeting", Link("meeting", r["meeting_id"], meeting_label(m["date"], m["committee"]))))
    url = safe_url(meta.get("source_url") or meta.get("source"))
    if url:
        e.facts.append(("Published at", url))
    e.facts += [(f"Metadata: {k}", str(v)) for k, v in sorted(meta.items()) if k not in ("source_url", "source")]
    items = con.execute("SELECT id, number, title FROM items WHERE doc_id=? ORDER BY seq", (ident,)).fetchall()
    e.group("Agenda items", [Entry(Link("item", i["id"], item_label(i["number"], i["title"]))) for i in items])
    return e


@loader("item")
def item(con, ident):
    r = _one(con, "SELECT * FROM items WHERE id=?", ident, "item")
    e = Entity("item", ident, item_label(r["number"], r["title"]))
    e.facts = [f for f in context_of_item(con, ident) if f[0] != "Agenda item"]
    e.facts.append(("Themes", themes_of(con, "item_themes", "item_id", ident) or "none assigned"))
    if r["procedural"]:
        e.facts.append(("Procedural", "yes (apologies, declarations, minutes of the last meeting…)"))
    if r["description"]:
        e.facts.append(("Agenda text (not minutes, not searched)", r["description"]))
    e.text = r["text"]
    pts = con.execute("SELECT id, kind, text FROM points WHERE item_id=? ORDER BY seq", (ident,)).fetchall()
    rows, title = limited(pts, "Debate points")
    e.group(title, [Entry(Link("point", p["id"], shorten(p["text"], 200)), p["kind"]) for p in rows])
    acts = con.execute("SELECT id, kind, text FROM actions WHERE item_id=? ORDER BY seq", (ident,)).fetchall()
    e.group("Actions and resolutions", [Entry(Link("action", a["id"], shorten(a["text"], 200)), a["kind"]) for a in acts])
    e.group("Facts read from this item", facts_from(con, "ev_item", ident))
    return e


@loader("point")
def point(con, ident):
    r = _one(con, "SELECT * FROM points WHERE id=?", ident, "point")
    e = Entity("point", ident, shorten(r["text"], 90))
    e.text = r["text"]
    e.facts = context_of_item(con, r["item_id"]) + [
        ("Kind", r["kind"]),
        ("Themes", themes_of(con, "point_themes", "point_id", ident) or "none assigned"),
    ]
    mentioned = con.execute(
        "SELECT DISTINCT c.id, c.name FROM mentions m JOIN councils c ON c.id = m.council_id WHERE m.ev_point=?", (ident,)
    ).fetchall()
    if mentioned:
        e.facts.append(("Mentions", [Link("council", c["id"], c["name"]) for c in mentioned]))
    e.group("Facts read from this point", facts_from(con, "ev_point", ident))
    near = con.execute(
        "SELECT id, seq, text FROM points WHERE item_id=? AND seq BETWEEN ? AND ? AND id<>? ORDER BY seq",
        (r["item_id"], r["seq"] - 2, r["seq"] + 2, ident),
    ).fetchall()
    e.group("Nearby points in the same item", [Entry(Link("point", p["id"], shorten(p["text"], 200)),
                                                     "before" if p["seq"] < r["seq"] else "after") for p in near])
    return e


@loader("action")
def action(con, ident):
    r = _one(con, "SELECT * FROM actions WHERE id=?", ident, "action")
    e = Entity("action", ident, shorten(r["text"], 90))
    e.text = r["text"]
    e.facts = context_of_item(con, r["item_id"]) + [("Kind", r["kind"]), ("Owner", r["owner"] or "not stated")]
    e.facts += [(label, r[key]) for label, key in (("Proposed by", "proposer"), ("Seconded by", "seconder")) if r[key]]
    return e


def _quote(con, r, note: str = "") -> Quote | None:
    return Quote(r["quote"], evidence_link(con, r["ev_item"], r["ev_point"]), note) if r["quote"] else None


def _inspected(con, r, e: Entity, label: str = "Council") -> None:
    c = con.execute("SELECT id, name FROM councils WHERE id=?", (r["council_id"],)).fetchone() if r["council_id"] else None
    e.facts.insert(0, (label, council_link(c["id"], c["name"]) if c else "not stated"))


@loader("inspection")
def inspection(con, ident):
    if ident.startswith("ofsted-"):  # an event of Ofsted's record, not one read from minutes
        from councilkg.web.inspections import official_inspection

        return official_inspection(con, ident)
    r = _one(con, "SELECT * FROM inspections WHERE id=?", ident, "inspection")
    if r["event_id"]:  # a mention resolved to Ofsted's event is that event
        from councilkg.web.inspections import official_inspection

        return official_inspection(con, r["event_id"])
    e = Entity("inspection", ident, inspection_label(r))
    e.facts = [("Inspectorate", r["inspectorate"]), ("Type", Link("inspection-type", r["type"], concept_label("inspection-type", r["type"]))),
               ("Date", r["date"] or "not stated"), ("Status", r["status"])]
    _inspected(con, r, e)
    js = con.execute("SELECT id, grade, area FROM judgements WHERE inspection_id=? ORDER BY area IS NOT NULL, area", (ident,)).fetchall()
    e.facts.append(("Judgements", [Link("judgement", j["id"], judgement_label(j)) for j in js] or "none stated"))
    e.evidence = [q for q in [_quote(con, r)] if q]
    return e


@loader("judgement")
def judgement(con, ident):
    r = _one(con, "SELECT j.*, i.inspectorate, i.type, i.date, i.council_id FROM judgements j "
                  "JOIN inspections i ON i.id = j.inspection_id WHERE j.id=?", ident, "judgement")
    e = Entity("judgement", ident, judgement_label(r))
    e.facts = [("Grade", Link("grade", r["grade"], grade_label(r["grade"]))), ("Area", r["area"] or "overall effectiveness"),
               ("Inspection", Link("inspection", r["inspection_id"], inspection_label(r)))]
    _inspected(con, r, e)
    e.evidence = [q for q in [_quote(con, r)] if q]
    return e


@loader("intervention")
def intervention(con, ident):
    r = _one(con, "SELECT * FROM interventions WHERE id=?", ident, "intervention")
    e = Entity("intervention", ident, concept_label("intervention-type", r["type"]))
    e.facts = [("Type", Link("intervention-type", r["type"], e.label)), ("By", r["by"] or "not stated"),
               ("Date", r["date"] or "not stated")]
    _inspected(con, r, e)
    e.evidence = [q for q in [_quote(con, r)] if q]
    return e


@loader("practice")
def practice(con, ident):
    r = _one(con, "SELECT * FROM practices WHERE id=?", ident, "practice")
    e = Entity("practice", ident, r["label"])
    e.facts = [("Kind", r["kind"]), ("Themes", [theme_link(t) for t in json.loads(r["themes"] or "[]")] or "none"),
               ("Outcome", r["outcome"] or "not reported in the minutes")]
    _inspected(con, r, e, "Adopted by")
    e.evidence = [q for q in [_quote(con, r, "what was done")] if q]
    if r["outcome_quote"]:
        e.evidence.append(Quote(r["outcome_quote"], evidence_link(con, None, r["outcome_point"]), "how it went"))
    return e


@loader("grade")
def grade(con, ident):
    if ident not in GRADES and not con.execute("SELECT 1 FROM judgements WHERE grade=?", (ident,)).fetchone():
        raise NotFound(f"No grade {ident}")
    e = Entity("grade", ident, grade_label(ident))
    rows = con.execute(
        "SELECT j.id, j.grade, j.area, i.id AS iid, i.inspectorate, i.type, i.date, c.name FROM judgements j "
        "JOIN inspections i ON i.id = j.inspection_id LEFT JOIN councils c ON c.id = i.council_id "
        "WHERE j.grade=? ORDER BY c.name, i.date", (ident,)).fetchall()
    rows, title = limited(rows, "Judgements with this grade")
    e.group(title, [Entry(Link("judgement", j["id"], f"{j['name'] or 'Unknown council'}: {judgement_label(j)}"),
                          inspection_label(j)) for j in rows])
    return e


def _concept_page(con, kind: str, table: str, target: str, ident: str, noun: str) -> Entity:
    """An inspection or intervention type: every one of that type, by council."""
    rows = con.execute(f"SELECT t.*, c.name FROM {table} t LEFT JOIN councils c ON c.id = t.council_id WHERE t.type=? "
                       "ORDER BY c.name, t.date", (ident,)).fetchall()
    if not rows:
        raise NotFound(f"No {noun} of type {ident}")
    e = Entity(kind, ident, concept_label(kind, ident))
    rows, title = limited(rows, f"{noun.capitalize()} of this type")
    label = inspection_label if table == "inspections" else lambda r: e.label + (f" ({r['date']})" if r["date"] else "")
    e.group(title, [Entry(Link(target, r["id"], f"{r['name'] or 'Unknown council'}: {label(r)}"), r["by"] if "by" in r.keys() else r["status"])
                    for r in rows])
    return e


@loader("inspection-type")
def inspection_type(con, ident):
    return _concept_page(con, "inspection-type", "inspections", "inspection", ident, "inspections")


@loader("intervention-type")
def intervention_type(con, ident):
    return _concept_page(con, "intervention-type", "interventions", "intervention", ident, "interventions")
