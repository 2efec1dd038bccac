"""A generation read from Milvus (a data directory's, or a stateless reader's shard): the role of embed/index.Indexes, our ranking unchanged."""

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
CANDIDATES = 1_000  # BM25 candidates Milvus ranks by its own statistics (retired and uncommitted rows counted), before ours order them
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
    """One committed generation `gen` of a shard's collections: only the rows it holds (milvus.live) are searched.

    A data directory's reader has `point_ids` (its snapshot's points, sorted) and works on positions in them, as
    index.Indexes does; a stateless reader (no data directory) has none and works on the rows' keys (`pos`)."""

    gen: int
    info: dict
    point_ids: np.ndarray  # sorted S16; empty for a stateless reader
    uri: str
    points: str  # collection names
    passages: str
    client: object = field(repr=False, default=None)
    _df: dict[str, int] = field(default_factory=dict, repr=False)
    _live: str | None = field(default=None, repr=False)

    @classmethod
    def load(cls, data_dir: Path, gen: int, uri: str, con: sqlite3.Connection) -> MilvusIndexes:
        """Open generation `gen` inside the caller's read transaction; publish it if a crash left readers elsewhere behind."""
        from councilkg.embed import milvus_grow

        info = json.loads((ix.gen_dir(data_dir, gen) / "info.json").read_text())
        if info.get("format") != mv.FORMAT:  # collections an older councilkg wrote: the Searcher has them rebuilt once
            raise ix.OldFormat(f"{ix.gen_dir(data_dir, gen)}: Milvus format {info.get('format')}, not {mv.FORMAT}")
        point_ids = np.array([r[0] for r in con.execute("SELECT id FROM points ORDER BY id")], dtype="S16")
        client = client_for(uri)
        pname = mv.collection(info["instance"], int(info["base"]))
        try:
            for name in (pname, mv.passages_of(pname), mv.retired_of(pname)):
                client.load_collection(name)
            lags = milvus_grow.published(client, info["instance"])[1] < gen
        except Exception as e:
            raise mv.fail(uri, f"cannot load {pname}", e) from None
        if lags:
            milvus_grow.publish(uri, info, client, writer=False)
        return cls(gen, info, point_ids, uri, pname, mv.passages_of(pname), client)

    @property
    def live(self) -> str:
        """The filter of the rows this generation holds, its retirements read once (they never change while it is
        readable: later ones are of later generations, and only points no reader can need are deleted)."""
        if self._live is None:
            self._live = mv.live_in(self.client, self.uri, self.points, self.gen)
        return self._live

    # --- the interface Searcher, example and rank use (shared with index.Indexes) ---------------------------------

    def table(self, con: sqlite3.Connection) -> PointTable:
        """Facets and hit themes over this generation's positions, from the database snapshot it was loaded in."""
        return PointTable.compute(con, self.point_ids)

    def restrict(self, con: sqlite3.Connection, f: Filters, exclude_docs=()) -> str | None:
        """The filters as a Milvus expression (None when nothing is filtered)."""
        if not f.active() and not exclude_docs:
            return None
        return mv.expression_for(con, f, exclude_docs)

    def only(self, positions) -> str:
        if len(self.point_ids):
            return mv.in_list("point_id", [p.decode() for p in self.point_ids[np.asarray(positions, np.int64)].tolist()])
        return mv.only(positions)

    def _search(self, name: str, data, field: str, limit: int, expr: str | None, params: dict, fields=()) -> list[dict]:
        got = mv.call(self.uri, f"search of {name} failed", self.client.search, name, data=data, anns_field=field,
                      limit=min(limit, MAX_LIMIT), filter=mv.both(self.live, expr),
                      output_fields=["pos", "point_id", *fields], search_params=params)
        return got[0] if got else []

    def _places(self, hits: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        """(positions, keep): the hits' point positions (a stateless reader: their keys) and which of them are known."""
        if not len(self.point_ids):
            return np.array([h["entity"]["pos"] for h in hits], dtype=np.int64), np.ones(len(hits), dtype=bool)
        want = np.array([h["entity"]["point_id"] for h in hits], dtype="S16")
        pos = np.clip(np.searchsorted(self.point_ids, want), 0, len(self.point_ids) - 1)
        return pos.astype(np.int64), self.point_ids[pos] == want

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
        points, keep = self._places(hits)
        scores = np.array([h["distance"] for h in hits], dtype=np.float32)
        points, scores = points[keep], scores[keep]
        _, first = np.unique(points, return_index=True)  # a point's best passage (hits come best-first)
        points, scores = points[first], scores[first]
        order = np.lexsort((points, -scores))[:k]  # equal cosines by position, as FAISS's flat scan returns them
        return points[order], scores[order]

    def lexical_search(self, query: str, k: int, allowed: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Best points by BM25 over our stems, optionally only where `allowed` holds: Milvus finds candidates, scored
        again with this generation's statistics (Milvus's count the retired rows not yet deleted too)."""
        from councilkg.embed.shard_bm25 import bm25

        tokens = ix.tokenize([query])[0]
        if not tokens or k <= 0 or not self.info.get("points"):
            return _empty()
        hits = self._search(self.points, [" ".join(tokens)], "sparse", max(k, CANDIDATES), allowed,
                            {"metric_type": "BM25"}, ["lex"])
        pts, keep = self._places(hits)
        n, df = self.doc_freq(tokens)
        score = bm25(n, int(self.info.get("length", 0)), df, tokens)
        scores = np.array([score(h["entity"]["lex"]) for h in hits], dtype=np.float32)
        pts, scores = pts[keep], scores[keep]
        order = np.lexsort((pts, -scores))[:k]
        keep = scores[order] > 0
        return pts[order][keep], scores[order][keep]

    def doc_freq(self, stems: list[str]) -> tuple[int, dict[str, int]]:
        """(points in the generation, points holding each stem), for rank.distinctive_terms."""
        todo = [s for s in dict.fromkeys(stems) if s not in self._df]
        for s in todo:
            got = mv.call(self.uri, f"term counts of {self.points} failed", self.client.query, self.points,
                          filter=mv.both(self.live, f"TEXT_MATCH(lex, {mv.lit(s)})"), output_fields=["count(*)"])
            self._df[s] = int(got[0]["count(*)"]) if got else 0
        return int(self.info.get("points", len(self.point_ids))), {s: self._df[s] for s in stems if self._df.get(s)}

    def index_of(self, ids: list[str]) -> np.ndarray:
        """Point positions for ids (ids not in this generation are dropped)."""
        return ix.positions(self.point_ids, ids)
