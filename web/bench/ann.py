"""One million derived vectors: build time, latency, recall@10 against exact search and memory of approximate indexes."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from councilkg.web.bench.scale import MIX, NOISE

K = 10
CHUNK = 100_000


def derive_vectors(real: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n vectors, each a normalised mixture of three real vectors plus noise (as the 100k corpus), made in chunks."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for s in range(0, n, CHUNK):
        m = min(CHUNK, n - s)
        a, b, c = (rng.integers(0, len(real), m) for _ in range(3))
        v = MIX[0] * real[a] + MIX[1] * real[b] + MIX[2] * real[c] + rng.normal(0, NOISE, (m, real.shape[1])).astype(np.float32)
        out[s:s + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def _latency(search, queries: np.ndarray) -> tuple[float, float, np.ndarray]:
    """p50 and p95 of one-query searches (ms), and the ids found."""
    times, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        found.append(search(q.reshape(1, -1)))
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95)), np.stack(found)


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f[:K]) & set(t[:K])) / K for f, t in zip(found, truth)]))


def _size_mb(index) -> float:
    import faiss

    return faiss.serialize_index(index).nbytes / 2**20


def hnsw(vecs: np.ndarray) -> tuple[object, callable]:
    """The index councilkg builds above 50k passages (embed/index.py), at 1M."""
    import faiss

    from councilkg.embed import index as ix

    idx = faiss.IndexHNSWFlat(vecs.shape[1], ix.HNSW_M, faiss.METRIC_INNER_PRODUCT)
    idx.hnsw.efConstruction = ix.HNSW_EF_CONSTRUCTION
    idx.add(vecs)
    idx.hnsw.efSearch = ix.HNSW_EF_SEARCH
    return idx, lambda q: idx.search(q, K)[1][0]


def ivfpq_rerank(vecs: np.ndarray, workdir: Path, nlist: int = 4096, m: int = 48, nprobe: int = 32, shortlist: int = 100):
    """IVF-PQ codes in memory (m bytes a vector); a shortlist re-scored from float16 vectors memory-mapped from disk."""
    import faiss

    quant = faiss.IndexFlatIP(vecs.shape[1])
    idx = faiss.IndexIVFPQ(quant, vecs.shape[1], nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    idx.train(vecs[rng.choice(len(vecs), min(len(vecs), 64 * nlist), replace=False)])
    idx.add(vecs)
    idx.nprobe = nprobe
    path = Path(workdir) / "vectors-f16.npy"
    np.save(path, vecs.astype(np.float16))
    disk = np.load(path, mmap_mode="r")

    def search(q):
        ids = idx.search(q, shortlist)[1][0]
        ids = ids[ids >= 0]
        scores = disk[np.sort(ids)].astype(np.float32) @ q[0]
        return np.sort(ids)[np.argsort(-scores)[:K]]

    return idx, search


INDEXES = {"hnsw32-flat (shipped)": lambda v, w: hnsw(v), "ivf4096-pq48 + fp16 rerank": ivfpq_rerank}


def run(real: np.ndarray, queries: np.ndarray, workdir: Path, n: int = 1_000_000, seed: int = 7, log=print) -> dict:
    """Exact search as ground truth, then each approximate index: build s, p50/p95 ms, recall@10, memory MiB."""
    import faiss

    t0 = time.perf_counter()
    vecs = derive_vectors(real, n, seed)
    out: dict = {"vectors": n, "dim": int(vecs.shape[1]), "derive_s": round(time.perf_counter() - t0, 1), "queries": len(queries),
                 "raw_float32_mb": round(vecs.nbytes / 2**20, 1)}
    exact = faiss.IndexFlatIP(vecs.shape[1])
    exact.add(vecs)
    p50, p95, truth = _latency(lambda q: exact.search(q, K)[1][0], queries)
    out["exact"] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}
    exact.reset()  # free its copy of the vectors (1.5 GB) before the approximate indexes are built
    for name, make in INDEXES.items():
        log(f"1M: building {name}")
        t0 = time.perf_counter()
        idx, search = make(vecs, workdir)
        build = time.perf_counter() - t0
        p50, p95, found = _latency(search, queries)
        out[name] = {"build_s": round(build, 1), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
                     "recall_at_10": round(_recall(found, truth), 3), "index_mb": round(_size_mb(idx), 1)}
        del idx, search
    return out
