"""A data directory's generation read from Milvus: the role of embed/index.Indexes (candidates, filters, term rarity), our ranking unchanged."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from councilkg.embed import index as ix
from councilkg.embed.table import PointTable
from councilkg.embed import milvus as mv
from councilkg.embed.filters import Filters

MAX_LIMIT = 16_384  # Milvus's largest topk
_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def client_for(uri: str):
    """One connected client per URI per process (a Lite file can be opened by one process only)."""
    with _clients_lock:
        if uri not in _clients:
            _clients[uri] = mv.connect(uri)
        return _clients[uri]


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0, np.float32)


@dataclass
class MilvusIndexes:
    """One committed generation's two collections (never the alias: a data directory reads what its snapshot commits)."""

    gen: int
    info: dict
    point_ids: np.ndarray  # sorted S16, from the generation directory
    uri: str
    points: str  # collection names
    passages: str
    client: object = field(repr=False, default=None)
    _df: dict[str, int] = field(default_factory=dict, repr=False)
    folder: Path | None = None  # the generation directory, holding the point table's rows

    @classmethod
    def load(cls, data_dir: Path, gen: int, uri: str, instance: str) -> MilvusIndexes:
        """Open generation `gen`; bring the alias up to it if a crash left it behind (readers elsewhere use the alias)."""
        from councilkg.embed import milvus_build

        d = ix.gen_dir(data_dir, gen)
        info = json.loads((d / "info.json").read_text())
        point_ids = np.load(d / "point_ids.npy")
        client = client_for(uri)
        pname = mv.collection(instance, gen)
        try:
            for name in (pname, mv.passages_of(pname)):
                client.load_collection(name)
            lags = milvus_build.alias_generation(client, instance) < gen
        except Exception as e:
            raise mv.fail(uri, f"cannot load {pname}", e) from None
        if lags:
            milvus_build.publish(uri, instance, gen, client, writer=False)
        return cls(gen, info, point_ids, uri, pname, mv.passages_of(pname), client, folder=d)

    # --- the interface Searcher, example and rank use (shared with index.Indexes) ---------------------------------

    def table(self, con: sqlite3.Connection) -> PointTable:
        """Facets and hit themes over this generation's positions, with today's labels."""
        return PointTable.open(self.folder, con, self.point_ids)

    def restrict(self, con: sqlite3.Connection, f: Filters, exclude_docs=()) -> str | None:
        """The filters as a Milvus expression (None when nothing is filtered)."""
        if not f.active() and not exclude_docs:
            return None
        return mv.expression_for(con, f, exclude_docs)

    def only(self, positions) -> str:
        return mv.only(positions)

    def _search(self, name: str, data, field: str, limit: int, expr: str | None, params: dict) -> list[dict]:
        got = mv.call(self.uri, f"search of {name} failed", self.client.search, name, data=data, anns_field=field,
                      limit=min(limit, MAX_LIMIT), filter=expr or "", output_fields=["pos"], search_params=params)
        return got[0] if got else []

    def vector_search(self, qvec: np.ndarray, k: int, allowed: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best points by cosine (a point's best passage), optionally only where `allowed` (an expression) holds."""
        n = int(self.info.get("passages", 0))
        if n == 0 or k <= 0:
            return _empty()
        fetch = min(n, k * 3, MAX_LIMIT)
        params: dict = {"metric_type": "IP"}
        if self.info.get("vector_index") == "hnsw":
            params["params"] = {"ef": max(ix.HNSW_EF_SEARCH, fetch)}
        hits = self._search(self.passages, [qvec.astype(np.float32).ravel().tolist()], "vec", fetch, allowed, params)
        points = np.array([h["entity"]["pos"] for h in hits], dtype=np.int64)
        scores = np.array([h["distance"] for h in hits], dtype=np.float32)
        _, first = np.unique(points, return_index=True)  # a point's best passage (hits come best-first)
        points, scores = points[first], scores[first]
        order = np.lexsort((points, -scores))[:k]  # equal cosines by position, as FAISS's flat scan returns them
        return points[order], scores[order]

    def lexical_search(self, query: str, k: int, allowed: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best points by BM25 over our stems, optionally only where `allowed` holds."""
        tokens = ix.tokenize([query])[0]
        if not tokens or k <= 0 or not self.info.get("points"):
            return _empty()
        hits = self._search(self.points, [" ".join(tokens)], "sparse", k, allowed, {"metric_type": "BM25"})
        pts = np.array([h["entity"]["pos"] for h in hits], dtype=np.int64)
        # Lite gives BM25 negated; scaled to bm25s's (Lucene's) form of the same score
        scores = (np.abs(np.array([h["distance"] for h in hits], dtype=np.float64)) * mv.BM25_SCALE).astype(np.float32)
        order = np.lexsort((pts, -scores))
        keep = scores[order] > 0
        return pts[order][keep], scores[order][keep]

    def doc_freq(self, stems: list[str]) -> tuple[int, dict[str, int]]:
        """(points in the generation, points holding each stem), for rank.distinctive_terms."""
        todo = [s for s in dict.fromkeys(stems) if s not in self._df]
        for s in todo:
            got = mv.call(self.uri, f"term counts of {self.points} failed", self.client.query, self.points,
                          filter=f"TEXT_MATCH(lex, {mv.lit(s)})", output_fields=["count(*)"])
            self._df[s] = int(got[0]["count(*)"]) if got else 0
        return int(self.info.get("points", len(self.point_ids))), {s: self._df[s] for s in stems if self._df.get(s)}

    def index_of(self, ids: list[str]) -> np.ndarray:
        """Point positions for ids (ids not in this generation are dropped)."""
        return ix.positions(self.point_ids, ids)
