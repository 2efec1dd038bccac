"""A networkx graph of councils, meetings, items, facts and themes, with the questions officers ask of it.

Debate points are not nodes: at 100k points they would dominate memory for no query that needs them one by one.
Their themes are aggregated in SQL into weighted council -> theme ("discusses") edges, with the point count."""

from __future__ import annotations

import json
import math
import re
import sqlite3
import threading
from pathlib import Path

import networkx as nx

from councilkg.graph import store

IMPROVEMENT_THEME = "inspection-improvement"
_IMPROVEMENT_TITLE = re.compile(r"improv|ofsted|inspection|monitoring visit|intervention", re.IGNORECASE)
_cache: dict[str, "KG"] = {}
_lock = threading.Lock()


def n(kind: str, ident: str) -> str:
    """Node key: kind and id, so ids of different kinds never collide."""
    return f"{kind}:{ident}"


def build(con: sqlite3.Connection) -> nx.MultiDiGraph:
    """Councils, meetings, items, actions, inspections, judgements, interventions, practices and themes, with typed edges."""
    g = nx.MultiDiGraph()
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    for cid, name, gss in q("SELECT id, name, gss FROM councils"):
        g.add_node(n("council", cid), kind="council", id=cid, label=name, gss=gss)
    for mid, cid, day, committee in q("SELECT id, council_id, date, committee FROM meetings"):
        g.add_node(n("meeting", mid), kind="meeting", id=mid, date=day, label=committee or "meeting", council=cid)
        if cid:
            g.add_edge(n("meeting", mid), n("council", cid), key="council")
    for iid, mid, title, number in q("SELECT id, meeting_id, title, number FROM items WHERE procedural = 0"):
        g.add_node(n("item", iid), kind="item", id=iid, label=title, number=number)
        g.add_edge(n("item", iid), n("meeting", mid), key="meeting")
    for aid, iid, text, owner in q("SELECT a.id, a.item_id, a.text, a.owner FROM actions a JOIN items i ON i.id = a.item_id WHERE i.procedural = 0"):
        g.add_node(n("action", aid), kind="action", id=aid, label=text, owner=owner)
        g.add_edge(n("action", aid), n("item", iid), key="item")
    rows = q("SELECT s.id, s.council_id, s.inspectorate, s.type, s.date, s.status, s.quote, s.ev_item, d.meeting_id "
             "FROM inspections s JOIN documents d ON d.id = s.doc_id WHERE s.event_id IS NULL AND s.minutes_event IS NULL"
             " UNION ALL SELECT e.id, e.council_id, e.inspectorate, e.type, e.date, e.status, f.quote, NULL, f.meeting_id FROM minutes_events e"
             # one the record lacks, shared by its mentions: it sits at the first meeting that reported it, with that quote
             " LEFT JOIN (SELECT i.minutes_event, i.quote, d.meeting_id, row_number() OVER (PARTITION BY i.minutes_event"
             " ORDER BY m.date, d.meeting_id, i.id) AS k FROM inspections i JOIN documents d ON d.id = i.doc_id"
             " LEFT JOIN meetings m ON m.id = d.meeting_id WHERE i.minutes_event IS NOT NULL) f ON f.minutes_event = e.id AND f.k = 1")
    for sid, cid, by, kind, day, status, quote, ev_item, mid in rows:
        g.add_node(n("inspection", sid), kind="inspection", id=sid, label=kind, inspectorate=by, date=day, status=status,
                   quote=quote, meeting=mid)
        if cid:
            g.add_edge(n("inspection", sid), n("council", cid), key="inspected")
        if g.has_node(n("item", ev_item)):
            g.add_edge(n("inspection", sid), n("item", ev_item), key="evidence")
    for sid, cid, by, kind, day, overall in q("SELECT id, council_id, inspectorate, type, coalesce(start, published), overall "
                                               "FROM official_inspections"):  # Ofsted's record; mentions resolved to it discuss it
        g.add_node(n("inspection", sid), kind="inspection", id=sid, label=kind, inspectorate=by, date=day, status="happened",
                   official=True, overall=overall)
        g.add_edge(n("inspection", sid), n("council", cid), key="inspected")
    for sid, ev_item in q("SELECT coalesce(event_id, minutes_event), ev_item FROM inspections WHERE coalesce(event_id, minutes_event) IS NOT NULL"):
        if g.has_node(n("item", ev_item)) and g.has_node(n("inspection", sid)):
            g.add_edge(n("inspection", sid), n("item", ev_item), key="discussedIn")
    for jid, sid, event, shared, grade, area, quote in q("SELECT j.id, i.id, i.event_id, i.minutes_event, j.grade, j.area, j.quote "
                                                         "FROM judgements j JOIN inspections i ON i.id = j.inspection_id"):
        g.add_node(n("judgement", jid), kind="judgement", id=jid, label=grade, area=area, quote=quote)
        g.add_edge(n("inspection", event or shared or sid), n("judgement", jid), key="statedJudgement" if event else "judgement")
    rows = q("SELECT v.id, v.council_id, v.type, v.by, v.date, v.quote, d.meeting_id FROM interventions v JOIN documents d ON d.id = v.doc_id")
    for vid, cid, kind, by, day, quote, mid in rows:
        g.add_node(n("intervention", vid), kind="intervention", id=vid, label=kind, by=by, date=day, quote=quote, meeting=mid)
        if cid:
            g.add_edge(n("intervention", vid), n("council", cid), key="concerns")
    for pid, cid, label, kind, themes, outcome, quote, ev_point in q(
            "SELECT id, council_id, label, kind, themes, outcome, quote, ev_point FROM practices"):
        g.add_node(n("practice", pid), kind="practice", id=pid, label=label, practice_kind=kind, outcome=outcome,
                   quote=quote, point=ev_point)
        if cid:
            g.add_edge(n("practice", pid), n("council", cid), key="adoptedBy")
        for theme in json.loads(themes or "[]"):
            g.add_edge(n("practice", pid), _theme(g, theme), key="theme")
    for iid, theme, score in q("SELECT t.item_id, t.theme, t.score FROM item_themes t JOIN items i ON i.id = t.item_id WHERE i.procedural = 0"):
        g.add_edge(n("item", iid), _theme(g, theme), key="theme", weight=score)
    for cid, theme, weight, points in q(
            "SELECT m.council_id, t.theme, sum(t.score), count(*) FROM point_themes t JOIN points p ON p.id = t.point_id "
            "JOIN items i ON i.id = p.item_id JOIN meetings m ON m.id = i.meeting_id "
            "WHERE m.council_id IS NOT NULL AND i.procedural = 0 GROUP BY m.council_id, t.theme"):
        g.add_edge(n("council", cid), _theme(g, theme), key="discusses", weight=weight, points=points)
    for by, cid, count in q("SELECT m.council_id, x.council_id, count(*) FROM mentions x JOIN documents d ON d.id = x.doc_id "
                            "JOIN meetings m ON m.id = d.meeting_id WHERE m.council_id IS NOT NULL AND m.council_id != x.council_id "
                            "GROUP BY m.council_id, x.council_id"):
        g.add_edge(n("council", by), n("council", cid), key="mentions", count=count)
    return g


