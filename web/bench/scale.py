"""A 100k-point data directory derived from one real ingest, written straight into the store, so search can be measured at scale."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np

from councilkg.corpus.model import stable_id
from councilkg.embed import grow
from councilkg.embed import index as indexes
from councilkg.graph import store
from councilkg.web.bench.corpus import COMMITTEES, councils, sentences, write_corpus

BASE_DOCS = 40  # real minutes ingested with the real encoder; their vectors seed every derived one
MIX = (0.62, 0.26, 0.12)  # weights of the own, a second and a third real point vector in a derived one
NOISE = 0.02  # per-dimension noise before renormalising
FACT_TABLES = ("inspections", "judgements", "interventions", "practices", "mentions")


def cache_root(workdir: Path, seed: int, points: int, docs: int) -> Path:
    return Path(workdir) / f"scale-s{seed}-p{points}-d{docs}"


def ensure_base(workdir: Path, seed: int, docs: int = BASE_DOCS) -> Path:
    """A real ingest of BASE_DOCS synthetic minutes (the only texts the scale corpus embeds), cached."""
    from councilkg.embed.pipeline import ingest

    root = Path(workdir) / f"base-s{seed}-d{docs}"
    base = root / "data"
    if (base / "DONE").exists():
        return base
    shutil.rmtree(base, ignore_errors=True)
    write_corpus(root / "src", docs, seed=seed + 1000)
    ingest([str(root / "src")], base)
    (base / "DONE").write_text("ok")
    return base


def ensure_scale(workdir: Path, seed: int, points: int, docs: int = BASE_DOCS, log=print) -> tuple[Path, dict]:
    """The cached derived data directory with `points` points from `docs` really ingested minutes, built (minutes) when missing."""
    root = cache_root(workdir, seed, points, docs)
    data = root / "data"
    done = data / "BUILT.json"
    if done.exists() and (how := json.loads(done.read_text())).get("index_format") == indexes.FORMAT:
        return data, how
    t0 = time.perf_counter()
    base = ensure_base(workdir, seed, docs)
    log(f"building the {points:,}-point search corpus in {data} (first run only)")
    shutil.rmtree(data, ignore_errors=True)
    how = derive(base, data, seed, points)
    t1 = time.perf_counter()
    from councilkg.graph import sparql

    sparql.open_store(data)  # the cached Oxigraph store SPARQL queries run on
    how["rdf_build_s"] = round(time.perf_counter() - t1, 1)
    how["build_s"] = round(time.perf_counter() - t0, 1)
    how["index_format"] = indexes.FORMAT  # a cache built by older code is rebuilt, not measured
    done.write_text(json.dumps(how))
    return data, how


def _base_points(bcon: sqlite3.Connection):
    """Every real point with its item, its first passage vector and its themes."""
    rows = bcon.execute(
        "SELECT p.id, p.item_id, p.doc_id, p.seq, p.kind, p.text, p.context, v.vec FROM points p "
        "JOIN passages s ON s.point_id = p.id AND s.seq = 0 JOIN vectors v ON v.key = s.vec_key ORDER BY p.id").fetchall()
    vecs = np.frombuffer(b"".join(r[7] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    return rows, vecs


def derive(base: Path, out: Path, seed: int, target: int) -> dict:
    """Copy the base's documents again and again under other councils, dates and committees until `target` points.

    Each copied point gets a recombined text (its own sentences plus one from another real point) and a vector that is the
    normalised mixture of its own and two other real point vectors plus noise; facts and themes are copied with it."""
    from councilkg.embed.passages import passage_text, vec_key

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    bcon = store.connect(base, readonly=True)
    model = store.get_state(bcon, "model")
    rows, bvecs = _base_points(bcon)
    docs = bcon.execute("SELECT * FROM documents ORDER BY id").fetchall()
    items = bcon.execute("SELECT * FROM items ORDER BY doc_id, seq").fetchall()
    facts = {t: bcon.execute(f"SELECT * FROM {t}").fetchall() for t in FACT_TABLES}
    pthemes = bcon.execute("SELECT * FROM point_themes").fetchall()
    ithemes = bcon.execute("SELECT * FROM item_themes").fetchall()
    bcon.close()
    sents = [sentences(r[5]) or [r[5]] for r in rows]
    by_doc: dict[str, list[int]] = {}
    for n, r in enumerate(rows):
        by_doc.setdefault(r[2], []).append(n)
    replicas = -(-target // len(rows))
    con = store.connect(out)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("ATTACH DATABASE ? AS base", (str(base / store.DB_NAME),))
    con.execute("BEGIN")
    con.execute("INSERT OR IGNORE INTO vectors SELECT * FROM base.vectors WHERE key NOT IN (SELECT vec_key FROM base.passages)")
    gaz = councils()
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    made = 0
    for rep in range(replicas):
        for d in docs:
            if made >= target:
                break
            c = rng.choice(gaz)
            ids = _copy_document(con, d, rep, c, rng, items, facts, ithemes, now)
            prow, vrow, trow = [], [], []
            for n in by_doc.get(d["id"], []):
                r = rows[n]
                a, b = rng.randrange(len(rows)), rng.randrange(len(rows))
                mix = MIX[0] * bvecs[n] + MIX[1] * bvecs[a] + MIX[2] * bvecs[b] + nrng.normal(0, NOISE, bvecs.shape[1])
                mix = (mix / np.linalg.norm(mix)).astype(np.float32)
                s = list(sents[n])
                s.insert(rng.randrange(len(s) + 1), rng.choice(sents[a]))
                text = " ".join(s)
                pid = ids[r[0]]
                title = ids["title:" + r[1]]
                key = vec_key(model, passage_text(title, text))
                prow.append((pid, ids[r[1]], ids[r[2]], r[3], r[4], text, r[6]))
                vrow.append((pid, key, mix.tobytes()))
                trow += [(pid, t[1], t[2], t[3]) for t in pthemes_of(pthemes, r[0])]
            con.executemany("INSERT INTO points(id, item_id, doc_id, seq, kind, text, context) VALUES (?,?,?,?,?,?,?)", prow)
            con.executemany("INSERT INTO passages(point_id, seq, vec_key) VALUES (?,0,?)", [(p, k) for p, k, _ in vrow])
            con.executemany("INSERT OR REPLACE INTO vectors(key, model, vec) VALUES (?,?,?)", [(k, model, v) for _, k, v in vrow])
            con.executemany("INSERT OR REPLACE INTO point_themes(point_id, theme, score, evidence) VALUES (?,?,?,?)", trow)
            made += len(prow)
    con.execute("COMMIT")
    con.execute("DETACH DATABASE base")
    con.execute("BEGIN")
    t0 = time.perf_counter()
    grow.build(con, out, 1, model)
    store.set_state(con, "generation", "1")
    store.set_state(con, "model", model)
    con.execute("COMMIT")
    index_s = time.perf_counter() - t0
    con.close()
    return {"points": made, "real_points": len(rows), "replicas": replicas, "model": model, "index_build_s": round(index_s, 1),
            "how": (f"vectors derived from {len(rows):,} real embeddings (one ingest of {len(docs)} recombined minutes) as "
                    f"normalised mixtures {MIX[0]}/{MIX[1]}/{MIX[2]} of 3 real point vectors plus N(0,{NOISE}) noise; texts are "
                    "each real point's sentences plus one from another; facts and themes copied with their documents")}


_THEMES_BY_POINT: dict[int, dict[str, list]] = {}


def pthemes_of(pthemes: list, point_id: str) -> list:
    """The real point's theme rows (indexed once per base list)."""
    idx = _THEMES_BY_POINT.get(id(pthemes))
    if idx is None:
        idx = {}
        for t in pthemes:
            idx.setdefault(t[0], []).append(t)
        _THEMES_BY_POINT.clear()
        _THEMES_BY_POINT[id(pthemes)] = idx
    return idx.get(point_id, [])


