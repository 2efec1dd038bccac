"""Warm search over the scaled corpus against bare encode, FAISS and BM25 for the same queries."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from councilkg.web.bench.ingest import timed

QUERIES_FILE = Path(__file__).resolve().parents[2] / "tests" / "eval" / "queries.json"


def queries() -> list[str]:
    """The labelled evaluation queries (real officers' questions), else a few written here."""
    if QUERIES_FILE.exists():
        return [q["query"] for q in json.loads(QUERIES_FILE.read_text()) if q.get("query")]
    return ["social worker recruitment and retention", "ofsted inadequate judgement improvement plan", "care leavers housing"]


def _ms(seconds: list[float], p: float) -> float:
    return round(float(np.percentile(np.array(seconds) * 1000, p)), 2)


def warm_searcher(data: Path, qs: list[str]):
    """A Searcher that has answered every query once, its loaded indexes and the bare sentence-transformers model."""
    from councilkg.embed.encoder import get_encoder
    from councilkg.embed.search import Searcher

    s = Searcher(data)
    s.warm()
    for q in qs:
        s.search(q)
    with s.snapshot() as snap:
        idx = snap.idx
    return s, idx, get_encoder(idx.info["model"]).model


def measure_search(data: Path, qs: list[str], rounds: int) -> dict:
    """Warm Searcher.search (query encoding included) against bare encode + bare FAISS + bare BM25 for the same query."""
    import faiss

    from councilkg.embed import rank
    from councilkg.embed.index import HNSW_EF_SEARCH

    s, idx, enc = warm_searcher(data, qs)
    segs = [(p.seg.vectors, faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, rank.CANDIDATES))
             if p.seg.info["vector_index"] == "hnsw" else None) for p in idx.parts]
    full, bare, parts = [], [], {"encode": [], "faiss": [], "bm25": []}
    for _ in range(rounds):
        for q in qs:
            full.append(timed(lambda: s.search(q)))
            t0 = time.perf_counter()
            v = enc.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            t1 = time.perf_counter()
            for vectors, params in segs:  # each segment's FAISS index, as Indexes.vector_search calls them
                vectors.search(v.astype(np.float32), rank.CANDIDATES, params=params)
            t2 = time.perf_counter()
            idx.lexical_search(q, rank.CANDIDATES)  # BM25 over the segments' term counts: there is no library under it
            t3 = time.perf_counter()
            bare.append(t3 - t0)
            for k, d in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
                parts[k].append(d)
    p50 = _ms(full, 50)
    return {"points": int(len(idx.point_ids)), "vector_index": idx.info["vector_index"], "search_queries": len(full),
            "search_p50_ms": p50, "search_p95_ms": _ms(full, 95), "bare_p50_ms": _ms(bare, 50),
            "bare_parts_p50_ms": {k: _ms(v, 50) for k, v in parts.items()}, "search_ratio": round(p50 / _ms(bare, 50), 2)}
