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
    if isinstance(index, MilvusIndex):
        return index.mb
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
MILVUS_COLLECTION = "councilkg_bench_ann"  # not ckg_*: no stateless reader takes it for a data directory's shard
MILVUS_BATCH = 5_000


class MilvusIndex:
    """The study's collection in a Milvus, with what it added to the server's resident memory (a local server only)."""

    def __init__(self, client, name: str, mb: float | None):
        self.client, self.name, self.mb = client, name, mb

    def drop(self) -> None:
        self.client.drop_collection(self.name)


def milvus_hnsw(uri: str):
    """The Milvus index backend's HNSW (the same M, efConstruction and ef as FAISS's) at 1M: build is insert, flush
    and the index finished; memory is the local server's growth."""

    def make(vecs: np.ndarray, workdir: Path):
        from pymilvus import DataType

        from councilkg.embed import index as ix
        from councilkg.embed.milvus import connect
        from councilkg.web.bench.backend import server_rss_mb

        client = connect(uri)
        if client.has_collection(MILVUS_COLLECTION):
            client.drop_collection(MILVUS_COLLECTION)
        before = server_rss_mb(uri)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vec", DataType.FLOAT_VECTOR, dim=vecs.shape[1])
        params = client.prepare_index_params()
        params.add_index(field_name="vec", index_type="HNSW", metric_type="IP",
                         params={"M": ix.HNSW_M, "efConstruction": ix.HNSW_EF_CONSTRUCTION})
        client.create_collection(MILVUS_COLLECTION, schema=schema, index_params=params)
        for s in range(0, len(vecs), MILVUS_BATCH):
            client.insert(MILVUS_COLLECTION, [{"id": s + i, "vec": v.tolist()} for i, v in enumerate(vecs[s:s + MILVUS_BATCH])])
        client.flush(MILVUS_COLLECTION)
        client.load_collection(MILVUS_COLLECTION)
        while client.describe_index(MILVUS_COLLECTION, "vec").get("pending_index_rows", 0):
            time.sleep(1)
        after = server_rss_mb(uri)
        search_params = {"metric_type": "IP", "params": {"ef": ix.HNSW_EF_SEARCH}}

        def search(q):
            got = client.search(MILVUS_COLLECTION, data=[q[0].tolist()], anns_field="vec", limit=K, search_params=search_params)
            return np.array([h["id"] for h in got[0]] + [-1] * (K - len(got[0])), dtype=np.int64)

        mb = after - before if before is not None and after is not None else None
        return MilvusIndex(client, MILVUS_COLLECTION, mb), search

    return make


def run(real: np.ndarray, queries: np.ndarray, workdir: Path, n: int = 1_000_000, seed: int = 7, log=print,
        index: str | None = None, indexes=tuple(INDEXES)) -> dict:
    """Exact search as ground truth, then each approximate index: build s, p50/p95 ms, recall@10, memory MiB.

    With `index` ("milvus:URI"), that Milvus's HNSW is measured too, on the same vectors and queries."""
    import faiss

    indexes = {name: INDEXES[name] for name in indexes}
    if index:
        from councilkg.embed.backends import Milvus, parse_index

        backend = parse_index(index)
        if isinstance(backend, Milvus):
            indexes[f"milvus hnsw32 ({backend.spec})"] = milvus_hnsw(backend.uri)

    t0 = time.perf_counter()
    vecs = derive_vectors(real, n, seed)
    out: dict = {"vectors": n, "dim": int(vecs.shape[1]), "derive_s": round(time.perf_counter() - t0, 1), "queries": len(queries),
                 "raw_float32_mb": round(vecs.nbytes / 2**20, 1)}
    exact = faiss.IndexFlatIP(vecs.shape[1])
    exact.add(vecs)
    p50, p95, truth = _latency(lambda q: exact.search(q, K)[1][0], queries)
    out["exact"] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}
    exact.reset()  # free its copy of the vectors (1.5 GB) before the approximate indexes are built
    for name, make in indexes.items():
        log(f"1M: building {name}")
        t0 = time.perf_counter()
        idx, search = make(vecs, workdir)
        build = time.perf_counter() - t0
        p50, p95, found = _latency(search, queries)
        mb = _size_mb(idx)
        out[name] = {"build_s": round(build, 1), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
                     "recall_at_10": round(_recall(found, truth), 3), "index_mb": None if mb is None else round(mb, 1)}
        if isinstance(idx, MilvusIndex):
            idx.drop()
        del idx, search
    return out