def _theme(g: nx.MultiDiGraph, theme: str) -> str:
    key = n("theme", theme)
    if key not in g:
        g.add_node(key, kind="theme", id=theme, label=theme)
    return key


def _node(g: nx.MultiDiGraph, key: str) -> dict:
    return dict(g.nodes[key])


class KG:
    """The graph plus its query layer; nodes are dicts of plain values, ready for templates and JSON."""

    def __init__(self, graph: nx.MultiDiGraph):
        self.graph = graph

    def _in(self, key: str, edge: str, kind: str | None = None) -> list[str]:
        if key not in self.graph:
            return []
        return [u for u, _, k in self.graph.in_edges(key, keys=True) if k == edge and (kind is None or u.startswith(kind + ":"))]

    def timeline(self, council_id: str) -> list[dict]:
        """Inspections (with judgements), interventions and meetings (with improvement items and actions), oldest first; undated facts sit at the meeting that reported them."""
        g, c = self.graph, n("council", council_id)
        events = []
        for key in self._in(c, "inspected") + self._in(c, "concerns"):
            ev = _node(g, key)
            ev["reported"] = g.nodes[n("meeting", ev["meeting"])].get("date") if ev.get("meeting") else None
            ev["judgements"] = [_node(g, j) for _, j, k in g.out_edges(key, keys=True) if k == "judgement"]
            events.append(ev)
        for key in self._in(c, "council", "meeting"):
            ev = _node(g, key)
            items = [i for i in self._in(key, "meeting", "item") if self._improvement(i)]
            ev["items"] = [dict(_node(g, i), actions=[_node(g, a) for a in self._in(i, "item", "action")]) for i in items]
            events.append(ev)
        order = {"inspection": 0, "intervention": 1, "meeting": 2}
        return sorted(events, key=lambda e: (not (e.get("date") or e.get("reported")), e.get("date") or e.get("reported") or "",
                                             order[e["kind"]], e["id"]))

    def _improvement(self, item: str) -> bool:
        g = self.graph
        return g.has_edge(item, n("theme", IMPROVEMENT_THEME), key="theme") or bool(_IMPROVEMENT_TITLE.search(g.nodes[item]["label"] or ""))

    def theme_profile(self, council_id: str) -> dict[str, float]:
        """Theme -> share of the council's theme evidence (scores summed over its debate points), summing to 1."""
        c = n("council", council_id)
        if c not in self.graph:
            return {}
        w = {self.graph.nodes[t]["id"]: d["weight"] for _, t, k, d in self.graph.out_edges(c, keys=True, data=True) if k == "discusses"}
        total = sum(w.values())
        return {t: v / total for t, v in sorted(w.items(), key=lambda kv: -kv[1])} if total else {}

    def similar_councils(self, council_id: str, k: int = 5) -> list[dict]:
        """The k councils whose theme profiles are closest by cosine similarity."""
        mine = self.theme_profile(council_id)
        scored = []
        for key, data in self.graph.nodes(data=True):
            if data["kind"] != "council" or data["id"] == council_id:
                continue
            other = self.theme_profile(data["id"])
            dot = sum(v * other.get(t, 0.0) for t, v in mine.items())
            if dot > 0:
                norm = math.sqrt(sum(v * v for v in mine.values())) * math.sqrt(sum(v * v for v in other.values()))
                scored.append({"council": data["id"], "label": data["label"], "gss": data["gss"], "score": dot / norm})
        return sorted(scored, key=lambda r: (-r["score"], r["label"]))[:k]

    def councils_sharing_theme(self, theme_id: str) -> list[dict]:
        """Councils whose minutes discuss the theme, most evidence first, with their practices on it."""
        t = n("theme", theme_id)
        out = []
        for u, _, k, d in (self.graph.in_edges(t, keys=True, data=True) if t in self.graph else []):
            if k == "discusses":
                practices = [p for p in self._in(u, "adoptedBy", "practice") if self.graph.has_edge(p, t, key="theme")]
                out.append({**_node(self.graph, u), "weight": d["weight"], "points": d["points"], "practices": len(practices)})
        return sorted(out, key=lambda r: (-r["weight"], r["label"]))

    def practices_for_theme(self, theme_id: str) -> list[dict]:
        """Every practice on the theme across councils, with its council (None if unknown), outcome and evidence."""
        out = []
        for p in self._in(n("theme", theme_id), "theme", "practice"):
            councils = [self.graph.nodes[c] for _, c, k in self.graph.out_edges(p, keys=True) if k == "adoptedBy"]
            out.append({**_node(self.graph, p), "council": councils[0]["id"] if councils else None,
                        "council_label": councils[0]["label"] if councils else None})
        return sorted(out, key=lambda r: (r["council_label"] or "\uffff", r["label"]))


def load(data_dir: str | Path) -> KG:
    """The graph of the database's current state, built once per generation and shared by the process."""
    from councilkg.graph.sparql import fingerprint

    con = store.connect(data_dir, readonly=True)
    try:
        with _lock:
            key = f"{Path(data_dir).resolve()}#{fingerprint(con)}"
            if key not in _cache:
                for stale in [k for k in _cache if k.split("#")[0] == key.split("#")[0]]:
                    del _cache[stale]
                _cache[key] = KG(build(con))
            return _cache[key]
    finally:
        con.close()
