"""Turning ranked point positions into the contract §2 hits, with highlights and facets an officer's UI can use."""

from __future__ import annotations

import json
import sqlite3

from councilkg.corpus.ofsted import FORMAT as REPORT_FORMAT
from councilkg.embed.filters import json_list
from councilkg.embed.rank import highlight
from councilkg.embed.table import PointTable, theme_labels

POINT_IRI = "https://w3id.org/councilkg/id/point/"

_ROWS = """
SELECT p.id, p.text, p.doc_id, p.item_id, i.title, i.number, i.meeting_id, m.date, m.committee,
       m.council_id, c.name AS council_name, c.gss, d.source, d.meta_json, d.fmt
FROM points p JOIN items i ON i.id = p.item_id JOIN documents d ON d.id = p.doc_id
LEFT JOIN meetings m ON m.id = i.meeting_id LEFT JOIN councils c ON c.id = m.council_id
WHERE p.id IN (SELECT value FROM json_each(?))
"""


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


def make_hits(con: sqlite3.Connection, ids: list[str], scores: list[float], stems: set[str], extra: dict | None = None,
              table: PointTable | None = None, positions: list[int] | None = None) -> list[dict]:
    """Contract §2 hits for ranked point ids, plus `highlights` (character spans) and `matched` (words)."""
    rows = point_rows(con, ids)
    themes = {pid: table.themes(p) for pid, p in zip(ids, positions)} if table is not None else point_themes(con, ids)
    labels = theme_labels()
    hits = []
    for pid, score in zip(ids, scores):
        r = rows.get(pid)
        if r is None:  # cannot happen within one generation; never show a half-known hit
            continue
        row = dict(r) | {"source_url": source_url(r["meta_json"])}
        hits.append(hit(row, score, themes.get(pid, []), stems, labels) | (extra or {}).get(pid, {}))
    answers = answered(con, ids)
    for n, h in enumerate(hits, start=1):
        h["rank"] = n
        if rows[h["id"]]["fmt"] == REPORT_FORMAT:
            h["finding"] = True  # an inspection report's paragraph, not the council's debate
        if h["id"] in answers:
            h["answers"] = answers[h["id"]]  # the inspection recommendations this point takes up
    return hits


def answered(con: sqlite3.Connection, ids: list[str]) -> dict[str, list[dict]]:
    """Point id -> the inspection recommendations it takes up (ckg:addressedIn, read backwards)."""
    out: dict[str, list[dict]] = {}
    for pid, rid, text, ins in con.execute(
        "SELECT f.point_id, r.id, r.text, r.inspection_id FROM followups f JOIN recommendations r ON r.id = f.recommendation_id"
        " WHERE f.point_id IN (SELECT value FROM json_each(?)) ORDER BY f.score DESC", (json_list(ids),)):
        out.setdefault(pid, []).append({"recommendation": rid, "text": text, "inspection": ins})
    return out


def hit(r, score: float, themes: list[tuple[str, float]], stems: set[str], labels: dict[str, str]) -> dict:
    """One contract §2 hit from a point's row (the columns of `_ROWS`, with `source_url` instead of `meta_json`)."""
    spans = highlight(r["text"], stems)
    return {
        "rank": 0,  # numbered by the caller, once the list is final
        "score": round(float(score), 4),
        "id": r["id"],
        "uri": POINT_IRI + r["id"],
        "text": r["text"],
        "council": council_of(r),
        "meeting": {"date": r["date"], "committee": r["committee"], "id": r["meeting_id"]},
        "item": {"title": r["title"], "number": r["number"], "id": r["item_id"]},
        "themes": [{"id": t, "label": labels.get(t, t), "score": round(s, 3)} for t, s in themes],
        "source": r["source"],
        "source_url": r["source_url"],
        "document": r["doc_id"],
        "highlights": [list(s) for s in spans],
        "matched": sorted({r["text"][a:b].lower() for a, b in spans}),
    }
