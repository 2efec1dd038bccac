"""Councils and themes: a council's timeline of inspections, interventions and meetings; a theme across all councils."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from councilkg.web.errors import MAX_LIST, NotFound
from councilkg.web.entities import (
    Entity,
    Entry,
    _one,
    concept_label,
    inspection_label,
    item_label,
    judgement_label,
    limited,
    meeting_label,
    scheme,
    theme_link,
)
from councilkg.web.present import Link, shorten
from councilkg.web.inspections import official_timeline
from councilkg.web.loaders import loader

IMPROVEMENT = re.compile(r"improv|ofsted|inspect|monitoring visit|recommendation|action plan", re.IGNORECASE)


@dataclass
class Event:
    """One dated thing on a council's timeline."""

    date: str | None
    kind: str  # inspection, intervention, meeting
    link: Link
    detail: str = ""
    subs: list[Entry] = field(default_factory=list)


def timeline(con, council_id: str) -> list[Event]:
    """Inspections (with judgements), interventions and meetings (with their improvement items), oldest first."""
    events: list[Event] = []
    for r in con.execute("SELECT * FROM inspections WHERE council_id=? AND event_id IS NULL", (council_id,)):  # linked: Ofsted's
        js = con.execute("SELECT id, grade, area FROM judgements WHERE inspection_id=? ORDER BY area IS NOT NULL, area", (r["id"],))
        detail = "expected" if r["status"] == "expected" else ""
        events.append(Event(r["date"], "inspection", Link("inspection", r["id"], inspection_label(r)), detail,
                            [Entry(Link("judgement", j["id"], judgement_label(j)), j["grade"]) for j in js]))
    for r in con.execute("SELECT * FROM interventions WHERE council_id=?", (council_id,)):
        label = concept_label("intervention-type", r["type"])
        events.append(Event(r["date"], "intervention", Link("intervention", r["id"], label), f"by {r['by']}" if r["by"] else ""))
    for m in con.execute("SELECT id, date, committee FROM meetings WHERE council_id=?", (council_id,)):
        items = con.execute("SELECT id, number, title FROM items WHERE meeting_id=? AND NOT procedural ORDER BY doc_id, seq",
                            (m["id"],)).fetchall()
        marked = [Entry(Link("item", i["id"], item_label(i["number"], i["title"])),
                        "improvement" if IMPROVEMENT.search(i["title"] or "") else "") for i in items]
        events.append(Event(m["date"], "meeting", Link("meeting", m["id"], meeting_label(m["date"], m["committee"])),
                            f"{len(items)} agenda item{'s' if len(items) != 1 else ''}", marked[:8]))
    return in_order(events)


def in_order(events: list[Event]) -> list[Event]:
    """Oldest first, undated last; on one day an inspection before an intervention before a meeting."""
    order = {"inspection": 0, "intervention": 1, "meeting": 2}
    return sorted(events, key=lambda ev: (ev.date is None, ev.date or "", order[ev.kind]))


@loader("council")
def council(con, ident):
    r = _one(con, "SELECT * FROM councils WHERE id=?", ident, "council")
    e = Entity("council", ident, r["name"])
    e.facts = [("Name", r["name"])]
    if r["gss"]:
        e.facts.append(("GSS code", r["gss"]))
        e.facts.append(("Same as", f"http://statistics.data.gov.uk/id/statistical-geography/{r['gss']}"))
    e.facts += [(k, r[c]) for k, c in (("Type", "type"), ("Region", "region")) if r[c]]
    e.extra["timeline"] = timeline(con, ident)
    e.extra["official"] = official_timeline(con, ident)
    pr = con.execute("SELECT id, label, kind, themes, outcome FROM practices WHERE council_id=? ORDER BY label", (ident,)).fetchall()
    e.group("Practices", [Entry(Link("practice", p["id"], p["label"]), p["outcome"] or p["kind"]) for p in pr])
    themes = con.execute(
        "SELECT pt.theme, count(*) AS n FROM point_themes pt JOIN points p ON p.id = pt.point_id JOIN items i ON i.id = p.item_id "
        "JOIN meetings m ON m.id = i.meeting_id WHERE m.council_id=? GROUP BY pt.theme ORDER BY n DESC", (ident,)).fetchall()
    e.group("Themes in its minutes", [Entry(theme_link(t["theme"]), f"{t['n']} points") for t in themes])
    mentions = con.execute(
        "SELECT DISTINCT m.ev_point, m.ev_item, m.quote, c.id AS cid, c.name FROM mentions m JOIN documents d ON d.id = m.doc_id "
        "LEFT JOIN meetings mt ON mt.id = d.meeting_id LEFT JOIN councils c ON c.id = mt.council_id WHERE m.council_id=? LIMIT ?",
        (ident, MAX_LIST)).fetchall()
    e.group("Mentioned in other minutes", [
        Entry(Link("point", x["ev_point"], shorten(x["quote"], 160)) if x["ev_point"] else Link("item", x["ev_item"], shorten(x["quote"], 160)),
              f"minutes of {x['name']}" if x["name"] else "") for x in mentions if x["ev_point"] or x["ev_item"]])
    return e


