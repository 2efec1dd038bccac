"""What the council did next: each inspection recommendation linked to the council's own later debate points that take
it up (ckg:addressedIn), by a small learned scorer whose threshold was measured on labelled pairs (docs/ofsted-reports.md);
no link at all while that scorer has not reached the precision asked (graph/followup_model.Model.trusted)."""

from __future__ import annotations

import sqlite3
from collections import Counter as _Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from councilkg.corpus.ofsted import FORMAT as REPORT_FORMAT
from councilkg.graph import followup_model, store
from councilkg.graph.followup_model import FEATURES

CANDIDATES = 20  # nearest later points of the council looked at per new recommendation


def _day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def pend(con: sqlite3.Connection, doc_ids: list[str]) -> None:
    """Inside the ingest's transaction: note which of its documents have follow-ups to find (a report's
    recommendations, or minutes of a council with earlier ones), so a run killed after its commit and before its
    follow-up transaction leaves them noted, and the next run (`resume`) finds them. Nothing is noted while no trusted
    model would link anything."""
    if not doc_ids or followup_model.active() is None:
        return
    con.execute(
        "INSERT OR IGNORE INTO followups_pending(doc_id) SELECT d.id FROM documents d WHERE d.id IN (SELECT value FROM"
        " json_each(?)) AND (EXISTS (SELECT 1 FROM recommendations r WHERE r.doc_id = d.id) OR EXISTS (SELECT 1 FROM"
        " meetings m JOIN recommendations r ON r.council_id = m.council_id AND r.after < m.date WHERE m.id = d.meeting_id))",
        (_json(doc_ids),))


def resume(con: sqlite3.Connection, data_dir: Path, model: str) -> int:
    """After the ingest's commit: the follow-ups of every noted document (this run's, and any a killed run left), written
    with the notes' removal in one transaction."""
    pending = [r[0] for r in con.execute("SELECT doc_id FROM followups_pending")]
    return link(con, data_dir, model, pending) if pending else 0


def link(con: sqlite3.Connection, data_dir: Path, model: str, doc_ids: list[str],
         scorer: followup_model.Model | None = None) -> int:
    """Follow-ups of these documents, in one write transaction that also clears their notes: their reports'
    recommendations against the council's later points (the vector index, filtered by council and date), and their
    minutes' points against the council's earlier recommendations, each pair scored by the trusted model (or `scorer`).
    Work follows the change: a few searches per new recommendation, a few dot products per new point."""
    m = scorer or followup_model.active()
    pairs = list(dict.fromkeys(_new_recommendations(con, data_dir, doc_ids) + _new_points(con, doc_ids))) if m and doc_ids else []
    links = []
    if pairs:
        from councilkg.embed.encoder import get_encoder

        p = m.probability(features(con, get_encoder(model).encode, pairs))
        links = [(r, pt, float(s)) for (r, pt), s in zip(pairs, p) if s >= m.threshold]
    write(con, links, done=doc_ids)
    return len(links)


