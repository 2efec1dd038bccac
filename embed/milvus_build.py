"""Writing one generation of a data directory to Milvus (points and passages collections), then moving its alias after the commit."""

from __future__ import annotations

import sqlite3

import numpy as np

from councilkg.embed import index as ix
from councilkg.embed import milvus as mv
from councilkg.embed.filters import grade_by_document
from councilkg.embed.results import source_url
from councilkg.embed.table import _committee_names, committee_key

BATCH_BYTES = 8_000_000  # per insert call, well under gRPC's message limit
BATCH_ROWS = 2_000

_POINT_ROWS = """
SELECT p.id, p.doc_id, p.item_id, i.title, i.number, i.meeting_id, p.text, m.council_id, c.name, c.gss,
       m.committee, m.date, d.source, d.meta_json, i.procedural
FROM points p JOIN items i ON i.id = p.item_id JOIN documents d ON d.id = p.doc_id
LEFT JOIN meetings m ON m.id = i.meeting_id LEFT JOIN councils c ON c.id = m.council_id
ORDER BY p.id
"""


def _bytes(s: str) -> int:
    return len(s.encode("utf-8"))


def _cut(text: str, limit: int = mv.TEXT_MAX) -> str:
    """`text` cut at a space so it fits `limit` bytes (for `lex`, whose tail of stems then does not count)."""
    if _bytes(text) <= limit:
        return text
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore").rsplit(" ", 1)[0]


def point_rows(con: sqlite3.Connection, uri: str) -> list[dict]:
    """Every point as a row of the points collection, in position order (the generation's sorted point ids)."""
    rows = con.execute(_POINT_ROWS).fetchall()
    grades = grade_by_document(con)
    shown = _committee_names([r[10] for r in rows])
    themes: dict[str, list[tuple[str, float]]] = {}
    for pid, tid, score in con.execute("SELECT point_id, theme, score FROM point_themes ORDER BY point_id, score DESC, theme"):
        themes.setdefault(pid, []).append((tid, score))
    lex = ix.tokenize([ix.lexical_text(r[3], r[6]) for r in rows]) if rows else []
    out = []
    for pos, (r, stems) in enumerate(zip(rows, lex)):
        pid, doc, item, title, number, meeting, text, cid, cname, gss, committee, date, source, meta, procedural = r
        if _bytes(text) > mv.TEXT_MAX:  # never cut silently: the hit would show less than the minutes say
            raise mv.MilvusError(f"milvus:{uri}: point {pid} of {source} has {_bytes(text)} bytes of text, more than "
                                 f"Milvus's {mv.TEXT_MAX}")
        th = themes.get(pid, [])[: mv.MAX_THEMES]
        out.append({
            "pos": pos, "point_id": pid, "doc_id": doc, "item_id": item, "item_title": _cut(title or ""),
            "item_number": (number or "")[:200], "meeting_id": meeting or "", "text": text,
            "council_id": cid or "", "council_name": cname or "", "council_key": (cname or "").lower(), "gss": gss or "",
            "committee": shown.get(committee, "") if committee else "",
            "committee_key": committee_key(committee) if committee else "",
            "date": date or "", "year": (date or "")[:4], "grade": grades.get(doc, ""),
            "themes": [t for t, _ in th], "theme_scores": [float(s) for _, s in th],
            "source": _cut(source or ""), "source_url": _cut(source_url(meta) or ""), "lex": _cut(" ".join(stems)),
            "procedural": bool(procedural),
        })
    return out


def _passage_rows(con: sqlite3.Connection, points: list[dict], point_ids: np.ndarray):
    """Passage vectors in FAISS row order, each with its point's position and filter fields."""
    rows = con.execute(
        "SELECT ps.point_id, ps.seq, v.vec FROM passages ps JOIN vectors v ON v.key = ps.vec_key ORDER BY ps.point_id, ps.seq"
    ).fetchall()
    for pid, seq, blob in rows:
        pos = int(np.searchsorted(point_ids, pid.encode()))
        p = points[pos]
        yield {"pos": pos, "point_id": pid, "seq": seq, "vec": np.frombuffer(blob, dtype=np.float32).tolist(),
               **{f: p[f] for f in mv.FILTER_FIELDS}}


def _insert(client, uri: str, name: str, rows) -> int:
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


