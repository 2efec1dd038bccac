"""Vector (FAISS) and lexical (BM25) indexes over debate points, built per generation beside the database and never modified in place."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from councilkg.embed.table import PointTable

INDEX_DIR = "index"
# Above this many passages an exact scan costs more than ~10 ms a query: switch to HNSW.
APPROX_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
FORMAT = 3  # what a generation directory holds; 2 added the point table (table.npz, table.json), 3 its committee folding


def gen_dir(data_dir: Path, gen: int) -> Path:
    return Path(data_dir) / INDEX_DIR / f"gen-{gen:06d}"


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


def _build_vectors(con: sqlite3.Connection, point_ids: np.ndarray, out: Path) -> dict:
    """Stack every passage vector, map rows to points, and write a FAISS index chosen by size."""
    import faiss

    rows = con.execute(
        "SELECT ps.point_id, v.vec FROM passages ps JOIN vectors v ON v.key = ps.vec_key ORDER BY ps.point_id, ps.seq"
    ).fetchall()
    if rows:
        mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        row_point = np.searchsorted(point_ids, np.array([r[0] for r in rows], dtype="S16")).astype(np.int32)
    else:
        mat = np.zeros((0, 384), dtype=np.float32)
        row_point = np.zeros(0, dtype=np.int32)
    dim = mat.shape[1]
    if len(mat) > APPROX_THRESHOLD:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        kind = "hnsw"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if len(mat):
        index.add(mat)
    faiss.write_index(index, str(out / "vectors.faiss"))
    np.save(out / "row_point.npy", row_point)
    return {"vector_index": kind, "passages": int(len(mat)), "dim": int(dim)}


def _build_lexical(con: sqlite3.Connection, out: Path) -> None:
    import bm25s

    texts = [
        lexical_text(r[0], r[1])
        for r in con.execute("SELECT i.title, p.text FROM points p JOIN items i ON i.id = p.item_id ORDER BY p.id")
    ]
    retriever = bm25s.BM25()
    if texts:
        retriever.index(tokenize(texts), show_progress=False)
        retriever.save(str(out / "bm25"), show_progress=False)


def build(con: sqlite3.Connection, data_dir: Path, gen: int, model: str) -> Path:
    """Write generation `gen` aside and rename it into place; the caller then commits the database."""
    final = gen_dir(data_dir, gen)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    point_ids = np.array([r[0] for r in con.execute("SELECT id FROM points ORDER BY id")], dtype="S16")
    np.save(tmp / "point_ids.npy", point_ids)
    info = {"generation": gen, "format": FORMAT, "model": model, "points": int(len(point_ids))}
    info.update(_build_vectors(con, point_ids, tmp))
    _build_lexical(con, tmp)
    PointTable.compute(con, point_ids).save(tmp)
    (tmp / "info.json").write_text(json.dumps(info, indent=1))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return final


def prune(data_dir: Path, keep: int) -> None:
    """Remove generations older than the previous one, so a reader that just loaded it can finish."""
    root = Path(data_dir) / INDEX_DIR
    if not root.exists():
        return
    for d in root.iterdir():
        if d.name.startswith("gen-"):
            try:
                n = int(d.name[4:].split(".")[0])
            except ValueError:
                continue
            if n < keep - 1 or (d.name.endswith(".tmp") and n != keep):
                shutil.rmtree(d, ignore_errors=True)


def positions(point_ids: np.ndarray, ids: list[str]) -> np.ndarray:
    """Positions in sorted `point_ids` of the given ids (ids not among them are dropped)."""
    want = np.array(ids, dtype="S16")
    pos = np.searchsorted(point_ids, want)
    pos = np.clip(pos, 0, max(len(point_ids) - 1, 0))
    ok = len(point_ids) > 0 and point_ids[pos] == want
    return pos[ok] if len(point_ids) else pos[:0]


@dataclass
class Indexes:
    """One loaded generation: point ids, FAISS index with its row map, and the BM25 retriever."""

    gen: int
    info: dict
    point_ids: np.ndarray  # sorted S16
    row_point: np.ndarray
    vectors: object  # faiss.Index
    bm25: object | None  # bm25s.BM25

    @classmethod
    def load(cls, data_dir: Path, gen: int) -> "Indexes":
        import bm25s
        import faiss

        d = gen_dir(data_dir, gen)
        info = json.loads((d / "info.json").read_text())
        vectors = faiss.read_index(str(d / "vectors.faiss"))
        if info["vector_index"] == "hnsw":
            vectors.hnsw.efSearch = HNSW_EF_SEARCH
        bm25 = bm25s.BM25.load(str(d / "bm25"), mmap=True, show_progress=False, verbosity=0) if (d / "bm25").exists() else None
        return cls(gen, info, np.load(d / "point_ids.npy"), np.load(d / "row_point.npy"), vectors, bm25)

    def index_of(self, ids: list[str]) -> np.ndarray:
        """Point positions for ids (ids not in this generation are dropped)."""
        return positions(self.point_ids, ids)

    # --- the interface Searcher, example and rank use (shared with milvus_index.MilvusIndexes) -------------------

    def restrict(self, con: sqlite3.Connection, f, exclude_docs=()) -> np.ndarray | None:
        """The filters (a filters.Filters) as a bool mask over points; None when nothing is filtered."""
        from councilkg.embed.filters import allowed_mask

        return allowed_mask(con, self, f, exclude_docs=exclude_docs)

    def only(self, pts) -> np.ndarray:
        """A restriction to the points at positions `pts`."""
        allowed = np.zeros(len(self.point_ids), dtype=bool)
        allowed[np.asarray(pts, dtype=np.int64)] = True
        return allowed

    def doc_freq(self, stems: list[str]) -> tuple[int, dict[str, int]]:
        """(points indexed, points holding each stem), read from the BM25 matrix."""
        if self.bm25 is None:
            return 0, {}
        vocab, indptr = self.bm25.vocab_dict, self.bm25.scores["indptr"]
        df = {s: int(indptr[vocab[s] + 1] - indptr[vocab[s]]) for s in stems if s in vocab}
        return int(self.bm25.scores["num_docs"]), {s: n for s, n in df.items() if n}

    def vector_search(self, qvec: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best points by cosine (max over a point's passages), optionally only among `allowed` (bool mask over points)."""
        import faiss

        n = self.vectors.ntotal
        if n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        fetch = min(n, k * 3)
        params = None
        if allowed is not None:
            rows = np.flatnonzero(allowed[self.row_point]).astype(np.int64)
            if len(rows) == 0:
                return np.zeros(0, np.int64), np.zeros(0, np.float32)
            sel = faiss.IDSelectorBatch(rows)
            params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(HNSW_EF_SEARCH, fetch)) if self.info["vector_index"] == "hnsw" else faiss.SearchParameters(sel=sel)
            fetch = min(fetch, len(rows))
        elif self.info["vector_index"] == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, fetch))
        scores, rows = self.vectors.search(qvec.reshape(1, -1).astype(np.float32), fetch, params=params)
        scores, rows = scores[0], rows[0]
        keep = rows >= 0
        points = self.row_point[rows[keep]]
        scores = scores[keep]
        # a point with several passages: keep its best passage (rows come best-first)
        _, first = np.unique(points, return_index=True)
        first = np.sort(first)[:k]
        return points[first].astype(np.int64), scores[first]

    def lexical_search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best points by BM25, optionally only among `allowed`."""
        if self.bm25 is None:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        tokens = tokenize([query])[0]
        vocab = self.bm25.vocab_dict
        tokens = [t for t in tokens if t in vocab]
        if not tokens:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = self.bm25.get_scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, int((scores > 0).sum()))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return top.astype(np.int64), scores[top].astype(np.float32)
