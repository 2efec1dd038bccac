"""Compare mode: "how did other councils handle this?" answered per council with its best points, practices and actions."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import Callable

from councilkg.embed.filters import json_list, resolve_theme_id
from councilkg.embed.table import UNKNOWN_COUNCIL, theme_labels

POOL = 40  # points searched before grouping
PER_COUNCIL = 3  # best points shown per council
MAX_ACTIONS = 8


@dataclass(frozen=True)
class Reader:
    """Where practices and actions are read from (a data directory's database here; the SPARQL store in web/), as plain rows.

    practices(council id or None, its documents) -> rows with id, label, kind, themes (list), outcome, ev_item, ev_point,
    quote, outcome_point, outcome_quote, source; actions(item ids) -> rows with id, kind, text, owner, item_id, title,
    number, date, source."""

    practices: Callable[[str | None, list[str]], list[dict]]
    actions: Callable[[list[str]], list[dict]]


def query_themes(hits: list[dict], theme: str | None = None) -> list[str]:
    """The themes the query is about: the filter's theme if given, else those the best hits share (or the top hit's)."""
    if theme:
        return [resolve_theme_id(theme)]
    top = hits[:5]
    counts = Counter(t["id"] for h in top for t in h["themes"])
    shared = [t for t, n in counts.most_common() if n >= 2]
    return shared or [t["id"] for t in (top[0]["themes"] if top else [])]


def practice_rows(con: sqlite3.Connection, council_id: str | None, docs: list[str]) -> list[dict]:
    """The council's practices, or for an unknown council (None) those of its documents, from the database."""
    cols = "SELECT p.*, d.source FROM practices p LEFT JOIN documents d ON d.id = p.doc_id "
    if council_id:
        rows = con.execute(cols + "WHERE p.council_id = ? ORDER BY p.id", (council_id,)).fetchall()
    else:
        rows = con.execute(cols + "WHERE p.council_id IS NULL AND p.doc_id IN (SELECT value FROM json_each(?)) ORDER BY p.id",
                           (json_list(docs),)).fetchall()
    return [dict(r) | {"themes": json.loads(r["themes"] or "[]")} for r in rows]


def action_rows(con: sqlite3.Connection, items: list[str]) -> list[dict]:
    """The actions of these items with their item, meeting date and minutes, from the database."""
    return [dict(r) for r in con.execute(
        "SELECT a.id, a.kind, a.text, a.owner, a.item_id, i.title, i.number, m.date, d.source "
        "FROM actions a JOIN items i ON i.id = a.item_id JOIN documents d ON d.id = a.doc_id "
        "LEFT JOIN meetings m ON m.id = i.meeting_id WHERE a.item_id IN (SELECT value FROM json_each(?))",
        (json_list(items),),
    )]


def sqlite_reader(con: sqlite3.Connection) -> Reader:
    """A data directory's practices and actions, read in the snapshot `con` holds."""
    return Reader(partial(practice_rows, con), partial(action_rows, con))


def practices(rows: list[dict], items: list[str], themes: list[str]) -> list[dict]:
    """The practices on the themes, or evidenced in the matched items, in id order."""
    labels = theme_labels()
    out = []
    for r in sorted(rows, key=lambda r: r["id"]):
        if not (set(r["themes"]) & set(themes) or r["ev_item"] in items):
            continue
        out.append({
            "id": r["id"], "label": r["label"], "kind": r["kind"],
            "themes": [{"id": t, "label": labels.get(t, t)} for t in r["themes"]],
            "outcome": r["outcome"],
            "evidence": {"quote": r["quote"], "point": r["ev_point"], "item": r["ev_item"], "source": r["source"]},
            "outcome_evidence": {"quote": r["outcome_quote"], "point": r["outcome_point"], "item": r["ev_item"],
                                 "source": r["source"]} if r["outcome_quote"] else None,
        })
    return out


def actions(rows: list[dict], items: list[str]) -> list[dict]:
    """Resolutions, recommendations and agreed follow-ups of the matched items, in item order."""
    order = {iid: n for n, iid in enumerate(items)}
    rows = sorted(rows, key=lambda r: (order[r["item_id"]], r["id"]))
    return [
        {"id": r["id"], "kind": r["kind"], "text": r["text"], "owner": r["owner"],
         "item": {"id": r["item_id"], "title": r["title"], "number": r["number"]},
         "date": r["date"], "source": r["source"]}
        for r in rows[:MAX_ACTIONS]
    ]


def compare(searcher, query: str = "", *, k: int = POOL, per_council: int = PER_COUNCIL, reader: Reader | None = None,
            **filters) -> list[dict]:
    """Search, then group by council (best council first): its best points, and its practices and actions on the query's themes.

    Without a reader, hits, practices and actions come from one snapshot of the searcher's data directory; with one
    (a searcher without a data directory), the hits from searcher.search and the rest from the reader."""
    if reader is not None:
        return grouped(searcher.search(query, k=k, with_facets=False, **filters)["hits"], reader, per_council, filters.get("theme"))
    with searcher.snapshot() as snap:
        hits = searcher.run(snap, query, k=k, with_facets=False, **filters)["hits"]
        return grouped(hits, sqlite_reader(snap.con), per_council, filters.get("theme"))


def grouped(hits: list[dict], reader: Reader, per_council: int = PER_COUNCIL, theme: str | None = None) -> list[dict]:
    """The hits by council, each with its practices and actions as the reader gives them, best council first."""
    themes = query_themes(hits, theme)
    groups = _group(hits, per_council)
    labels = theme_labels()
    for key, g in groups.items():
        shown_items = list(dict.fromkeys(h["item"]["id"] for h in g["hits"]))
        g["practices"] = practices(reader.practices(key, g.pop("_docs")), g.pop("_items"), themes)
        g["actions"] = actions(reader.actions(shown_items), shown_items)
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
