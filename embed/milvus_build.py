"""A data directory's rows in Milvus: its points and passages as rows, and its three collections built whole (see milvus_grow for the rest)."""

from __future__ import annotations

import sqlite3

import numpy as np

from councilkg.embed import index as ix
from councilkg.embed import milvus as mv
from councilkg.embed.filters import grade_by_document, json_list
from councilkg.embed.results import source_url
from councilkg.embed.table import committee_key

BATCH_BYTES = 8_000_000  # per insert call, well under gRPC's message limit
BATCH_ROWS = 2_000

_POINT_ROWS = """
SELECT p.id, p.doc_id, p.item_id, i.title, i.number, i.meeting_id, p.text, m.council_id, c.name, c.gss,
       m.committee, m.date, d.source, d.meta_json, i.procedural
FROM points p JOIN items i ON i.id = p.item_id JOIN documents d ON d.id = p.doc_id
LEFT JOIN meetings m ON m.id = i.meeting_id LEFT JOIN councils c ON c.id = m.council_id
"""
_ONLY = " WHERE p.id IN (SELECT value FROM json_each(?))"


def _bytes(s: str) -> int:
    return len(s.encode("utf-8"))


def _cut(text: str, limit: int = mv.TEXT_MAX) -> str:
    """`text` cut at a space so it fits `limit` bytes (for `lex`, whose tail of stems then does not count)."""
    if _bytes(text) <= limit:
        return text
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore").rsplit(" ", 1)[0]


def point_rows(con: sqlite3.Connection, uri: str, gen: int, ids: list[str] | None = None) -> list[dict]:
    """Points `ids` (None: every point) as rows added by generation `gen`, in id order, keyed gen << ROW_BITS | row.

    `committee` is the name as the minutes write it (hits show it so); facets fold spellings over every row read."""
    where, args = (_ONLY, (json_list(ids),)) if ids is not None else ("", ())
    rows = con.execute(_POINT_ROWS + where + " ORDER BY p.id", args).fetchall()
    if len(rows) >= 1 << mv.ROW_BITS:
        raise mv.MilvusError(f"milvus:{uri}: {len(rows)} points in one generation, more than {1 << mv.ROW_BITS}")
    grades = grade_by_document(con, sorted({r[1] for r in rows}) if ids is not None else None)
    themes: dict[str, list[tuple[str, float]]] = {}
    for pid, tid, score in con.execute("SELECT point_id, theme, score FROM point_themes" + where.replace("p.id", "point_id")
                                       + " ORDER BY point_id, score DESC, theme", args):
        themes.setdefault(pid, []).append((tid, score))
    lex = ix.tokenize([ix.lexical_text(r[3], r[6]) for r in rows]) if rows else []
    out = []
    for n, (r, stems) in enumerate(zip(rows, lex)):
        pid, doc, item, title, number, meeting, text, cid, cname, gss, committee, date, source, meta, procedural = r
        if _bytes(text) > mv.TEXT_MAX:  # never cut silently: the hit would show less than the minutes say
            raise mv.MilvusError(f"milvus:{uri}: point {pid} of {source} has {_bytes(text)} bytes of text, more than "
                                 f"Milvus's {mv.TEXT_MAX}")
        th = themes.get(pid, [])[: mv.MAX_THEMES]
        out.append({
            "pos": gen << mv.ROW_BITS | n, "gen_added": gen,
            "point_id": pid, "doc_id": doc, "item_id": item, "item_title": _cut(title or ""),
            "item_number": (number or "")[:200], "meeting_id": meeting or "", "text": text,
            "council_id": cid or "", "council_name": cname or "", "council_key": (cname or "").lower(), "gss": gss or "",
            "committee": committee or "", "committee_key": committee_key(committee) if committee else "",
            "date": date or "", "year": (date or "")[:4], "grade": grades.get(doc, ""),
            "themes": [t for t, _ in th], "theme_scores": [float(s) for _, s in th],
            "source": _cut(source or ""), "source_url": _cut(source_url(meta) or ""), "lex": _cut(" ".join(stems)),
            "procedural": bool(procedural),
        })
    return out


