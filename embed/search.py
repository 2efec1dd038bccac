"""Hybrid search over debate points: one Searcher per process, switching to a new generation of indexes when an ingest lands one."""

from __future__ import annotations

import os
import sqlite3
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from councilkg.embed import rank
from councilkg.embed.encoder import BatchEncoder
from councilkg.embed.example import Example, examine
from councilkg.embed.backends import recorded
from councilkg.embed.filters import Filters, SearchError
from councilkg.embed.index import Indexes, OldFormat
from councilkg.embed.results import POINT_IRI, make_hits
from councilkg.embed.table import PointTable
from councilkg.graph import store

__all__ = ["POINT_IRI", "SearchError", "Searcher"]
FACET_POOL = 50  # facets count the best this many candidates, not the whole corpus


@dataclass
class Snapshot:
    """One request's view: a read transaction on the database and the indexes of the same generation."""

    con: sqlite3.Connection
    gen: int
    idx: Indexes | None  # or a milvus_index.MilvusIndexes: the same interface
    model: str | None
    cache: Generation | None = None


@dataclass
class Generation:
    """A loaded generation and what follows from it alone, worked out once rather than per query."""

    idx: Indexes
    table: PointTable  # facets and hit themes as arrays over point positions
    theme_vecs: np.ndarray | None  # the theme scheme's vectors, for the query's themes

    @classmethod
    def load(cls, con: sqlite3.Connection, idx: Indexes, model: str | None) -> Generation:
        return cls(idx, idx.table(con), _theme_vectors(con, model))


