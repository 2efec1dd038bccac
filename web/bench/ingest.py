"""Ingest measured against bare encode of the same passages: what the pipeline costs beyond the model itself."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from councilkg.web.bench.corpus import SEED, write_corpus


def measure_ingest(workdir: Path, n_docs: int, log, index: str | None = None) -> dict:
    """Whole-pipeline ingest against bare encode of the passages it embeds (bare timed before and after, averaged).

    The data directory is first primed with one other document, so the one-off encoding of the theme descriptions
    (a fixed cost per data directory, reported as prime_s) does not count against the batch being measured.
    `index` is the backend ingest writes to (default faiss)."""
    from councilkg.embed.encoder import BATCH_SIZE, get_encoder
    from councilkg.embed.passages import split
    from councilkg.embed.pipeline import ingest
    from councilkg.graph import store

    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / f"ingest-src-s{SEED}-n{n_docs}"
    if not src.exists():
        write_corpus(src, n_docs, seed=SEED)
    prime = workdir / f"ingest-prime-s{SEED}"
    if not prime.exists():
        write_corpus(prime, 1, seed=SEED + 500, items_per_doc=(1, 1))
    data = workdir / "ingest-data"
    shutil.rmtree(data, ignore_errors=True)
    enc = get_encoder()
    enc.encode(["warm up the encoder"] * BATCH_SIZE)
    prime_s = timed(lambda: ingest([str(prime)], data, index=index))
    texts = _passages(src, enc, split)
    cpu: list[float] = []  # CPU seconds of: bare, ingest, bare
    bare = lambda: timed(lambda: enc.model.encode(texts, batch_size=BATCH_SIZE, normalize_embeddings=True,  # noqa: E731
                                                     convert_to_numpy=True, show_progress_bar=False), cpu)
    log(f"ingest: {n_docs} documents, {len(texts)} distinct passages")
    before = bare()
    first = timed(lambda: ingest([str(src)], data, index=index), cpu)
    after = bare()
    again = timed(lambda: ingest([str(src), str(prime)], data, index=index))
    con = store.connect(data, readonly=True)
    points = con.execute("SELECT count(*) FROM points p JOIN documents d ON d.id = p.doc_id WHERE d.path_key LIKE ?",
                         (f"{src.resolve()}%",)).fetchone()[0]
    con.close()
    encode_s = (before + after) / 2
    return {"ingest_docs": n_docs, "ingest_points": points, "ingest_passages": len(texts), "prime_s": round(prime_s, 2),
            "ingest_s": round(first, 2), "bare_encode_s": round(encode_s, 2), "bare_encode_spread_s": [round(before, 2), round(after, 2)],
            "ingest_points_per_s": round(points / first, 1), "bare_points_per_s": round(points / encode_s, 1),
            "ingest_ratio": round(encode_s / first, 3), "ingest_ratio_cpu": round((cpu[0] + cpu[2]) / 2 / cpu[1], 3), "reingest_s": round(again, 3), "reingest_ratio": round(again / first, 4)}


def _passages(src: Path, enc, split) -> list[str]:
    """The distinct passage texts ingest will embed for these files (what the pipeline encodes, once each)."""
    from councilkg.corpus.discover import discover
    from councilkg.corpus.readers import read
    from councilkg.corpus.segment import segment

    out: dict[str, None] = {}
    for f in discover([str(src)]):
        for item in segment(read(f)).items:
            for p in item.points:
                out.update(dict.fromkeys(split(p.text, item.title, lambda: enc)))
    return list(out)


def timed(fn, cpu: list | None = None) -> float:
    """Wall seconds of fn(); with cpu, also append this process's CPU seconds (all threads), which other load barely moves."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    if cpu is not None:
        cpu.append(time.process_time() - c0)
    return time.perf_counter() - t0
