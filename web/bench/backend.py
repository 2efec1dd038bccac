"""`bench --index milvus:URI`: the same figures for another index backend, side by side with FAISS on the same corpora in one run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from councilkg.web.bench.ingest import measure_ingest, timed
from councilkg.web.bench.load import BenchError, _cli, _env
from councilkg.web.bench.search import _ms, warm_searcher

K = 10  # recall@K of the dense side against an exact scan


def _child(args: list[str], timeout: float = 3600, err: list | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one child process: its VmHWM, sampled until it exits (the rusage of a child
    forked from this big process would report this process's peak instead). Its stderr is appended to `err`."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
    peak = 0
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None and time.perf_counter() - t0 < timeout:
        try:
            peak = max(peak, next(int(x.split()[1]) for x in status.read_text().splitlines() if x.startswith("VmHWM:")))
        except (OSError, StopIteration):
            pass
        time.sleep(0.05)
    err_text = proc.communicate(timeout=60)[1].decode(errors="replace").strip()
    took = time.perf_counter() - t0
    if err is not None:
        err.append(err_text)
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(args[:3])} failed: {err_text.splitlines()[-1:] or proc.returncode}")
    return round(took, 2), round(peak / 1024, 1)


def server_rss_mb(uri: str) -> float | None:
    """Resident memory of the process listening on a loopback URI's port (a local Milvus), else None."""
    from urllib.parse import urlparse

    u = urlparse(uri)
    if u.hostname not in ("127.0.0.1", "localhost") or not u.port:
        return None
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == u.port:  # LISTEN
                inodes.add(f"socket:[{f[9]}]")
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{pid}/fd")):
                from councilkg.web.bench.load import rss_mb

                return round(rss_mb(int(pid)), 1)
        except OSError:
            continue
    return None


FAISS_BUILD = ("import sys; from pathlib import Path; from councilkg.embed import grow; from councilkg.graph import store; "
               "con = store.connect(sys.argv[1], readonly=True); grow.build(con, Path(sys.argv[2]), 1, store.get_state(con, 'model'))")


def builds(data: Path, spec: str, workdir: Path) -> tuple[Path, dict]:
    """Index builds of the scaled corpus, each in a fresh process: FAISS + BM25, and `spec` (a copy switched to it)."""
    out: dict = {}
    faiss_out = workdir / "faiss-build"
    shutil.rmtree(faiss_out, ignore_errors=True)
    out["faiss_build_s"], out["faiss_build_peak_rss_mb"] = _child([sys.executable, "-c", FAISS_BUILD, str(data), str(faiss_out)])
    shutil.rmtree(faiss_out, ignore_errors=True)
    copy, switched = switch(data, spec, workdir)
    return copy, out | switched


def switch(data: Path, spec: str, workdir: Path) -> tuple[Path, dict]:
    """A copy of the scaled corpus switched to `spec` in a fresh process (its index built whole, nothing embedded)."""
    out: dict = {}
    copy = workdir / "backend-data"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data, copy, ignore=shutil.ignore_patterns(".ingest.lock", "index", "rdf"))
    import sqlite3

    con = sqlite3.connect(copy / "councilkg.sqlite")
    con.execute("DELETE FROM state WHERE key = 'instance'")  # its own collections, not the cached corpus's
    con.commit()
    con.close()
    server_before = server_rss_mb(spec.removeprefix("milvus:"))
    out["backend_build_s"], out["backend_build_peak_rss_mb"] = _child(
        _cli() + ["ingest", str(_nothing(workdir)), "--data", str(copy), "--index", spec])
    if server_before is not None:
        out["backend_server_rss_mb"] = [server_before, server_rss_mb(spec.removeprefix("milvus:"))]  # before, after
    return copy, out


