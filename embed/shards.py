"""Stateless search over every data directory's shard in one Milvus: no data directory, the ranking of embed/search unchanged."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from councilkg.embed import milvus as mv
from councilkg.embed import rank
from councilkg.embed.encoder import BatchEncoder
from councilkg.embed.filters import Filters, SearchError
from councilkg.embed.milvus_index import CANDIDATES as LEX_FETCH, MilvusIndexes
from councilkg.embed.search import FACET_POOL, query_themes
from councilkg.embed.shard_bm25 import CorpusStats, scorer
from councilkg.embed.shard_rows import ROW_FIELDS, council_ids, facets, hits

MAX_LIMIT = 16_384  # Milvus's largest topk / query window
WORKERS = 8  # shards searched at once
COUNCIL_CACHE = 4_096  # council filters resolved and kept
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shard:
    """One data directory's newest committed generation, as its alias named it when this request began."""

    instance: str
    idx: MilvusIndexes  # its collections at one generation: fixed contents, so whatever follows from them is kept with it

    @property
    def points(self) -> str:
        return self.idx.points

    @property
    def info(self) -> dict:
        return self.idx.info


@dataclass(frozen=True)
class Found:
    """A candidate from one shard: its point id (for stable ties) and where it lives."""

    score: float
    point_id: str
    shard: int
    pos: int


