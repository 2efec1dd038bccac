"""What the council did next: each inspection recommendation linked to the council's own later debate points that take
it up (ckg:addressedIn), by meaning, above a threshold measured on labelled pairs (docs/ofsted-reports.md)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from councilkg.corpus.ofsted import FORMAT as REPORT_FORMAT
from councilkg.graph import store

# Cosine (best passage of the point) at or above which a point addresses a recommendation; measured, not guessed.
THRESHOLD = 0.56
CANDIDATES = 20  # nearest later points of the council looked at per recommendation


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def link(con: sqlite3.Connection, data_dir: Path, model: str, doc_ids: list[str], threshold: float = THRESHOLD) -> int:
    """Follow-ups for what this ingest added, in one write transaction: its reports' recommendations against the
    council's later points (the vector index, filtered by council and date), and its minutes' points against the
    council's earlier recommendations. Work follows the change: a few searches per new recommendation, a few
    dot products per new point."""
    if not doc_ids:
        return 0
    pairs = _new_recommendations(con, data_dir, doc_ids, threshold) + _new_points(con, model, doc_ids, threshold)
    write(con, pairs)
    return len(pairs)


def write(con: sqlite3.Connection, pairs: list[tuple[str, str, float]]) -> None:
    """Store (recommendation, point, score) links in one transaction after the ingest's commit, as a new RDF generation
    (store.stamp_changes), so an RDF store brought up to date between the two transactions still replays them."""
    con.execute("BEGIN IMMEDIATE")
    try:
        con.executemany("INSERT OR REPLACE INTO followups(recommendation_id, point_id, score) VALUES (?,?,?)", pairs)
        store.stamp_changes(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _new_recommendations(con, data_dir: Path, doc_ids: list[str], threshold: float) -> list[tuple[str, str, float]]:
    rows = con.execute(
        "SELECT r.id, r.text, r.council_id, r.after FROM recommendations r WHERE r.council_id IS NOT NULL AND r.after IS NOT NULL"
        " AND r.doc_id IN (SELECT value FROM json_each(?))", (_json(doc_ids),)).fetchall()
    if not rows:
        return []
    from councilkg.embed.search import Searcher

    searcher = Searcher(data_dir, fusion="vector")
    out = []
    for rid, text, council, after in rows:
        got = searcher.search(text, k=CANDIDATES, council=council, since=_day_after(after), mode="vector", with_facets=False)
        hits = [h for h in got["hits"] if h["score"] >= threshold]
        findings = _report_points(con, [h["id"] for h in hits])
        out += [(rid, h["id"], float(h["score"])) for h in hits if h["id"] not in findings]
    return out


def _new_points(con, model: str, doc_ids: list[str], threshold: float) -> list[tuple[str, str, float]]:
    """Points of new minutes against the recommendations their council had received before the meeting."""
    from councilkg.embed.encoder import get_encoder

    docs = con.execute(
        "SELECT d.id, m.council_id, m.date FROM documents d JOIN meetings m ON m.id = d.meeting_id WHERE d.fmt != ?"
        " AND m.council_id IS NOT NULL AND m.date IS NOT NULL AND d.id IN (SELECT value FROM json_each(?))",
        (REPORT_FORMAT, _json(doc_ids))).fetchall()
    out: list[tuple[str, str, float]] = []
    for did, council, day in docs:
        recs = con.execute("SELECT id, text FROM recommendations WHERE council_id = ? AND after < ?", (council, day)).fetchall()
        if not recs:
            continue
        rvec = get_encoder(model).encode([t for _, t in recs])
        best = cosines(con, rvec, "p.doc_id = ?", (did,))
        out += [(recs[r][0], pid, s) for (r, pid), s in best.items() if s >= threshold]
    return out


def cosines(con, rvec: np.ndarray, where: str, args: tuple) -> dict[tuple[int, str], float]:
    """(recommendation row, point id) -> cosine of the point's best passage, for the points `where` selects."""
    pts = con.execute("SELECT s.point_id, v.vec FROM passages s JOIN points p ON p.id = s.point_id JOIN vectors v"
                      f" ON v.key = s.vec_key WHERE {where}", args).fetchall()
    if not pts:
        return {}
    sims = np.stack([np.frombuffer(v, dtype=np.float32) for _, v in pts]) @ rvec.T  # passages x recommendations
    best: dict[tuple[int, str], float] = {}
    for (pid, _), row in zip(pts, sims):
        for r, s in enumerate(row.tolist()):
            best[(r, pid)] = max(s, best.get((r, pid), -1.0))
    return best


def _report_points(con, ids: list[str]) -> set[str]:
    """Which of these points are an inspection report's own findings (never a council's follow-up)."""
    return {r[0] for r in con.execute("SELECT p.id FROM points p JOIN documents d ON d.id = p.doc_id WHERE d.fmt = ?"
                                      " AND p.id IN (SELECT value FROM json_each(?))", (REPORT_FORMAT, _json(ids)))}


def _json(ids: list[str]) -> str:
    from councilkg.embed.filters import json_list

    return json_list(ids)


def scores(con: sqlite3.Connection, data_dir: Path, rec_id: str, k: int = CANDIDATES) -> list[tuple[str, float]]:
    """The nearest later points of the council to one recommendation, with their cosines: for labelling and measuring."""
    from councilkg.embed.search import Searcher

    rid, text, council, after = con.execute("SELECT id, text, council_id, after FROM recommendations WHERE id = ?", (rec_id,)).fetchone()
    got = Searcher(data_dir, fusion="vector").search(text, k=k, council=council, since=_day_after(after), mode="vector", with_facets=False)
    findings = _report_points(con, [h["id"] for h in got["hits"]])
    return [(h["id"], float(h["score"])) for h in got["hits"] if h["id"] not in findings]
