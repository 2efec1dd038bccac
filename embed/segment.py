"""One immutable segment of a data directory's index: some points' vectors (FAISS), term frequencies (for BM25) and facet rows.

A segment is written once, aside then renamed, and never changed; a generation lists the live segments and which of
their points later documents retired (embed/index.py). Written from the database for the given points only, so an
ingest costs what it adds, not what the data directory holds."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from councilkg.embed.table import Rows

# Above this many passages an exact scan costs more than ~10 ms a query: switch to HNSW.
APPROX_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
DIM = 384  # of an empty segment's index (the shipped encoder's)

_ONLY = "(SELECT value FROM json_each(?))"


@lru_cache(maxsize=1)
def stemmer():
    """The English Snowball stemmer shared by indexing, queries and highlighting."""
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]):
    """Lower-cased, stop-worded, stemmed word lists: the same for the corpus and the queries."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False)


def lexical_text(title: str | None, text: str) -> str:
    return f"{title}\n{text}" if title else text


def _selected(every: bool, point_ids: np.ndarray, column: str) -> tuple[str, tuple]:
    if every:
        return "", ()
    return f" WHERE {column} IN {_ONLY}", (json.dumps([p.decode() for p in point_ids.tolist()]),)


def _write_vectors(con: sqlite3.Connection, point_ids: np.ndarray, out: Path, every: bool) -> dict:
    """The points' passage vectors from the database, rows mapped to points, in a FAISS index chosen by size."""
    import faiss

    where, args = _selected(every, point_ids, "ps.point_id")
    rows = con.execute("SELECT ps.point_id, v.vec FROM passages ps JOIN vectors v ON v.key = ps.vec_key"
                       f"{where} ORDER BY ps.point_id, ps.seq", args).fetchall()
    if rows:
        mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        row_point = np.searchsorted(point_ids, np.array([r[0] for r in rows], dtype="S16")).astype(np.int32)
    else:
        mat, row_point = np.zeros((0, DIM), dtype=np.float32), np.zeros(0, dtype=np.int32)
    del rows
    if len(mat) > APPROX_THRESHOLD:
        index = faiss.IndexHNSWFlat(mat.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        kind = "hnsw"
    else:
        index, kind = faiss.IndexFlatIP(mat.shape[1]), "flat"
    if len(mat):
        index.add(mat)
    faiss.write_index(index, str(out / "vectors.faiss"))
    np.save(out / "row_point.npy", row_point)
    return {"vector_index": kind, "passages": int(len(mat)), "dim": int(mat.shape[1])}


def _write_terms(con: sqlite3.Connection, point_ids: np.ndarray, out: Path, every: bool) -> None:
    """Each point's stems counted, as a points x terms matrix (CSR) over the segment's own sorted vocabulary."""
    where, args = _selected(every, point_ids, "p.id")
    rows = con.execute(f"SELECT p.id, i.title, p.text FROM points p JOIN items i ON i.id = p.item_id{where} ORDER BY p.id",
                       args).fetchall()
    assert len(rows) == len(point_ids), "a segment's points changed while it was written"
    docs = tokenize([lexical_text(r[1], r[2]) for r in rows]) if rows else []
    terms = sorted({t for d in docs for t in d})
    col = {t: i for i, t in enumerate(terms)}
    indptr, indices, tf = [0], [], []
    for d in docs:
        ids, counts = np.unique(np.array([col[t] for t in d], dtype=np.int32), return_counts=True)
        indices.append(ids)
        tf.append(counts)
        indptr.append(indptr[-1] + len(ids))
    cat = lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)  # noqa: E731
    np.savez(out / "terms.npz", indptr=np.array(indptr, dtype=np.int64), indices=cat(indices, np.int32),
             tf=cat(tf, np.float32), length=np.array([len(d) for d in docs], dtype=np.float32))
    (out / "terms.json").write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")


