"""The increment: one small and one 30-point meeting added to the scaled data directory, against the same ingest into an
empty one (each a fresh `councilkg ingest` process: wall and peak memory); then 100 more one-meeting ingests, the
segment count the merge policy leaves, warm search over them, and a full merge (`compact`)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from councilkg.web.bench.backend import _child
from councilkg.web.bench.corpus import SEED, write_corpus
from councilkg.web.bench.load import _cli

INCREMENTS = 100  # one-meeting ingests before search is measured again (at the benchmark's size)
MEETINGS = (("small", (2, 3), (1, 1)), ("meeting30", (29, 31), (3, 6)))  # (name, points (min, max), items (min, max))


def _meeting(out: Path, points: tuple[int, int], items: tuple[int, int], seed: int) -> tuple[Path, int]:
    """A folder with one synthetic meeting of `points` (min, max) debate points, the first seed from `seed` giving one."""
    from councilkg.corpus.discover import discover
    from councilkg.corpus.readers import read
    from councilkg.corpus.segment import segment

    for s in range(seed, seed + 500):
        shutil.rmtree(out, ignore_errors=True)
        (f,) = write_corpus(out, 1, seed=s, items_per_doc=items)
        n = sum(len(i.points) for i in segment(read(next(iter(discover([str(f)]))))).items)
        if points[0] <= n <= points[1]:
            return out, n
    raise RuntimeError(f"no synthetic meeting of {points} points from seeds {seed}..{seed + 499}")


def _segments(data: Path) -> int:
    from councilkg.embed.index import manifest
    from councilkg.graph import store

    con = store.connect(data, readonly=True)
    try:
        return len(manifest(data, int(store.get_state(con, "generation")))["segments"])
    finally:
        con.close()


def measure_increment(data: Path, workdir: Path, qs: list[str], rounds: int, bare_p50_ms: float, log,
                      increments: int = INCREMENTS) -> dict:
    """The increment figures on a copy of the scaled data directory `data` (left as it is)."""
    from councilkg.embed.pipeline import ingest
    from councilkg.web.bench.search import measure_search

    out: dict = {}
    grown = workdir / "increment-data"
    shutil.rmtree(grown, ignore_errors=True)
    log("increment: copying the scaled data directory")
    shutil.copytree(data, grown, ignore=shutil.ignore_patterns(".ingest.lock", "rdf", "BUILT.json"))
    for name, pts, items in MEETINGS:
        src, n = _meeting(workdir / f"increment-{name}", pts, items, SEED + 9000)
        empty = workdir / f"increment-empty-{name}"
        shutil.rmtree(empty, ignore_errors=True)
        log(f"increment: a {n}-point meeting into an empty directory, then into the scaled one")
        e_s, e_mb = _child(_cli() + ["ingest", str(src), "--data", str(empty)])
        g_s, g_mb = _child(_cli() + ["ingest", str(src), "--data", str(grown)])
        out[name] = {"points": n, "empty_s": e_s, "empty_peak_mb": e_mb, "grown_s": g_s, "grown_peak_mb": g_mb,
                     "wall_ratio": round(g_s / e_s, 2), "peak_ratio": round(g_mb / e_mb, 2)}
        shutil.rmtree(empty, ignore_errors=True)
    log(f"increment: {increments} one-meeting ingests (in this process, the encoder warm)")
    src = workdir / "increment-many"
    shutil.rmtree(src, ignore_errors=True)
    files = write_corpus(src, increments, seed=SEED + 7000, items_per_doc=(1, 2))
    times = []
    for f in files:
        t0 = time.perf_counter()
        ingest([str(f)], grown)
        times.append(time.perf_counter() - t0)
    times.sort()
    out["increments"] = increments
    out["increment_s_p50"], out["increment_s_max"] = round(times[len(times) // 2], 2), round(times[-1], 2)
    out["segments_after"] = _segments(grown)
    log(f"increment: warm search over {out['segments_after']} segments")
    s = measure_search(grown, qs, rounds)
    out["search_p50_ms"], out["search_p95_ms"] = s["search_p50_ms"], s["search_p95_ms"]
    out["search_ratio_to_one_index_bare"] = round(s["search_p50_ms"] / bare_p50_ms, 2)
    out["search_ratio_own_bare"] = s["search_ratio"]
    log("increment: a full merge (compact) in a fresh process")
    out["compact_s"], out["compact_peak_mb"] = _child(_cli() + ["compact", "--data", str(grown)])
    out["segments_after_compact"] = _segments(grown)
    shutil.rmtree(grown, ignore_errors=True)
    return out
