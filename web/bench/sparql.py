"""The README's research queries (graph/QUERIES.md) timed over the benchmark graph, on Oxigraph and on rdflib's memory store."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

QUERIES = Path(__file__).resolve().parents[2] / "graph" / "QUERIES.md"
_BLOCK = re.compile(r"^## (.+?)$.*?^```sparql\n(.*?)^```", re.M | re.S)
_PREFIXES = re.compile(r"^```sparql\n((?:PREFIX[^\n]*\n)+)```", re.M)


def research_queries() -> dict[str, str]:
    """Title -> full query text (with the file's PREFIX block), in the file's order."""
    text = QUERIES.read_text(encoding="utf-8")
    m = _PREFIXES.search(text)
    prefixes = m.group(1) if m else ""
    return {title.strip(): prefixes + body for title, body in _BLOCK.findall(text)}


def _timed(run, queries: dict[str, str]) -> dict[str, dict]:
    out = {}
    for title, q in queries.items():
        t0 = time.perf_counter()
        rows = run(q)
        out[title] = {"s": round(time.perf_counter() - t0, 3), "rows": rows}
    return out


def on_oxigraph(data_dir: Path, compare: bool = True) -> dict:
    """The /sparql workers' path (graph/sparql.py's in-memory copy), and (compare) the on-disk snapshot `councilkg sparql` reads and rdflib's API over it."""
    from councilkg.graph import sparql

    qs = research_queries()
    t0 = time.perf_counter()
    st = sparql.open_store(data_dir)
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    mem = sparql.memory_store(data_dir)  # what the /sparql workers query, loaded once per process
    load_s = time.perf_counter() - t0
    out = {"open_s": round(open_s, 2), "memory_load_s": round(load_s, 2), "triples": len(st),
           "oxigraph": _timed(lambda q: len(sparql.query(mem, q)), qs)}
    if compare:
        out["oxigraph_on_disk"] = _timed(lambda q: len(sparql.query(st, q)), qs)
        graph = sparql.open_graph(data_dir)
        out["rdflib_api_over_oxigraph"] = _timed(lambda q: len(list(graph.query(q))), qs)
    return out


COUNT_POINTS = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a ckg:DebatePoint }"


def after_increment(scale_data: Path, workdir: Path, log) -> dict:
    """One small meeting ingested into a copy of the scaled directory whose RDF store is built: the first SPARQL query
    after it in a fresh `councilkg sparql` process (on-disk snapshot) and in a /sparql worker's memory copy (the
    generation's changes replayed), against the same query before the ingest and a full rebuild of the store."""
    import shutil

    from councilkg.embed.pipeline import ingest
    from councilkg.graph import rdf_store, sparql
    from councilkg.web.bench.corpus import SEED, write_corpus

    data, src = workdir / "sparql-increment", workdir / f"sparql-increment-src-s{SEED}"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(scale_data, data, ignore=shutil.ignore_patterns("rdf", ".*.lock"))
    if not src.exists():
        write_corpus(src, 1, seed=SEED + 700, items_per_doc=(1, 1))
    log("SPARQL after an increment: full build of the store, for comparison")
    rebuild_s = _seconds(lambda: rdf_store.sync(data))
    mem_load_s = _seconds(lambda: sparql.memory_store(data))
    out = {"rebuild_s": rebuild_s, "memory_load_s": mem_load_s, "cli_before_s": _cli(data, COUNT_POINTS),
           "memory_before_s": _seconds(lambda: sparql.query(sparql.memory_store(data), COUNT_POINTS))}
    synced: list[float] = []
    timed_sync = rdf_store.sync
    rdf_store.sync = lambda *a, **k: synced.append(time.perf_counter()) or timed_sync(*a, **k)  # ingest's own update, timed
    try:
        t0 = time.perf_counter()
        report = ingest([str(src)], data)
        out["ingest_s"] = round(time.perf_counter() - t0, 2)
        out["ingest_rdf_update_s"] = round(time.perf_counter() - synced[0], 3) if synced else None
    finally:
        rdf_store.sync = timed_sync
    out["points_added"] = report.points_embedded
    out["cli_first_s"] = _cli(data, COUNT_POINTS)
    out["cli_again_s"] = _cli(data, COUNT_POINTS)
    out["memory_first_s"] = _seconds(lambda: sparql.query(sparql.memory_store(data), COUNT_POINTS))
    out["memory_again_s"] = _seconds(lambda: sparql.query(sparql.memory_store(data), COUNT_POINTS))
    sparql._memory.clear()
    shutil.rmtree(data, ignore_errors=True)
    return out


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return round(time.perf_counter() - t0, 3)


def _cli(data_dir: Path, q: str) -> float:
    """Wall seconds of a whole `councilkg sparql` process, as a researcher runs it."""
    exe = Path(sys.executable).parent / "councilkg"
    return _seconds(lambda: subprocess.run([str(exe), "sparql", q, "--data", str(data_dir), "--format", "csv"], check=True,
                                           capture_output=True))


def _memory_main(data_dir: str) -> None:
    """Child process: load the export into rdflib's memory store and time each query (killed by the parent on timeout)."""
    from councilkg.graph import rdf, store

    con = store.connect(data_dir, readonly=True)
    t0 = time.perf_counter()
    g = rdf.build_graph(con, "default")
    print(json.dumps({"load_s": round(time.perf_counter() - t0, 1), "triples": len(g)}), flush=True)
    for title, q in research_queries().items():
        t0 = time.perf_counter()
        rows = len(list(g.query(q)))
        print(json.dumps({"title": title, "s": round(time.perf_counter() - t0, 3), "rows": rows}), flush=True)


def on_rdflib_memory(data_dir: Path, timeout: float) -> dict:
    """rdflib's pure-Python memory store in a child process; queries not reached before the timeout are reported as such."""
    proc = subprocess.Popen([sys.executable, "-m", "councilkg.web.bench.sparql", str(data_dir)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        timed_out = True
    lines = [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")]
    res = {"timeout_s": timeout, "timed_out": timed_out, "queries": {}}
    for d in lines:
        if "title" in d:
            res["queries"][d["title"]] = {"s": d["s"], "rows": d["rows"]}
        else:
            res.update(d)
    return res


if __name__ == "__main__":
    _memory_main(sys.argv[1])