def theme_entity(ident: str) -> Entity:
    """A theme's page without its uses: label, other names, definition, broader and narrower, from the shipped scheme."""
    info = scheme().get(ident) or {}
    e = Entity("theme", ident, theme_link(ident).label)
    e.facts = [("Label", e.label)]
    if info.get("alt_labels"):
        e.facts.append(("Also called", ", ".join(info["alt_labels"])))
    if info.get("definition"):
        e.facts.append(("Definition", info["definition"]))
    if info.get("broader"):
        e.facts.append(("Broader", theme_link(info["broader"])))
    narrower = [theme_link(t) for t, x in scheme().items() if x.get("broader") == ident]
    if narrower:
        e.facts.append(("Narrower", narrower))
    return e


@loader("theme")
def theme(con, ident):
    info = scheme().get(ident)
    used = con.execute("SELECT 1 FROM point_themes WHERE theme=? UNION ALL SELECT 1 FROM item_themes WHERE theme=? UNION ALL "
                       "SELECT 1 FROM practices, json_each(practices.themes) WHERE value=? LIMIT 1", (ident,) * 3).fetchone()
    if info is None and used is None:
        raise NotFound(f"No theme {ident}")
    e = theme_entity(ident)
    pr = con.execute("SELECT p.id, p.label, p.outcome, p.council_id, c.name FROM practices p LEFT JOIN councils c ON c.id = p.council_id "
                     "WHERE EXISTS (SELECT 1 FROM json_each(p.themes) WHERE value=?) ORDER BY c.name, p.label", (ident,)).fetchall()
    e.group("Practices on this theme", [Entry(Link("practice", p["id"], p["label"]),
                                              " — ".join(x for x in (p["name"], p["outcome"]) if x)) for p in pr])
    rows = con.execute(
        "SELECT p.id, p.text, m.date, c.id AS cid, c.name FROM point_themes pt JOIN points p ON p.id = pt.point_id "
        "JOIN items i ON i.id = p.item_id LEFT JOIN meetings m ON m.id = i.meeting_id LEFT JOIN councils c ON c.id = m.council_id "
        "WHERE pt.theme=? ORDER BY c.name IS NULL, c.name, m.date, pt.score DESC", (ident,)).fetchall()
    total = len(rows)
    rows, _ = limited(rows, "points")
    by_council: dict[tuple, list[Entry]] = {}
    for p in rows:
        key = (p["cid"], p["name"] or "Council not stated")
        by_council.setdefault(key, []).append(Entry(Link("point", p["id"], shorten(p["text"], 220)), p["date"] or ""))
    e.extra["by_council"] = [(Link("council", cid, name) if cid else None, name, entries) for (cid, name), entries in by_council.items()]
    shown = f"the first {len(rows)} of " if len(rows) < total else ""
    e.extra["points_note"] = f"{shown}{total} point{'s' if total != 1 else ''} from {len(by_council)} group{'s' if len(by_council) != 1 else ''}"
    return e


def all_councils(con) -> list[dict]:
    """Every council with how much the data holds on it, for /councils."""
    return [dict(r) for r in con.execute(
        "SELECT c.id, c.name, c.gss, (SELECT count(*) FROM meetings m WHERE m.council_id = c.id) AS meetings, "
        "(SELECT count(*) FROM inspections i WHERE i.council_id = c.id AND i.event_id IS NULL)"
        " + (SELECT count(*) FROM official_inspections o WHERE o.council_id = c.id) AS inspections, "
        "(SELECT count(*) FROM practices p WHERE p.council_id = c.id) AS practices, "
        "(SELECT max(date) FROM meetings m WHERE m.council_id = c.id) AS latest FROM councils c ORDER BY meetings = 0, c.name")]


def all_themes(con) -> list[dict]:
    """Every theme of the scheme with its point and council counts, for /themes."""
    counts = {r["theme"]: dict(r) for r in con.execute(
        "SELECT pt.theme, count(*) AS points, count(DISTINCT m.council_id) AS councils FROM point_themes pt "
        "JOIN points p ON p.id = pt.point_id JOIN items i ON i.id = p.item_id LEFT JOIN meetings m ON m.id = i.meeting_id "
        "GROUP BY pt.theme")}
    return theme_rows(counts)


def theme_rows(counts: dict[str, dict]) -> list[dict]:
    """The /themes rows from {theme id: {points, councils}}: the scheme's themes in order, then any others the data uses."""
    ids = [t for t, x in scheme().items() if x.get("broader")] + sorted(set(counts) - set(scheme()))
    return [{"link": theme_link(t), "definition": (scheme().get(t) or {}).get("definition"),
             "points": counts.get(t, {}).get("points", 0), "councils": counts.get(t, {}).get("councils", 0)} for t in ids]


def practices_by_theme(con) -> dict[str, int]:
    return {t: n for t, n in con.execute(
        "SELECT value, count(*) FROM practices, json_each(practices.themes) GROUP BY value")}