def write(con: sqlite3.Connection, folder: Path, point_ids: np.ndarray, every: bool = False) -> dict:
    """Write the segment of `point_ids` (sorted S16; `every`: all the database's points) aside, then rename it into place."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.save(tmp / "point_ids.npy", point_ids)
    info = {"points": int(len(point_ids))} | _write_vectors(con, point_ids, tmp, every)
    _write_terms(con, point_ids, tmp, every)
    Rows.read(con, point_ids, every=every).save(tmp)
    (tmp / "info.json").write_text(json.dumps(info, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return info


@dataclass
class Segment:
    """A segment loaded into memory: shared by every generation that lists it, so a reader loads only new segments."""

    name: str
    info: dict
    point_ids: np.ndarray  # sorted S16
    row_point: np.ndarray  # FAISS row -> local position
    vectors: object  # faiss.Index
    docs: object  # scipy CSR: local position x term -> stem count
    length: np.ndarray  # stems per point
    terms: dict[str, int]
    rows: Rows
    _retired: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, folder: Path) -> Segment:
        import faiss
        from scipy.sparse import csr_matrix

        info = json.loads((folder / "info.json").read_text())
        vectors = faiss.read_index(str(folder / "vectors.faiss"))
        if info["vector_index"] == "hnsw":
            vectors.hnsw.efSearch = HNSW_EF_SEARCH
        point_ids = np.load(folder / "point_ids.npy")
        with np.load(folder / "terms.npz") as z:
            terms = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
            docs = csr_matrix((z["tf"], z["indices"], z["indptr"]), shape=(len(point_ids), len(terms)))
            length = z["length"]
        rows = Rows.load(folder)
        assert rows is not None, f"{folder}: no facet rows"
        return cls(folder.name, info, point_ids, np.load(folder / "row_point.npy"), vectors, docs, length,
                   {t: i for i, t in enumerate(terms)}, rows)

    @cached_property
    def postings(self):
        """Term-major (CSC) view for scoring: a term's points are one slice."""
        return self.docs.tocsc()

    def retired_stats(self, key: str | None, retired: np.ndarray) -> tuple[np.ndarray, float]:
        """Per term, how many retired points hold it, and their stems in all (cached per retirement file)."""
        if key is None or not len(retired):
            return np.zeros(len(self.terms), dtype=np.int64), 0.0
        if key not in self._retired:
            sub = self.docs[retired]
            self._retired = {key: (np.bincount(sub.indices, minlength=len(self.terms)), float(self.length[retired].sum()))}
        return self._retired[key]

    def live_ids(self, retired: np.ndarray) -> np.ndarray:
        keep = np.ones(len(self.point_ids), dtype=bool)
        keep[retired] = False
        return self.point_ids[keep]

    def local(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions here, which of `ids` they are) for the ids (S16) this segment holds."""
        if not len(self.point_ids) or not len(ids):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        pos = np.clip(np.searchsorted(self.point_ids, ids), 0, len(self.point_ids) - 1)
        hit = np.flatnonzero(self.point_ids[pos] == ids)
        return pos[hit], hit

    def search(self, qvec: np.ndarray, fetch: int, rows: np.ndarray | None = None,
               without: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(local positions, scores) of the best `fetch` passage rows (best first): only among `rows` when given, else
        all but the rows `without` (a retired few: a selector proportional to them, not to the segment)."""
        import faiss

        sel = inner = None  # both kept referenced until the search is done (FAISS does not own them)
        if rows is not None:
            sel = faiss.IDSelectorBatch(rows)
        elif without is not None and len(without):
            inner = faiss.IDSelectorBatch(without)
            sel = faiss.IDSelectorNot(inner)
        hnsw = self.info["vector_index"] == "hnsw"
        params = None
        if hnsw:
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, fetch))
        elif sel is not None:
            params = faiss.SearchParameters()
        if sel is not None:
            params.sel = sel
        scores, got = self.vectors.search(qvec.reshape(1, -1).astype(np.float32), fetch, params=params)
        del sel, inner
        keep = got[0] >= 0
        return self.row_point[got[0][keep]], scores[0][keep]

    def rows_of(self, local: np.ndarray) -> np.ndarray:
        """The passage rows of the points at local positions `local`."""
        return np.flatnonzero(np.isin(self.row_point, local)).astype(np.int64)
