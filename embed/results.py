"""Turning ranked point positions into the contract §2 hits, with highlights and facets an officer's UI can use."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

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


_FACET_ROWS = """
SELECT p.id, p.doc_id, m.date, m.committee, m.council_id, c.name AS council_name
FROM points p JOIN items i ON i.id = p.item_id JOIN documents d ON d.id = p.doc_id
LEFT JOIN meetings m ON m.id = i.meeting_id LEFT JOIN councils c ON c.id = m.council_id
"""
_FACETS = ("council", "committee", "year", "grade")


def _codes(values: list, n: int, at: np.ndarray) -> tuple[np.ndarray, list]:
    """Values (None: absent) placed at positions `at` of an n-long code array (-1: absent), and the distinct values."""
    seen: dict = {}
    codes = np.full(n, -1, dtype=np.int32)
    codes[at] = [-1 if v is None else seen.setdefault(v, len(seen)) for v in values]
    return codes, list(seen)


def _at(point_ids: np.ndarray, rows: list) -> tuple[list, np.ndarray]:
    """The rows whose first column is a point of this generation, and those points' positions."""
    want = np.array([r[0] for r in rows], dtype="S16")
    pos = np.clip(np.searchsorted(point_ids, want), 0, max(len(point_ids) - 1, 0)) if len(rows) else np.zeros(0, np.int64)
    ok = point_ids[pos] == want if len(point_ids) else np.zeros(len(rows), dtype=bool)
    return [r for r, keep in zip(rows, ok.tolist()) if keep], pos[ok]


@dataclass
class PointTable:
    """What facets and hits need of every point of one generation, read once when the generation loads, not per query."""

    codes: dict[str, np.ndarray]  # facet -> code per point position (-1: none, or the point has no row)
    values: dict[str, list]  # facet -> (value, label) per code
    known: np.ndarray  # bool per point: has a row (cannot be False within one generation)
    theme_ptr: np.ndarray  # point position p -> its rows of codes["theme"] and theme_score: ptr[p]:ptr[p+1], strongest first
    theme_score: np.ndarray

    @classmethod
    def load(cls, con: sqlite3.Connection, point_ids: np.ndarray) -> PointTable:
        n = len(point_ids)
        rows, at = _at(point_ids, con.execute(_FACET_ROWS).fetchall())
        grades = grade_by_document(con)
        known = np.zeros(n, dtype=bool)
        known[at] = True
        raw = {
            "council": [(r[4], r[5] if r[4] else UNKNOWN_COUNCIL) for r in rows],
            "committee": [(r[3], r[3]) if r[3] else None for r in rows],
            "year": [(r[2][:4], r[2][:4]) if r[2] else None for r in rows],
            "grade": [(grades[r[1]], grades[r[1]].replace("-", " ").capitalize()) if r[1] in grades else None for r in rows],
        }
        codes, values = {}, {}
        for f in _FACETS:
            codes[f], values[f] = _codes(raw[f], n, at)
        sql = "SELECT point_id, theme, score FROM point_themes ORDER BY point_id, score DESC, theme"
        trows, tpos = _at(point_ids, con.execute(sql).fetchall())
        order = np.argsort(tpos, kind="stable")  # grouped by position, each point's strongest first
        trows, tpos = [trows[i] for i in order.tolist()], tpos[order]
        tcode, tids = _codes([r[1] for r in trows], len(trows), np.arange(len(trows)))
        codes["theme"], values["theme"] = tcode, [(t, theme_labels().get(t, t)) for t in tids]
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(ptr, tpos + 1, 1)
        return cls(codes, values, known, np.cumsum(ptr), np.array([r[2] for r in trows], dtype=np.float64))

    def themes(self, pos: int) -> list[tuple[str, float]]:
        """(theme id, score) of the point at `pos`, strongest first."""
        a, b = self.theme_ptr[pos], self.theme_ptr[pos + 1]
        ids = self.values["theme"]
        return [(ids[c][0], s) for c, s in zip(self.codes["theme"][a:b].tolist(), self.theme_score[a:b].tolist())]

    def facets(self, pts: np.ndarray) -> dict[str, list[dict]]:
        """Counts of the points at positions `pts` per council, theme, committee, year and inspection grade at the time."""
        pts = np.unique(pts[self.known[pts]])
        out = {}
        ptr, tcode = self.theme_ptr, self.codes["theme"]
        for f in ("council", "theme", "committee", "year", "grade"):
            vals = self.values[f]
            if f == "theme":
                code = np.concatenate([tcode[ptr[p]:ptr[p + 1]] for p in pts.tolist()] or [np.zeros(0, np.int32)])
            else:
                code = self.codes[f][pts]
            counts = np.bincount(code[code >= 0], minlength=len(vals)) if len(vals) else np.zeros(0, np.int64)
            entries = [{"value": vals[c][0], "label": vals[c][1], "count": int(counts[c])} for c in np.flatnonzero(counts).tolist()]
            out[f] = sorted(entries, key=lambda e: (-e["count"], str(e["label"])))
        return out


def make_hits(con: sqlite3.Connection, ids: list[str], scores: list[float], stems: set[str], extra: dict | None = None,
              table: PointTable | None = None, positions: list[int] | None = None) -> list[dict]:
    """Contract §2 hits for ranked point ids, plus `highlights` (character spans) and `matched` (words)."""
    rows = point_rows(con, ids)
    themes = {pid: table.themes(p) for pid, p in zip(ids, positions)} if table is not None else point_themes(con, ids)
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