def passage_rows(con: sqlite3.Connection, uri: str, points: list[dict]):
    """The passage vectors of these point rows, each keyed pos << SEQ_BITS | seq with its point's filter fields."""
    by_id = {p["point_id"]: p for p in points}
    for start in range(0, len(points), BATCH_ROWS):
        chunk = [p["point_id"] for p in points[start:start + BATCH_ROWS]]
        for pid, seq, blob in con.execute(
                "SELECT ps.point_id, ps.seq, v.vec FROM passages ps JOIN vectors v ON v.key = ps.vec_key "
                "WHERE ps.point_id IN (SELECT value FROM json_each(?)) ORDER BY ps.point_id, ps.seq", (json_list(chunk),)):
            if seq >= 1 << mv.SEQ_BITS:
                raise mv.MilvusError(f"milvus:{uri}: point {pid} has more than {1 << mv.SEQ_BITS} passages")
            p = by_id[pid]
            yield {"id": p["pos"] << mv.SEQ_BITS | seq, "pos": p["pos"], "gen_added": p["gen_added"], "point_id": pid, "seq": seq,
                   "vec": np.frombuffer(blob, dtype=np.float32).tolist(), **{f: p[f] for f in mv.FILTER_FIELDS}}


def length(rows: list[dict]) -> int:
    """The rows' stems together (bm25s's document lengths summed)."""
    return sum(len(r["lex"].split()) for r in rows)


def insert(client, uri: str, name: str, rows) -> int:
    """Insert in batches by size; returns the row count."""
    n, batch, size = 0, [], 0
    for row in rows:
        batch.append(row)
        size += sum(_bytes(v) if isinstance(v, str) else 8 * len(v) if isinstance(v, list) else 8 for v in row.values())
        if size >= BATCH_BYTES or len(batch) >= BATCH_ROWS:
            n += _send(client, uri, name, batch)
            batch, size = [], 0
    if batch:
        n += _send(client, uri, name, batch)
    return n


def _send(client, uri: str, name: str, batch: list[dict]) -> int:
    mv.call(uri, f"refused rows of {name}", client.insert, name, batch)
    return len(batch)


def add(client, uri: str, pname: str, points: list[dict], con: sqlite3.Connection) -> tuple[int, int]:
    """Insert point rows and their passages; (points, passages) written."""
    return insert(client, uri, pname, points), insert(client, uri, mv.passages_of(pname), passage_rows(con, uri, points))


def build(con: sqlite3.Connection, uri: str, instance: str, gen: int, model: str) -> dict:
    """The collections of this directory built whole at generation `gen` (first ingest, another format, a lost or a
    switched index), named for it; later generations grow them in place (milvus_grow). Flushed and loaded; the alias
    moves to them only in `publish`, after the database commit."""
    client = mv.connect(uri)
    points = point_rows(con, uri, gen)
    pname, qname, rname = (mv.collection(instance, gen, kind) for kind in mv.KINDS)
    dim_row = con.execute("SELECT v.vec FROM passages ps JOIN vectors v ON v.key = ps.vec_key LIMIT 1").fetchone()
    dim = len(dim_row[0]) // 4 if dim_row else 384
    n_passages = con.execute("SELECT count(*) FROM passages ps JOIN vectors v ON v.key = ps.vec_key").fetchone()[0]
    kind = "hnsw" if n_passages > ix.APPROX_THRESHOLD else "flat"
    info = {"generation": gen, "base": gen, "format": mv.FORMAT, "model": model, "instance": instance,
            "points": len(points), "passages": int(n_passages), "length": length(points), "vector_index": kind, "dim": dim}
    try:
        for name in (pname, qname, rname):
            if client.has_collection(name):
                client.drop_collection(name)
        props = {f"ckg.{k}": str(v) for k, v in info.items()} | {"ckg.generation": "0"}  # nothing published yet
        schema, params = mv.points_schema(client)
        client.create_collection(pname, schema=schema, index_params=params, properties=props, consistency_level="Strong")
        schema, params = mv.passages_schema(client, dim, n_passages)
        client.create_collection(qname, schema=schema, index_params=params, consistency_level="Strong")
        schema, params = mv.retired_schema(client)
        client.create_collection(rname, schema=schema, index_params=params, consistency_level="Strong")
        wrote = add(client, uri, pname, points, con)
        for name in (pname, qname, rname):
            client.flush(name)
            client.load_collection(name)
    except mv.MilvusError:
        raise
    except Exception as e:
        raise mv.fail(uri, f"cannot build {pname}", e) from None
    return info | {"written": {"points": wrote[0], "passages": wrote[1], "retired": 0, "retired_passages": 0, "deleted": 0}}