def build(con: sqlite3.Connection, uri: str, instance: str, gen: int, model: str, point_ids: np.ndarray) -> dict:
    """Write both collections of generation `gen` (dropping any leftover of the same name), flushed and loaded.

    Called before the data directory commits; the alias moves only in `publish`, after it."""
    client = mv.connect(uri)
    points = point_rows(con, uri)
    assert len(points) == len(point_ids)
    pname, qname = mv.collection(instance, gen), mv.collection(instance, gen, mv.PASSAGES)
    dim_row = con.execute("SELECT v.vec FROM passages ps JOIN vectors v ON v.key = ps.vec_key LIMIT 1").fetchone()
    dim = len(dim_row[0]) // 4 if dim_row else 384
    n_passages = con.execute("SELECT count(*) FROM passages ps JOIN vectors v ON v.key = ps.vec_key").fetchone()[0]
    kind = "hnsw" if n_passages > ix.APPROX_THRESHOLD else "flat"
    info = {"generation": gen, "format": mv.FORMAT, "model": model, "instance": instance, "points": len(points),
            "passages": int(n_passages), "vector_index": kind, "dim": dim}
    try:
        for name in (pname, qname):
            if client.has_collection(name):
                client.drop_collection(name)
        schema, params = mv.points_schema(client)
        client.create_collection(pname, schema=schema, index_params=params,
                                 properties={f"ckg.{k}": str(v) for k, v in info.items()})
        _insert(client, uri, pname, points)
        schema, params = mv.passages_schema(client, dim, n_passages)
        client.create_collection(qname, schema=schema, index_params=params)
        _insert(client, uri, qname, _passage_rows(con, points, point_ids))
        for name in (pname, qname):
            client.flush(name)
            client.load_collection(name)
    except mv.MilvusError:
        raise
    except Exception as e:
        raise mv.fail(uri, f"cannot build {pname}", e) from None
    return info


def alias_generation(client, instance: str) -> int:
    """The generation the alias points at (0: no alias)."""
    name = mv.alias(instance)
    if name not in client.list_aliases().get("aliases", []):
        return 0
    found = mv.parse_collection(client.describe_alias(name)["collection_name"])
    return found[1] if found else 0


def publish(uri: str, instance: str, gen: int, client=None, writer: bool = True) -> bool:
    """After the commit: point the alias at committed generation `gen`, then prune; True when it moved.

    The writer (holding the data directory) moves it wherever it is and drops this instance's collections older
    than gen-1 (a reader may still be on gen-1) and any newer than gen (a build a crash left behind). A reader
    only brings a lagging alias up and drops nothing: its snapshot may already be older than the database."""
    client = client or mv.connect(uri)
    target = mv.collection(instance, gen)
    try:
        at = alias_generation(client, instance)
        moved = False
        if (at != gen if writer else at < gen) and client.has_collection(target):
            if at:
                client.alter_alias(target, mv.alias(instance))
            else:
                client.create_alias(target, mv.alias(instance))
            moved = True
        for name in client.list_collections() if writer else ():
            found = mv.parse_collection(name)
            if found and found[0] == instance and (found[1] < gen - 1 or found[1] > gen):
                client.drop_collection(name)
        return moved
    except Exception as e:
        raise mv.fail(uri, f"cannot move alias {mv.alias(instance)} to {target}", e) from None


def present(uri: str, instance: str, gen: int) -> bool:
    """Whether both collections of generation `gen` are there with all their points (else a rebuild is due)."""
    client = mv.connect(uri)
    pname = mv.collection(instance, gen)
    try:
        if not (client.has_collection(pname) and client.has_collection(mv.passages_of(pname))):
            return False
        info = mv.generation_info(client, pname)
        if info.get("format") != mv.FORMAT:  # built by another councilkg: lacks or misreads fields
            return False
        client.load_collection(pname)
        got = client.query(pname, filter="", output_fields=["count(*)"])[0]["count(*)"]
        return got == info.get("points")
    except Exception as e:
        raise mv.fail(uri, f"cannot read {pname}", e) from None


def retire(uri: str, instance: str) -> None:
    """A data directory leaving this Milvus: drop its alias and collections, so no stateless reader serves stale points."""
    client = mv.connect(uri)
    try:
        if mv.alias(instance) in client.list_aliases().get("aliases", []):
            client.drop_alias(mv.alias(instance))
        for name in client.list_collections():
            found = mv.parse_collection(name)
            if found and found[0] == instance:
                client.drop_collection(name)
    except Exception as e:
        raise mv.fail(uri, f"cannot drop the collections of {mv.alias(instance)}", e) from None
