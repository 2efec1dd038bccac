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
    """councilkg's own path (graph/sparql.py over the cached Oxigraph store), and (compare) the on-disk store and rdflib's API over it."""
    from councilkg.graph import sparql

    qs = research_queries()
    t0 = time.perf_counter()
    st = sparql.open_store(data_dir)
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sparql.memory_store(data_dir)  # what `councilkg sparql` and the /sparql workers query, loaded once per generation
    load_s = time.perf_counter() - t0
    out = {"open_s": round(open_s, 2), "memory_load_s": round(load_s, 2), "triples": len(st),
           "oxigraph": _timed(lambda q: len(sparql.query(data_dir, q)), qs)}
    if compare:
        out["oxigraph_on_disk"] = _timed(lambda q: len(sparql.query(st, q)), qs)
        graph = sparql.open_graph(data_dir)
        out["rdflib_api_over_oxigraph"] = _timed(lambda q: len(list(graph.query(q))), qs)
    return out


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
