"""Turning ranked point positions into the contract §2 hits, with highlights and facets an officer's UI can use."""

from __future__ import annotations

import json
import sqlite3
from functools import lru_cache

from councilkg.embed.filters import grade_by_document, json_list
from councilkg.embed.rank import highlight

POINT_IRI = "https://w3id.org/councilkg/id/point/"
UNKNOWN_COUNCIL = "unknown council"

_ROWS = """
SELECT p.id, p.text, p.doc_id, p.item_id, i.title, i.number, i.meeting_id, m.date, m.committee,
       m.council_id, c.name AS council_name, c.gss, d.source, d.meta_json
FROM points p JOIN items i ON i.id = p.item_id JOIN documents d ON d.id = p.doc_id
LEFT JOIN meetings m ON m.id = i.meeting_id LEFT JOIN councils c ON c.id = m.council_id
WHERE p.id IN (SELECT value FROM json_each(?))
"""


@lru_cache(maxsize=1)
def theme_labels() -> dict[str, str]:
    from councilkg.graph.themes import load_scheme

    return {t.id: t.label for t in load_scheme(include_top=True)}


def point_rows(con: sqlite3.Connection, ids: list[str]) -> dict[str, sqlite3.Row]:
    return {r["id"]: r for r in con.execute(_ROWS, (json_list(ids),))}


def point_themes(con: sqlite3.Connection, ids: list[str]) -> dict[str, list[tuple[str, float]]]:
    """Point id -> [(theme id, score)], strongest first."""
    out: dict[str, list[tuple[str, float]]] = {}
    for pid, theme, score in con.execute(
        "SELECT point_id, theme, score FROM point_themes WHERE point_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY point_id, score DESC, theme",
        (json_list(ids),),
    ):
        out.setdefault(pid, []).append((theme, score))
    return out


def council_of(row) -> dict | None:
    """The hit's council, or None when neither metadata nor text named one (never a guess)."""
    if not row["council_id"]:
        return None
    return {"name": row["council_name"], "gss": row["gss"], "id": row["council_id"]}


def source_url(meta_json: str) -> str | None:
    meta = json.loads(meta_json or "{}")
    return meta.get("source_url") or meta.get("source") or None


def make_hits(con: sqlite3.Connection, ids: list[str], scores: list[float], stems: set[str], extra: dict | None = None) -> list[dict]:
    """Contract §2 hits for ranked point ids, plus `highlights` (character spans) and `matched` (words)."""
    rows = point_rows(con, ids)
    themes = point_themes(con, ids)
    labels = theme_labels()
    hits = []
    for rank, (pid, score) in enumerate(zip(ids, scores), start=1):
        r = rows.get(pid)
        if r is None:  # cannot happen within one generation; never show a half-known hit
            continue
        spans = highlight(r["text"], stems)
        hits.append({
            "rank": rank,
            "score": round(float(score), 4),
            "id": pid,
            "uri": POINT_IRI + pid,
            "text": r["text"],
            "council": council_of(r),
            "meeting": {"date": r["date"], "committee": r["committee"], "id": r["meeting_id"]},
            "item": {"title": r["title"], "number": r["number"], "id": r["item_id"]},
            "themes": [{"id": t, "label": labels.get(t, t), "score": round(s, 3)} for t, s in themes.get(pid, [])],
            "source": r["source"],
            "source_url": source_url(r["meta_json"]),
            "document": r["doc_id"],
            "highlights": [list(s) for s in spans],
            "matched": sorted({r["text"][a:b].lower() for a, b in spans}),
            **((extra or {}).get(pid, {})),
        })
    for n, h in enumerate(hits, start=1):
        h["rank"] = n
    return hits


def facets(con: sqlite3.Connection, ids: list[str]) -> dict[str, list[dict]]:
    """Counts of the best candidates per council, theme, committee, year and inspection grade at the time."""
    rows = point_rows(con, ids)
    themes = point_themes(con, ids)
    grades = grade_by_document(con, sorted({r["doc_id"] for r in rows.values()}))
    labels = theme_labels()
    tally: dict[str, dict] = {k: {} for k in ("council", "theme", "committee", "year", "grade")}

    def add(facet: str, value, label) -> None:
        entry = tally[facet].setdefault(value, {"value": value, "label": label, "count": 0})
        entry["count"] += 1

    for pid, r in rows.items():
        add("council", r["council_id"], r["council_name"] if r["council_id"] else UNKNOWN_COUNCIL)
        for t, _ in themes.get(pid, []):
            add("theme", t, labels.get(t, t))
        if r["committee"]:
            add("committee", r["committee"], r["committee"])
        if r["date"]:
            add("year", r["date"][:4], r["date"][:4])
        if r["doc_id"] in grades:
            add("grade", grades[r["doc_id"]], grades[r["doc_id"]].replace("-", " ").capitalize())
    return {k: sorted(v.values(), key=lambda e: (-e["count"], str(e["label"]))) for k, v in tally.items()}