def write(con: sqlite3.Connection, pairs: list[tuple[str, str, float]], done: list[str] = ()) -> None:
    """Store (recommendation, point, score) links and clear the notes of the documents `done`, in one transaction after
    the ingest's commit, as a new RDF generation (store.stamp_changes) when it links anything, so an RDF store brought up
    to date between the two transactions still replays them."""
    if not pairs and not con.execute("SELECT 1 FROM followups_pending WHERE doc_id IN (SELECT value FROM json_each(?))",
                                     (_json(list(done)),)).fetchone():
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        con.executemany("INSERT OR REPLACE INTO followups(recommendation_id, point_id, score) VALUES (?,?,?)", pairs)
        con.execute("DELETE FROM followups_pending WHERE doc_id IN (SELECT value FROM json_each(?))", (_json(list(done)),))
        if pairs:
            store.stamp_changes(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _new_recommendations(con, data_dir: Path, doc_ids: list[str]) -> list[tuple[str, str]]:
    """(recommendation, point) for each new recommendation and the nearest later points of its council."""
    rows = con.execute(
        "SELECT r.id, r.text, r.council_id, r.after FROM recommendations r WHERE r.council_id IS NOT NULL AND r.after IS NOT NULL"
        " AND r.doc_id IN (SELECT value FROM json_each(?))", (_json(doc_ids),)).fetchall()
    if not rows:
        return []
    from councilkg.embed.search import Searcher

    searcher = Searcher(data_dir, fusion="vector")
    return [(rid, pid) for rid, text, council, after in rows for pid, _ in _later(con, searcher, text, council, after)]


def _later(con, searcher, text: str, council: str, after: str) -> list[tuple[str, float]]:
    """The council's nearest points after `after`, with their cosines, never an inspection report's own findings (which
    are fetched and dropped: four times the candidates are asked for, so a report's many findings do not crowd them out)."""
    got = searcher.search(text, k=4 * CANDIDATES, council=council, since=_day_after(after), mode="vector", with_facets=False)
    findings = _report_points(con, [h["id"] for h in got["hits"]])
    return [(h["id"], float(h["score"])) for h in got["hits"] if h["id"] not in findings][:CANDIDATES]


def _new_points(con, doc_ids: list[str]) -> list[tuple[str, str]]:
    """(recommendation, point) for the points of new minutes and the recommendations their council had received before."""
    return [tuple(r) for r in con.execute(
        "SELECT r.id, p.id FROM documents d JOIN meetings m ON m.id = d.meeting_id JOIN points p ON p.doc_id = d.id"
        " JOIN recommendations r ON r.council_id = m.council_id AND r.after < m.date WHERE d.fmt != ?"
        " AND d.id IN (SELECT value FROM json_each(?))", (REPORT_FORMAT, _json(doc_ids)))]


def features(con: sqlite3.Connection, encode, pairs: list[tuple[str, str]]) -> np.ndarray:
    """One row of graph/followup_model.FEATURES per (recommendation id, point id): the point's best passage and mean vector
    against the recommendation, the share of the recommendation's words the point uses, how this recommendation stands among
    all the council's earlier recommendations for this point (a generic point near every one of them is no evidence), and
    the years between the report and the meeting. Reads only these points' passages and their councils' recommendations."""
    if not pairs:
        return np.zeros((0, len(FEATURES)))
    pids = sorted({p for _, p in pairs})
    pts = {r[0]: r[1:] for r in con.execute(
        "SELECT p.id, p.text, p.item_id, m.council_id, m.date FROM points p JOIN documents d ON d.id = p.doc_id JOIN meetings m"
        " ON m.id = d.meeting_id WHERE p.id IN (SELECT value FROM json_each(?))", (_json(pids),))}
    councils = sorted({c for _, _, c, _ in pts.values() if c})
    recs = con.execute("SELECT id, text, council_id, after FROM recommendations WHERE council_id IN"
                       " (SELECT value FROM json_each(?)) ORDER BY id", (_json(councils),)).fetchall()
    col = {r[0]: n for n, r in enumerate(recs)}
    rvec = _rec_vectors(con, encode, [r[1] for r in recs])
    vecs: dict[str, list[np.ndarray]] = {}
    items: dict[str, list[np.ndarray]] = {}
    for pid, item, v in con.execute(
            "SELECT s.point_id, p.item_id, v.vec FROM passages s JOIN points p ON p.id = s.point_id JOIN vectors v ON v.key = s.vec_key"
            " WHERE p.item_id IN (SELECT value FROM json_each(?)) ORDER BY s.point_id, s.seq", (_json(sorted({v[1] for v in pts.values()})),)):
        vec = np.frombuffer(v, dtype=np.float32)
        items.setdefault(item, []).append(vec)
        if pid in pts:
            vecs.setdefault(pid, []).append(vec)
    item_mean = {i: _unit(np.mean(v, axis=0)) for i, v in items.items()}
    rstems = [set(_stems(r[1])) for r in recs]
    by_point: dict[str, list[tuple[int, int]]] = {}
    for n, (rid, pid) in enumerate(pairs):
        if rid in col and pid in vecs:
            by_point.setdefault(pid, []).append((n, col[rid]))
    idf_of: dict[tuple, dict[int, dict[str, float]]] = {}
    out = np.zeros((len(pairs), len(FEATURES)))
    for pid, wanted in by_point.items():
        text, item, council, day = pts[pid]
        every = (np.stack(vecs[pid]) @ rvec.T).max(axis=0)  # the point's best passage against each recommendation
        earlier = tuple(i for i, rec in enumerate(recs) if rec[2] == council and rec[3] and day and rec[3] < day)
        best = every[list(earlier)]
        mean, spread = (float(best.mean()), float(best.std()) or 1.0) if earlier else (0.0, 1.0)
        idf = idf_of.setdefault(earlier, {})
        said = set(_stems(text))
        cos_item = item_mean[item] @ rvec.T
        for n, r in wanted:
            s = float(every[r])
            if r not in idf:  # the recommendation's words, each weighted by its rarity among the council's recommendations
                df = _Counter(w for i in earlier for w in rstems[i])
                idf[r] = {w: np.log((1 + len(earlier)) / (1 + df[w])) + 1.0 for w in rstems[r]}
            weights = idf[r]
            overlap = sum(v for w, v in weights.items() if w in said) / sum(weights.values()) if weights else 0.0
            z = (s - mean) / spread if earlier else 0.0  # no earlier recommendation to compare with: neutral
            out[n] = (s, float(cos_item[r]), overlap, z, 1.0 / (1 + int((best > s + 1e-9).sum())))
    return out


def keep_vectors(con: sqlite3.Connection, model: str, doc_ids: list[str]) -> None:
    """Inside the ingest's transaction: the new recommendations' vectors, stored beside the passages' (keyed by model and
    text), so the follow-ups of every later minutes read them instead of encoding the council's recommendations again."""
    texts = [r[0] for r in con.execute("SELECT DISTINCT text FROM recommendations WHERE doc_id IN (SELECT value FROM"
                                       " json_each(?))", (_json(doc_ids),))]
    keys = [_rec_key(model, t) for t in texts]
    have = {r[0] for r in con.execute("SELECT key FROM vectors WHERE key IN (SELECT value FROM json_each(?))", (_json(keys),))}
    todo = [(k, t) for k, t in zip(keys, texts) if k not in have]
    if todo:
        from councilkg.embed.encoder import get_encoder

        vecs = get_encoder(model).encode([t for _, t in todo])
        con.executemany("INSERT OR REPLACE INTO vectors(key, model, vec) VALUES (?,?,?)",
                        [(k, model, v.tobytes()) for (k, _), v in zip(todo, vecs)])


def _rec_key(model: str, text: str) -> str:
    from councilkg.embed.passages import vec_key

    return vec_key(model, "recommendation:" + text)


def _rec_vectors(con, encode, texts: list[str]) -> np.ndarray:
    """The recommendations' stored vectors; any not stored (a directory ingested before they were) encoded now."""
    if not texts:
        return np.zeros((0, 384), np.float32)
    model = store.get_state(con, "model")
    keys = [_rec_key(model, t) for t in texts]
    found = dict(con.execute("SELECT key, vec FROM vectors WHERE key IN (SELECT value FROM json_each(?))", (_json(keys),)))
    missing = [t for k, t in zip(keys, texts) if k not in found]
    fresh = dict(zip(missing, encode(missing))) if missing else {}
    return np.stack([np.frombuffer(found[k], dtype=np.float32) if k in found else fresh[t] for k, t in zip(keys, texts)])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) or 1.0)


def _stems(text: str) -> list[str]:
    from councilkg.embed.rank import query_stems

    return query_stems(text)


def _report_points(con, ids: list[str]) -> set[str]:
    """Which of these points are an inspection report's own findings (never a council's follow-up)."""
    return {r[0] for r in con.execute("SELECT p.id FROM points p JOIN documents d ON d.id = p.doc_id WHERE d.fmt = ?"
                                      " AND p.id IN (SELECT value FROM json_each(?))", (REPORT_FORMAT, _json(ids)))}


def _json(ids: list[str]) -> str:
    from councilkg.embed.filters import json_list

    return json_list(ids)


def scores(con: sqlite3.Connection, data_dir: Path, rec_id: str) -> list[tuple[str, float]]:
    """The nearest later points of the council to one recommendation, with their cosines: the candidates labelled."""
    from councilkg.embed.search import Searcher

    _, text, council, after = con.execute("SELECT id, text, council_id, after FROM recommendations WHERE id = ?", (rec_id,)).fetchone()
    return _later(con, Searcher(data_dir, fusion="vector"), text, council, after)