class Searcher:
    """Holds the loaded indexes of the newest generation; safe to share between threads."""

    def __init__(self, data_dir: str | Path, fusion: str = rank.DEFAULT_FUSION):
        if fusion not in rank.FUSIONS:
            raise SearchError(f"unknown ranking {fusion!r} (one of: {', '.join(rank.FUSIONS)})")
        self.data_dir = Path(data_dir)
        self.fusion = fusion
        self._lock = threading.Lock()
        self._loaded: Generation | None = None
        self._spec: str | None = None  # the index backend the loaded generation came from
        self._local = threading.local()  # per thread: one read-only connection, reused request after request
        self._encode_pool = BatchEncoder()

    # --- generations ------------------------------------------------------------------------------------

    def _generation(self, con: sqlite3.Connection, gen: int, model: str | None) -> Generation | None:
        """Generation `gen` on the backend the data directory records, loaded once (inside the caller's read
        transaction); a request keeps the object it got."""
        if gen <= 0:
            return None
        backend = recorded(con)
        with self._lock:
            if self._loaded is None or (self._loaded.idx.gen, self._spec) != (gen, backend.spec):
                before = self._loaded.idx if self._loaded is not None and self._spec == backend.spec else None
                self._loaded = Generation.load(con, backend.load(self.data_dir, gen, con, before), model)
                self._spec = backend.spec
            return self._loaded

    def _connection(self) -> tuple[sqlite3.Connection, bool]:
        """This thread's read-only connection (reopened if the database file was replaced), and whether it is kept."""
        try:
            st = os.stat(self.data_dir / store.DB_NAME)
            key = (st.st_dev, st.st_ino)
        except FileNotFoundError:
            key = None
        local = self._local
        con = getattr(local, "con", None)
        if con is not None and con.in_transaction:  # a snapshot inside a snapshot: a connection of its own
            return store.connect(self.data_dir, readonly=True), False
        if con is None or local.key != key:
            if con is not None:
                con.close()
            local.con = None
            local.con, local.key = store.connect(self.data_dir, readonly=True), key
        return local.con, True

    def _begin(self, con: sqlite3.Connection, upgraded: bool = False) -> tuple[int, str | None, Generation | None]:
        """Open the read transaction and load its generation (an older format is upgraded once, then read again)."""
        con.execute("BEGIN")
        gen = int(store.get_state(con, "generation", "0") or 0)
        model = store.get_state(con, "model")
        if model and gen > 0:  # the encoder loads in the background while the generation loads here
            self._encode_pool.preload(model)
        try:
            return gen, model, self._generation(con, gen, model)
        except FileNotFoundError as e:  # pruned by two ingests in a row while we looked: the caller may retry
            raise SearchError(f"{self.data_dir}: index generation {gen} is gone ({e.filename}); search again") from None
        except OldFormat:
            if upgraded:
                raise
            con.rollback()
            _upgrade(self.data_dir)
            return self._begin(con, upgraded=True)

    @contextmanager
    def snapshot(self):
        """A read transaction pinned to one generation: the database and the indexes a request sees always agree."""
        con, kept = self._connection()
        try:
            gen, model, cache = self._begin(con)
            yield Snapshot(con, gen, cache.idx if cache else None, model, cache)
        finally:
            con.rollback()
            if not kept:
                con.close()

    # --- encoding ---------------------------------------------------------------------------------------

    def _encode(self, model: str, texts: list[str]) -> Future:
        """Embed in the background (the first call imports torch) while filters and BM25 run; one averaged vector."""
        return self._encode_pool.submit(model, texts)

    def warm(self) -> None:
        """Load the encoder now (e.g. when a server starts) so the first officer does not wait for it."""
        with self.snapshot() as snap:
            if snap.model:
                self._encode(snap.model, ["warm up"]).result()

    # --- search -----------------------------------------------------------------------------------------

    def search(
        self,
        query: str = "",
        *,
        k: int = 10,
        council: str | None = None,
        theme: str | None = None,
        committee: str | None = None,
        since: str | None = None,
        until: str | None = None,
        exclude_council=(),
        grade: str | None = None,
        like: str | Path | None = None,
        mode: str | None = None,
        with_facets: bool = True,
    ) -> dict:
        """Contract §2 result for a query (or an example text/file given as `like`), within the given filters."""
        with self.snapshot() as snap:
            return self.run(snap, query, k=k, council=council, theme=theme, committee=committee, since=since, until=until,
                            exclude_council=exclude_council, grade=grade, like=like, mode=mode, with_facets=with_facets)

    def run(self, snap: Snapshot, query: str = "", *, k: int = 10, council=None, theme=None, committee=None, since=None,
            until=None, exclude_council=(), grade=None, like=None, mode=None, with_facets=True) -> dict:
        """`search` inside a snapshot the caller holds (compare mode reads the graph in the same generation)."""
        if k < 1:
            raise SearchError(f"--k {k}: must be at least 1")
        mode = mode or self.fusion
        if mode not in rank.FUSIONS:
            raise SearchError(f"unknown ranking {mode!r} (one of: {', '.join(rank.FUSIONS)})")
        if isinstance(exclude_council, str):
            exclude_council = (exclude_council,)
        example = examine(snap.con, snap.idx, like) if like is not None else None
        excluded = sorted(example.council_ids) if example and not council else []
        filters = Filters(council, tuple(exclude_council) + tuple(excluded), theme, committee, since, until, grade)
        if not query.strip() and example is None:
            raise SearchError("empty query")
        out: dict = {"query": query if example is None else (query or _describe(like)), "hits": []}
        if example is not None:
            out["example"] = {"council": example.council, "excluded_council": excluded, "documents": sorted(example.docs),
                              "terms": [w for w, _ in example.terms]}
        if snap.idx is None:
            return out | ({"facets": {}} if with_facets else {})
        mask = snap.idx.restrict(snap.con, filters, exclude_docs=example.docs if example else ())
        ranked, cands, stems = self._rank(snap, query, example, mask, k, mode)
        ids = [p.decode() for p in snap.idx.point_ids[ranked[0][:k]]] if len(ranked[0]) else []
        extra = dict(zip(ids, rank.signals(cands, ranked[0][:k])))
        out["hits"] = make_hits(snap.con, ids, ranked[1][:k].tolist(), stems, extra, snap.cache.table, ranked[0][:k].tolist())
        if with_facets:
            out["facets"] = snap.cache.table.facets(np.asarray(ranked[0][:max(FACET_POOL, k)], dtype=np.int64))
        out["generation"] = snap.gen
        return out

    def _rank(self, snap: Snapshot, query: str, example: Example | None, mask, k: int, mode: str):
        """Candidates from both retrievers, fused by `mode`; returns ((positions, scores), candidates, highlight stems)."""
        idx = snap.idx
        texts = _example_passages(example, query, snap.model) if example else [query]
        qvec = self._encode(snap.model, texts) if snap.model else None
        if example:
            lex_query = " ".join(filter(None, [rank.expand(query) if query else "", example.lexical_query]))
            stems = set(rank.query_stems(query)) | {s for _, s in example.terms}
        else:
            lex_query = rank.expand(query)
            stems = set(rank.query_stems(lex_query))
        n = max(rank.CANDIDATES, 3 * k)
        lex_pts, lex_scores = idx.lexical_search(lex_query, n, mask)
        vec = qvec.result() if qvec is not None else None
        if vec is not None:
            vec_pts, vec_scores = idx.vector_search(vec, n, mask)
        else:
            vec_pts, vec_scores = np.zeros(0, np.int64), np.zeros(0, np.float32)
        cands = rank.Candidates(vec_pts, vec_scores, lex_pts, lex_scores, ids=idx.point_ids)
        if vec is not None and mode not in ("vector", "lexical"):
            cands.exact_vec = _exact_cosines(idx, vec, np.setdiff1d(lex_pts, vec_pts))
            if rank.THEME_BOOST:
                self._themes(snap, vec, query or (example.text if example else ""), cands)
        return rank.FUSIONS[mode](cands), cands, stems

    def _themes(self, snap: Snapshot, vec: np.ndarray, text: str, cands: rank.Candidates) -> None:
        """The query's themes (as ingest assigns them to points) and the candidates' themes, for the theme bonus."""
        cands.query_themes = query_themes(text, vec, snap.cache.theme_vecs)
        if not cands.query_themes:
            return
        table = snap.cache.table
        for p in cands.pool().tolist():
            if mine := table.themes(p):
                cands.themes[p] = dict(mine)