class ShardSearcher:
    """The Searcher's contract over every `ckg_*` alias of one Milvus; holds no data of its own, safe to share between threads."""

    def __init__(self, uri: str, fusion: str = rank.DEFAULT_FUSION):
        if fusion not in rank.FUSIONS:
            raise SearchError(f"unknown ranking {fusion!r} (one of: {', '.join(rank.FUSIONS)})")
        self.uri = uri
        self.fusion = fusion
        self._client = None
        self._lock = threading.Lock()
        self._opened: dict[tuple[str, int], MilvusIndexes] = {}  # (points collection, generation) -> its reader
        self._councils: dict[tuple[str, int, str], set[str]] = {}  # (collection, generation, filter) -> council ids
        self._theme_vecs: dict[str, np.ndarray] = {}
        self._encode_pool = BatchEncoder()
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="councilkg-shard")  # one Milvus call each
        self._sides = ThreadPoolExecutor(WORKERS, thread_name_prefix="councilkg-side")  # steps that use the pool
        self._corpus: CorpusStats | None = None
        self._old: set[str] = set()  # shards of another format, told once

    @classmethod
    def for_index(cls, spec: str, fusion: str = rank.DEFAULT_FUSION) -> ShardSearcher:
        """The searcher for an index spec; only a shared one (milvus:URI) can be searched without a data directory."""
        from councilkg.embed.backends import BackendError, Milvus, parse_index

        backend = parse_index(spec)
        if not isinstance(backend, Milvus):
            raise BackendError(f"--index {spec!r}: without a data directory the index must be milvus:URI "
                               "(a FAISS index lives in its data directory: give --data)")
        return cls(backend.uri, fusion)

    # --- shards -----------------------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = mv.connect(self.uri)
        return self._client

    def _call(self, what: str, fn, *args, **kw):
        """One Milvus call of this searcher's (see milvus.call)."""
        return mv.call(self.uri, what, fn, *args, **kw)

    def shards(self) -> list[Shard]:
        """Every data directory's shard at the generation published on it now (an ingest publishing later does not mix
        generations: this request reads the rows that generation holds)."""
        c = self.client
        names = sorted(a for a in self._call("cannot list aliases", c.list_aliases).get("aliases", []) if a.startswith(mv.PREFIX))

        def resolve(a: str) -> tuple[str, dict]:  # the collection, then what is published on it
            points = self._call(f"cannot resolve alias {a}", c.describe_alias, a)["collection_name"]
            return points, self._call(f"cannot describe {points}", mv.generation_info, c, points)

        out = []
        for a, (points, info) in zip(names, list(self._pool.map(resolve, names))):
            if mv.parse_collection(points) is None or not info.get("generation"):
                continue  # someone else's alias under our prefix, or nothing published on it yet
            if info.get("format") != mv.FORMAT:  # an older councilkg's rows: its writer's next ingest rebuilds them
                if points not in self._old:
                    self._old.add(points)
                    log.warning("milvus:%s: %s is Milvus format %s, not %s: left out until its data directory is "
                                "ingested again", self.uri, points, info.get("format"), mv.FORMAT)
                continue
            idx = self._opened.setdefault((points, info["generation"]), MilvusIndexes(
                info["generation"], info, np.zeros(0, "S16"), self.uri, points, mv.passages_of(points), c))
            out.append(Shard(a.removeprefix(mv.PREFIX), idx))
        current = {(s.points, s.idx.gen) for s in out}
        for gone in [k for k in self._opened if k not in current]:  # a request still on it holds its own reference
            self._opened.pop(gone, None)
        return out

    @property
    def _stats(self) -> CorpusStats:
        if self._corpus is None:
            self._corpus = CorpusStats(self.client, self._call)
        return self._corpus

    def _model(self, shards: list[Shard]) -> str:
        models = {s.info.get("model") for s in shards}
        if len(models) != 1 or None in models:
            seen = ", ".join(f"{s.instance}: {s.info.get('model')}" for s in shards)
            raise SearchError(f"milvus:{self.uri}: the shards were embedded with different encoders ({seen}); re-ingest them with one")
        return models.pop()

    def theme_vectors(self, model: str) -> np.ndarray:
        """The shipped scheme's theme vectors, encoded once per process (what ingest stores beside a data directory's passages)."""
        if model not in self._theme_vecs:
            from councilkg.embed.encoder import get_encoder
            from councilkg.graph.themes import load_scheme, theme_texts

            self._theme_vecs[model] = get_encoder(model).encode(theme_texts(load_scheme()))
        return self._theme_vecs[model]

    def warm(self) -> None:
        """Connect, load the encoder and the theme vectors, and read each shard's statistics now, so the first officer
        does not wait for them."""
        shards = self.shards()
        if shards:
            model = self._model(shards)
            self._encode_pool.submit(model, ["warm up"]).result()
            self.theme_vectors(model)
            list(self._pool.map(self._stats.df, shards))  # each shard's BM25 statistics, read once

    # --- search -----------------------------------------------------------------------------------------

    def search(self, query: str = "", *, k: int = 10, council=None, theme=None, committee=None, since=None, until=None,
               exclude_council=(), grade=None, like: str | Path | None = None, mode: str | None = None,
               with_facets: bool = True) -> dict:
        """Contract §2 result for a query within the given filters, from every shard's rows."""
        if k < 1:
            raise SearchError(f"--k {k}: must be at least 1")
        mode = mode or self.fusion
        if mode not in rank.FUSIONS:
            raise SearchError(f"unknown ranking {mode!r} (one of: {', '.join(rank.FUSIONS)})")
        if like is not None:
            raise SearchError("--like needs a data directory (it finds the example's own documents there); "
                              "this search has only the index")
        if not query.strip():
            raise SearchError("empty query")
        if isinstance(exclude_council, str):
            exclude_council = (exclude_council,)
        filters = Filters(council, tuple(exclude_council), theme, committee, since, until, grade)
        shards = self.shards()
        try:
            return self._answer(shards, query, filters, k, mode, with_facets)
        except mv.MilvusError:  # a collection dropped while we read it (a rebuild): once more, from the aliases
            again = self.shards()
            if [(s.points, s.idx.gen) for s in again] == [(s.points, s.idx.gen) for s in shards]:
                raise
            return self._answer(again, query, filters, k, mode, with_facets)

    def _answer(self, shards: list[Shard], query: str, filters: Filters, k: int, mode: str, with_facets: bool) -> dict:
        out: dict = {"query": query, "hits": []}
        if not shards:
            return out | ({"facets": {}} if with_facets else {})
        ranked, cands, rows, stems = self._rank(shards, query, filters, k, mode)
        top = ranked[0][:k]
        out["hits"] = hits([rows[i] for i in top.tolist()], ranked[1][:k].tolist(), stems, rank.signals(cands, top))
        if with_facets:
            committees = sum((self._stats.committees(s) for s in shards), Counter())
            out["facets"] = facets([rows[i] for i in ranked[0][:max(FACET_POOL, k)].tolist()], committees)
        out["shards"] = {s.instance: s.info.get("generation") for s in shards}
        return out

    def _rank(self, shards: list[Shard], query: str, filters: Filters, k: int, mode: str):
        """Candidates of both retrievers from every shard, fused by `mode` over keys that stand for (shard, position).

        Returns ((keys, scores), candidates, each key's row, highlight stems), as Searcher._rank does for one data directory."""
        model = self._model(shards)
        qvec = self._encode_pool.submit(model, [query])
        resolve = lambda name: self._council_ids(shards, name)  # noqa: E731
        expr = mv.expression(filters, resolve, resolve) or None
        lex_query = rank.expand(query)
        stems = set(rank.query_stems(lex_query))
        n = max(rank.CANDIDATES, 3 * k)
        dense_side = self._sides.submit(lambda: _best(self._each(shards, lambda s: _found(*s.idx.vector_search(
            qvec.result(), n, expr))), n))  # the dense side runs while BM25 does
        lex = self._lexical_all(shards, lex_query, n, expr)
        dense, vec = dense_side.result(), qvec.result()
        lex_only = {(f.shard, f.pos) for f in lex} - {(f.shard, f.pos) for f in dense}
        exact = self._sides.submit(self._exact, shards, vec, sorted(lex_only)) if mode not in ("vector", "lexical") else None
        by_place = self._rows(shards, {(f.shard, f.pos) for f in lex + dense})
        places = sorted(by_place, key=lambda sp: (by_place[sp]["point_id"], sp))  # ties fall as in one data directory
        key = {sp: i for i, sp in enumerate(places)}
        rows = [by_place[sp] for sp in places]
        as_arrays = lambda fs: (np.array([key[f.shard, f.pos] for f in fs], np.int64),  # noqa: E731
                                np.array([f.score for f in fs], np.float32))
        cands = rank.Candidates(*as_arrays(dense), *as_arrays(lex))
        if exact is not None:
            cands.exact_vec = {key[f.shard, f.pos]: f.score for f in exact.result()}
            if rank.THEME_BOOST:
                cands.query_themes = query_themes(query, vec, self.theme_vectors(model))
                if cands.query_themes:
                    cands.themes = {i: dict(zip(r["themes"], map(float, r["theme_scores"]))) for i, r in enumerate(rows) if r["themes"]}
        return rank.FUSIONS[mode](cands), cands, rows, stems

    def _each(self, shards: list[Shard], fn) -> list[Found]:
        """`fn(shard)` for every shard at once; each gives (score, point id, pos) triples."""
        done = list(self._pool.map(fn, shards))
        return [Found(sc, pid, i, pos) for i, got in enumerate(done) for sc, pid, pos in got]

    def _lexical_all(self, shards: list[Shard], query: str, n: int, expr: str | None) -> list[Found]:
        """The n best points by BM25 over all shards, scored with all shards' statistics together (see shard_bm25)."""
        from councilkg.embed.index import tokenize

        tokens = tokenize([query])[0]
        if not tokens:
            return []
        score = scorer(self._stats, shards, tokens)
        got = self._each(shards, lambda s: [(score(lex), pid, pos) for pid, pos, lex in self._lexical(s, tokens, n, expr)])
        return _best([f for f in got if f.score > 0], n)

    def _lexical(self, s: Shard, tokens: list[str], n: int, expr: str | None) -> list[tuple]:
        """BM25 candidates in one shard, with their stems: Milvus matches our own stems (the `lex` field holds them)."""
        got = self._call(f"cannot search {s.points}", self.client.search, s.points, data=[" ".join(tokens)],
                         anns_field="sparse", search_params={"metric_type": "BM25"}, filter=mv.both(s.idx.live, expr),
                         limit=min(max(n, LEX_FETCH), MAX_LIMIT), output_fields=["point_id", "lex"])[0]
        return [(h["entity"]["point_id"], int(h["pos"]), h["entity"]["lex"]) for h in got]

    def _exact(self, shards: list[Shard], vec: np.ndarray, only: list[tuple[int, int]]) -> list[Found]:
        """Cosines of the points only BM25 found, by a dense search restricted to them (as embed/search does with FAISS)."""
        by_shard = _by_shard(only)

        def search(s: Shard):
            mine = by_shard.get(shards.index(s))
            return _found(*s.idx.vector_search(vec, len(mine), s.idx.only(mine))) if mine else []

        return self._each(shards, search) if only else []

    def _rows(self, shards: list[Shard], places: set[tuple[int, int]]) -> dict[tuple[int, int], dict]:
        """The rows of the candidates at (shard, position), read from their points collections."""
        by_shard = _by_shard(places)

        def read(s: Shard) -> list[dict]:
            mine = by_shard.get(shards.index(s))
            if not mine:
                return []
            return self._call(f"cannot read {s.points}", self.client.query, s.points, filter=mv.only(mine),
                              output_fields=ROW_FIELDS, limit=min(len(mine), MAX_LIMIT))

        return {(i, int(r["pos"])): r for i, got in enumerate(self._pool.map(read, shards)) for r in got}

    def _council_ids(self, shards: list[Shard], name: str) -> set[str]:
        """A --council value as the stored ids it means, resolved without a councils table (see shard_rows.council_ids)."""
        return council_ids(name, lambda expr: set().union(*(self._ids_where(s, expr) for s in shards)))

    def _ids_where(self, s: Shard, expr: str) -> set[str]:
        """Council ids of the points matching `expr` in one shard; a generation never changes, so the answer is kept."""
        key = (s.points, s.idx.gen, expr)
        if key not in self._councils:
            got = self._call(f"cannot read {s.points}", self.client.query, s.points, filter=mv.both(s.idx.live, expr),
                             output_fields=["council_id"], limit=1000)
            if len(self._councils) >= COUNCIL_CACHE:  # council filters are the visitors' words: never an unbounded cache
                self._councils.clear()
            self._councils[key] = {r["council_id"] for r in got if r["council_id"]}
        return self._councils[key]


def _by_shard(places) -> dict[int, list[int]]:
    """(shard, position) pairs as each shard's positions."""
    out: dict[int, list[int]] = {}
    for shard, pos in places:
        out.setdefault(shard, []).append(pos)
    return out


def _best(found: list[Found], n: int) -> list[Found]:
    """The n best candidates over all shards, best first."""
    return sorted(found, key=lambda f: (-f.score, f.point_id, f.shard, f.pos))[:n]


def _found(pts: np.ndarray, scores: np.ndarray) -> list[tuple]:
    """A MilvusIndexes search's answer as (score, point id unknown yet, pos) triples."""
    return [(float(sc), "", int(p)) for p, sc in zip(pts.tolist(), scores.tolist())]