def increment(copy: Path, spec: str, workdir: Path, log=print) -> dict:
    """The small and the 30-point meeting added to the scaled corpus on `spec` (grown in place), each with `--push` to a
    loopback Oxigraph already holding the corpus's graph (so the changes are sent), against the same ingest and push
    into an empty data directory; each a fresh `councilkg ingest` process. Rows written to the index, triples sent."""
    from contextlib import nullcontext

    from councilkg.embed.backends import parse_index
    from councilkg.web.bench.corpus import SEED
    from councilkg.web.bench.increment import MEETINGS, _meeting
    from councilkg.web.bench.push import oxigraph_binary, oxigraph_serve

    location = workdir / "backend-push-store"
    shutil.rmtree(location, ignore_errors=True)
    out: dict = {"push": oxigraph_binary().exists()}  # without the oxigraph server: the increment alone
    with oxigraph_serve(location) if out["push"] else nullcontext() as base:
        push = ["--push", f"{base}/store"] if base else []
        if push:
            log(f"{spec}: the scaled corpus's whole graph pushed (once, before the increments)")
            sent: list[str] = []
            out["first_push_s"], _ = _child(_cli() + ["ingest", str(_nothing(workdir)), "--data", str(copy)] + push, err=sent)
            out["first_push_sent"] = _sent(sent)
        for name, pts, items in MEETINGS:
            src, n = _meeting(workdir / f"backend-increment-{name}", pts, items, SEED + 9000)
            empty = workdir / f"backend-increment-empty-{name}"
            shutil.rmtree(empty, ignore_errors=True)
            log(f"{spec}: a {n}-point meeting into an empty directory, then into the scaled one" + (", each with --push" * bool(push)))
            e_err: list[str] = []
            g_err: list[str] = []
            e_s, e_mb = _child(_cli() + ["ingest", str(src), "--data", str(empty), "--index", spec] + push, err=e_err)
            g_s, g_mb = _child(_cli() + ["ingest", str(src), "--data", str(copy)], err=g_err)  # its index and push recorded
            out[name] = {"points": n, "empty_s": e_s, "empty_peak_mb": e_mb, "grown_s": g_s, "grown_peak_mb": g_mb,
                         "wall_ratio": round(g_s / e_s, 2), "rows_written": _written(copy),
                         "triples_sent": _sent(g_err), "empty_triples_sent": _sent(e_err)}
            _retire(parse_index(spec), empty)
            shutil.rmtree(empty, ignore_errors=True)
    shutil.rmtree(location, ignore_errors=True)
    out["increment_ratio"] = max(out[m[0]]["wall_ratio"] for m in MEETINGS)
    return out


def _nothing(workdir: Path) -> Path:
    """An empty folder to ingest: the run only re-indexes (a switch) or pushes."""
    path = workdir / "backend-empty"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sent(err: list[str]) -> int | None:
    """Triples the run's push sent, from its one-line report on stderr (None: it pushed nothing)."""
    import re

    m = re.search(r"^pushed generation \d+ \((\d+) triples", err[0] if err else "", re.M)
    return int(m.group(1)) if m else None


def _written(data: Path) -> dict | None:
    """The rows the committed generation wrote to the index (Milvus: points, passages, retired, deleted)."""
    import json

    from councilkg.graph import store

    con = store.connect(data, readonly=True)
    try:
        gen = int(store.get_state(con, "generation", "0"))
    finally:
        con.close()
    return json.loads((data / "index" / f"gen-{gen:06d}" / "info.json").read_text()).get("written")


def _bare(idx, qs: list[str], enc, rounds: int) -> tuple[list[float], dict]:
    """Bare encode + the backend's own dense and BM25 calls (as Searcher makes them, without our fusion)."""
    from councilkg.embed import rank
    from councilkg.embed.index import tokenize

    bare, parts = [], {"encode": [], "dense": [], "bm25": []}
    for _ in range(rounds):
        for q in qs:
            t0 = time.perf_counter()
            v = enc.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            t1 = time.perf_counter()
            idx.vector_search(v[0], rank.CANDIDATES)
            t2 = time.perf_counter()
            if tokenize([q])[0]:
                idx.lexical_search(q, rank.CANDIDATES)
            t3 = time.perf_counter()
            bare.append(t3 - t0)
            for k, d in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
                parts[k].append(d)
    return bare, parts


def exact_points(data: Path, point_ids: np.ndarray, qv: np.ndarray) -> list[set[int]]:
    """The true top-K points per query: max cosine over each point's passages, by a full scan."""
    from councilkg.graph import store

    con = store.connect(data, readonly=True)
    rows = con.execute("SELECT ps.point_id, v.vec FROM passages ps JOIN vectors v ON v.key = ps.vec_key").fetchall()
    con.close()
    mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    pos = np.searchsorted(point_ids, np.array([r[0] for r in rows], dtype="S16"))
    out = []
    for v in qv:
        best = np.full(len(point_ids), -np.inf, dtype=np.float32)
        np.maximum.at(best, pos, mat @ v)
        out.append(set(np.argpartition(-best, K)[:K].tolist()))
    return out