def _upgrade(data_dir: Path) -> None:
    """A data directory an older councilkg wrote gets its index rebuilt as segments from stored vectors, once."""
    from councilkg.embed.compact import upgrade
    from councilkg.embed.pipeline import IngestBusy

    try:
        upgrade(data_dir)
    except IngestBusy:
        raise SearchError(f"{data_dir}: its index is being upgraded or grown; search again") from None


def query_themes(text: str, vec: np.ndarray, theme_vecs: np.ndarray | None) -> dict[str, float]:
    """The query's themes as ingest assigns them to points (none without the scheme's vectors: no theme bonus then)."""
    from councilkg.graph.themes import assign, load_scheme

    if theme_vecs is None:
        return {}
    return {t: s for t, s, _ in assign([text], vec.reshape(1, -1), theme_vecs, load_scheme())[0]}


def _theme_vectors(con: sqlite3.Connection, model: str | None) -> np.ndarray | None:
    """The scheme's theme vectors as ingest stored them (None when any is missing: no theme bonus then)."""
    from councilkg.embed.passages import read_vectors, theme_keys

    return read_vectors(con, theme_keys(model)) if model else None


def _exact_cosines(idx: Indexes, vec: np.ndarray, pts: np.ndarray) -> dict[int, float]:
    """Cosine of the query to points only BM25 found, so fusion weighs their meaning too."""
    # A filtered FAISS search, not the points' own vectors read back: on HNSW the search misses some, and reading
    # them back instead changed 56 of 152 top-10 lists at 100k points; ranking is kept as it was tuned.
    if not len(pts):
        return {}
    got, scores = idx.vector_search(vec, len(pts), idx.only(pts))
    return dict(zip(got.tolist(), scores.tolist()))


def _example_passages(example: Example, query: str, model: str | None) -> list[str]:
    """The example split under the encoder's window (all averaged into one query vector), plus any typed query."""
    from councilkg.embed.encoder import get_encoder
    from councilkg.embed.passages import split

    enc = get_encoder(model)
    parts = split(example.text, None, lambda: enc)
    return parts + ([query] if query.strip() else [])


def _describe(like) -> str:
    return f"like {like}" if isinstance(like, Path) else "like: " + " ".join(str(like).split())[:80]
