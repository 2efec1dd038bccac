"""Compare mode: "how did other councils handle this?" answered per council with its best points, practices and actions."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

from councilkg.embed.filters import json_list, resolve_theme_id
from councilkg.embed.table import UNKNOWN_COUNCIL, theme_labels

POOL = 40  # points searched before grouping
PER_COUNCIL = 3  # best points shown per council
MAX_ACTIONS = 8


def query_themes(hits: list[dict], theme: str | None = None) -> list[str]:
    """The themes the query is about: the filter's theme if given, else those the best hits share (or the top hit's)."""
    if theme:
        return [resolve_theme_id(theme)]
    top = hits[:5]
    counts = Counter(t["id"] for h in top for t in h["themes"])
    shared = [t for t, n in counts.most_common() if n >= 2]
    return shared or [t["id"] for t in (top[0]["themes"] if top else [])]


def _evidence(con: sqlite3.Connection, doc_id: str, item_id: str | None, point_id: str | None, quote: str | None) -> dict:
    src = con.execute("SELECT source FROM documents WHERE id = ?", (doc_id,)).fetchone()
    return {"quote": quote, "point": point_id, "item": item_id, "source": src[0] if src else None}


def practices(con: sqlite3.Connection, council_id: str | None, docs: list[str], items: list[str], themes: list[str]) -> list[dict]:
    """The council's practices on the themes, or evidenced in the matched items; for an unknown council, only its documents'."""
    if council_id:
        rows = con.execute("SELECT * FROM practices WHERE council_id = ? ORDER BY id", (council_id,)).fetchall()
    else:
        rows = con.execute(
            "SELECT * FROM practices WHERE council_id IS NULL AND doc_id IN (SELECT value FROM json_each(?)) ORDER BY id",
            (json_list(docs),),
        ).fetchall()
    labels = theme_labels()
    out = []
    for r in rows:
        pthemes = json.loads(r["themes"] or "[]")
        if not (set(pthemes) & set(themes) or r["ev_item"] in items):
            continue
        out.append({
            "id": r["id"], "label": r["label"], "kind": r["kind"],
            "themes": [{"id": t, "label": labels.get(t, t)} for t in pthemes],
            "outcome": r["outcome"],
            "evidence": _evidence(con, r["doc_id"], r["ev_item"], r["ev_point"], r["quote"]),
            "outcome_evidence": _evidence(con, r["doc_id"], r["ev_item"], r["outcome_point"], r["outcome_quote"]) if r["outcome_quote"] else None,
        })
    return out


def actions(con: sqlite3.Connection, items: list[str]) -> list[dict]:
    """Resolutions, recommendations and agreed follow-ups of the matched items, in item order."""
    rows = con.execute(
        "SELECT a.id, a.kind, a.text, a.owner, a.item_id, a.doc_id, i.title, i.number, m.date, d.source "
        "FROM actions a JOIN items i ON i.id = a.item_id JOIN documents d ON d.id = a.doc_id "
        "LEFT JOIN meetings m ON m.id = i.meeting_id WHERE a.item_id IN (SELECT value FROM json_each(?))",
        (json_list(items),),
    ).fetchall()
    order = {iid: n for n, iid in enumerate(items)}
    rows.sort(key=lambda r: (order[r["item_id"]], r["id"]))
    return [
        {"id": r["id"], "kind": r["kind"], "text": r["text"], "owner": r["owner"],
         "item": {"id": r["item_id"], "title": r["title"], "number": r["number"]},
         "date": r["date"], "source": r["source"]}
        for r in rows[:MAX_ACTIONS]
    ]


def compare(searcher, query: str = "", *, k: int = POOL, per_council: int = PER_COUNCIL, **filters) -> list[dict]:
    """Search, then group by council (best council first): its best points, and its practices and actions on the query's themes."""
    with searcher.snapshot() as snap:
        hits = searcher.run(snap, query, k=k, with_facets=False, **filters)["hits"]
        themes = query_themes(hits, filters.get("theme"))
        groups = _group(hits, per_council)
        labels = theme_labels()
        for key, g in groups.items():
            shown_items = list(dict.fromkeys(h["item"]["id"] for h in g["hits"]))
            g["practices"] = practices(snap.con, key, g.pop("_docs"), g.pop("_items"), themes)
            g["actions"] = actions(snap.con, shown_items)
            g["themes"] = [{"id": t, "label": labels.get(t, t)} for t in themes]
    return sorted(groups.values(), key=lambda g: g["best_rank"])


def _group(hits: list[dict], per_council: int) -> dict[str | None, dict]:
    """Hits by council id (None: unknown council), keeping each council's best few and all its matched items."""
    groups: dict[str | None, dict] = {}
    for h in hits:
        key = h["council"]["id"] if h["council"] else None
        g = groups.setdefault(key, {
            "council": h["council"], "label": h["council"]["name"] if h["council"] else UNKNOWN_COUNCIL,
            "best_rank": h["rank"], "best_score": h["score"], "matches": 0, "hits": [], "_items": [], "_docs": [],
        })
        g["matches"] += 1
        if len(g["hits"]) < per_council:
            g["hits"].append(h)
        if h["item"]["id"] not in g["_items"]:
            g["_items"].append(h["item"]["id"])
        if h["document"] not in g["_docs"]:
            g["_docs"].append(h["document"])
    return groups