def measure(data: Path, spec: str, workdir: Path, qs: list[str], rounds: int, n_docs: int, log) -> dict:
    """Ingest ratio, index build time and memory, warm search p50/p95 and its ratio to bare parts, recall@10, both sides."""
    from councilkg.embed.backends import parse_index

    backend = parse_index(spec)
    backend.check()
    out: dict = {"index": backend.spec}
    log(f"{backend.spec}: ingest")
    ing = measure_ingest(workdir / "backend-ingest", n_docs, log, index=backend.spec)
    out.update({f"backend_{k}": v for k, v in ing.items() if k in ("ingest_s", "bare_encode_s", "ingest_ratio", "reingest_ratio")})
    log(f"{backend.spec}: index builds of the scaled corpus")
    copy, built = builds(data, backend.spec, workdir)
    out.update(built)
    log(f"{backend.spec}: the small and the 30-point meeting added to the scaled corpus, and to an empty directory")
    out["increment"] = increment(copy, backend.spec, workdir, log)
    log(f"{backend.spec}: warm search and recall@{K}")
    for side, where in (("faiss", data), ("backend", copy)):
        s, idx, enc = warm_searcher(where, qs)
        full = [timed(lambda: s.search(q)) for _ in range(rounds) for q in qs]
        bare, parts = _bare(idx, qs, enc, rounds)
        qv = enc.encode(qs, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        truth = exact_points(where, idx.point_ids, qv)
        got = [set(idx.vector_search(v, K)[0].tolist()) for v in qv]
        out.update({f"{side}_search_p50_ms": _ms(full, 50), f"{side}_search_p95_ms": _ms(full, 95),
                    f"{side}_bare_p50_ms": _ms(bare, 50), f"{side}_bare_parts_p50_ms": {k: _ms(v, 50) for k, v in parts.items()},
                    f"{side}_search_ratio": round(_ms(full, 50) / _ms(bare, 50), 2),
                    f"{side}_recall_at_10": round(float(np.mean([len(a & b) / K for a, b in zip(got, truth)])), 4),
                    f"{side}_vector_index": idx.info.get("vector_index")})
        s._encode_pool.shutdown(wait=False)
    out["points"] = int(len(idx.point_ids))
    for d in (workdir / "backend-ingest" / "ingest-data", copy):
        _retire(backend, d)
    return out


def _retire(backend, data: Path) -> None:
    """Drop a measured data directory's collections, so bench runs do not pile them up in the Milvus."""
    from councilkg.graph import store

    con = store.connect(data, readonly=True)
    try:
        backend.retire(con)
    finally:
        con.close()


def format_rows(r: dict) -> list[str]:
    """The side-by-side table for the bench's text output."""
    b = r["index"]
    lines = [f"\nindex backends side by side ({r['points']:,} points): faiss | {b}",
             f"  ingest ratio (bare encode / ingest)   {r.get('faiss_ingest_ratio', '-'):>10} | {r['backend_ingest_ratio']}",
             f"  index build s, peak RSS MiB           {r['faiss_build_s']:>6}, {r['faiss_build_peak_rss_mb']} | "
             f"{r['backend_build_s']}, {r['backend_build_peak_rss_mb']}"]
    for key, name in (("search_p50_ms", "warm search p50 ms"), ("search_p95_ms", "warm search p95 ms"),
                      ("search_ratio", "ratio to bare parts"), ("recall_at_10", "recall@10 vs exact"),
                      ("vector_index", "vector index")):
        lines.append(f"  {name:<37} {r['faiss_' + key]:>10} | {r['backend_' + key]}")
    for name in ("small", "meeting30"):
        if name in r.get("increment", {}):
            i = r["increment"][name]
            lines.append(f"  a {i['points']}-point meeting added{' with --push' if r['increment']['push'] else ''}: {i['grown_s']} s "
                         f"vs {i['empty_s']} s into an empty directory ({i['wall_ratio']}x); rows written {i['rows_written']}, "
                         f"triples sent {i['triples_sent']}")
    if "backend_server_rss_mb" in r:
        lines.append(f"  {b} server RSS MiB before, after the build: {r['backend_server_rss_mb']}")
    lines.append(f"  bare parts p50 ms: faiss {r['faiss_bare_parts_p50_ms']} | {b} {r['backend_bare_parts_p50_ms']}")
    return lines


if __name__ == "__main__":  # python -m councilkg.web.bench.backend WORKDIR milvus:URI [POINTS]: the switch and increments alone
    import json

    from councilkg.embed.backends import parse_index
    from councilkg.web.bench import scale
    from councilkg.web.bench.corpus import SEED

    work, spec = Path(sys.argv[1]), parse_index(sys.argv[2]).spec
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    points = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000  # the 1M study: 1000000
    data, _ = scale.ensure_scale(work, SEED, points, scale.BASE_DOCS, log=say)
    result: dict = {"load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    copy, result["switch"] = switch(data, spec, work)
    result["increment"] = increment(copy, spec, work, say)
    result["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    _retire(parse_index(spec), copy)
    print(json.dumps(result, indent=1))