def _copy_document(con, d, rep: int, council: dict, rng: random.Random, items, facts, ithemes, now: str) -> dict[str, str]:
    """One replica of a base document under another council, date and committee; returns old id -> new id."""
    new = lambda kind, old: stable_id(kind, rep, old)  # noqa: E731
    doc_id = new("doc", d["id"])
    ids: dict[str, str] = {d["id"]: doc_id}
    date = (dt.date(2016, 1, 1) + dt.timedelta(days=rng.randrange(3300))).isoformat()
    committee = rng.choice(COMMITTEES)
    gss = council["gss"]
    con.execute("INSERT OR IGNORE INTO councils(id, name, gss, type, region) VALUES (?,?,?,?,?)",
                (gss, council["name"], gss, council["type"], council["region"]))
    mid = store.meeting_id(gss, date, committee, doc_id)
    con.execute("INSERT OR IGNORE INTO meetings(id, council_id, council_method, council_evidence, date, committee) VALUES (?,?,?,?,?,?)",
                (mid, gss, "metadata", None, date, committee))
    meta = {"council": council["name"], "gss_code": gss, "date": date, "committee": committee}
    con.execute("INSERT INTO documents(id, path_key, source, sha256, fingerprint, fmt, title, meta_json, meeting_id, ingested_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)", (doc_id, f"bench/{rep}/{d['path_key']}", f"bench/{rep}/{d['source']}", doc_id, doc_id,
                                                   d["fmt"], d["title"], json.dumps(meta), mid, now))
    for it in (i for i in items if i["doc_id"] == d["id"]):
        ids[it["id"]] = iid = new("item", it["id"])
        ids["title:" + it["id"]] = it["title"]
        con.execute("INSERT INTO items(id, doc_id, meeting_id, seq, number, title, text, procedural) VALUES (?,?,?,?,?,?,?,?)",
                    (iid, doc_id, mid, it["seq"], it["number"], it["title"], it["text"], it["procedural"]))
    for pid, in con.execute("SELECT id FROM base.points WHERE doc_id=?", (d["id"],)).fetchall():
        ids[pid] = new("point", pid)
    con.executemany("INSERT INTO actions(id, item_id, doc_id, seq, kind, text, owner, context) VALUES (?,?,?,?,?,?,?,?)",
                    [(new("action", a[0]), ids[a[1]], doc_id, *a[3:]) for a in
                     con.execute("SELECT id, item_id, doc_id, seq, kind, text, owner, context FROM base.actions WHERE doc_id=?", (d["id"],))])
    con.executemany("INSERT OR REPLACE INTO item_themes(item_id, theme, score, evidence) VALUES (?,?,?,?)",
                    [(ids[t[0]], t[1], t[2], t[3]) for t in ithemes if t[0] in ids])
    _copy_facts(con, d["id"], json.loads(d["meta_json"]).get("gss_code"), doc_id, gss, ids, facts, new)
    return ids


def _copy_facts(con, old_doc: str, own: str | None, doc_id: str, gss: str, ids: dict, facts: dict, new) -> None:
    """The document's facts under the replica's ids; facts about the document's own council move with it."""
    for table in FACT_TABLES:
        for r in (x for x in facts[table] if x["doc_id"] == old_doc):
            row = dict(r)
            row["doc_id"] = doc_id
            for col in ("id", "inspection_id"):
                if row.get(col):
                    row[col] = new(table if col == "id" else "inspections", row[col])
            for col in ("ev_item", "ev_point", "outcome_point"):
                if row.get(col):
                    row[col] = ids.get(row[col])
            if own and row.get("council_id") == own and table != "mentions":
                row["council_id"] = gss
            cols = ",".join(row)
            con.execute(f"INSERT OR IGNORE INTO {table}({cols}) VALUES ({','.join('?' * len(row))})", tuple(row.values()))
