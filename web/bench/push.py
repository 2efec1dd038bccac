"""`--push` at scale: one small meeting pushed as its changes into a store holding the scaled directory's graph, beside
the whole graph replaced by one PUT, in the same run, against a real `oxigraph serve` on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> Path:
    """The server of the PyPI package oxigraph, installed beside this interpreter."""
    return Path(sys.executable).parent / "oxigraph"


@contextmanager
def oxigraph_serve(location: Path, port: int | None = None, timeout_s: int | None = None):
    """A real `oxigraph serve` (its store on disk at location; queries stopped after timeout_s); yields its base URL."""
    port = port or free_port()
    proc = subprocess.Popen([str(oxigraph_binary()), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                             *(["--timeout-s", str(timeout_s)] if timeout_s else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def increment(scale_data: Path, workdir: Path, log) -> dict:
    """A copy of the scaled directory pushed whole, one small meeting ingested, then pushed as its changes; then the
    same generation replaced whole again for the ratio. Seconds and triples sent for each."""
    from councilkg.embed.pipeline import exclusive, ingest
    from councilkg.graph import push, rdf_store
    from councilkg.web.bench.corpus import SEED, write_corpus
    from councilkg.web.bench.sparql import _seconds

    if not oxigraph_binary().exists():
        return {"skipped": "the oxigraph server binary (PyPI package oxigraph) is not installed"}
    data, src, location = workdir / "push-increment", workdir / f"sparql-increment-src-s{SEED}", workdir / "push-store"
    for path in (data, location):
        shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(scale_data, data, ignore=shutil.ignore_patterns("rdf", ".*.lock"))
    if not src.exists():
        write_corpus(src, 1, seed=SEED + 700, items_per_doc=(1, 1))
    out: dict = {}
    with oxigraph_serve(location) as base:
        log("push: the local store built, then the whole graph pushed")
        out["local_store_build_s"] = _seconds(lambda: rdf_store.sync(data))
        t0 = time.perf_counter()
        with exclusive(data):
            first = push.sync(data, f"{base}/store")
        out["first_push_whole_s"], out["first_push_sent"] = round(time.perf_counter() - t0, 2), first.sent
        log("push: one small meeting ingested, then pushed as its changes")
        report = ingest([str(src)], data)
        out["points_added"] = report.points_embedded
        t0 = time.perf_counter()
        with exclusive(data):
            done = push.sync(data)
        out["increment_push_s"], out["increment_sent"], out["increment_since"] = round(time.perf_counter() - t0, 3), done.sent, done.since
        log("push: the same generation replaced whole, for the ratio")
        t0 = time.perf_counter()
        out["whole_sent"] = push.push(data, f"{base}/store", graph_iri=done.graph)
        out["whole_push_s"] = round(time.perf_counter() - t0, 2)
    out["push_ratio"] = round(out["increment_push_s"] / out["whole_push_s"], 4)
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(location, ignore_errors=True)
    return out


CHILD = "import sys\nfrom councilkg.graph import push\npush.sync(sys.argv[1], chunk=int(sys.argv[2]))\n"


def resume(data: Path, workdir: Path, log, chunk: int | None = None) -> dict:
    """A whole push of data (pushing nowhere yet) into a fresh store, uninterrupted; then another, killed (SIGKILL) once
    the store holds half its parts, and the rerun that finishes it from there. Seconds and triples sent for each."""
    import os
    import signal

    from councilkg.embed.pipeline import exclusive
    from councilkg.graph import push, store

    chunk = chunk or push.CHUNK_TRIPLES
    workdir.mkdir(parents=True, exist_ok=True)
    out: dict = {"chunk": chunk}
    for step in ("whole", "killed"):
        location = workdir / f"push-resume-{step}"
        shutil.rmtree(location, ignore_errors=True)
        with oxigraph_serve(location) as base, exclusive(data):
            con = store.connect(data)
            store.set_state(con, "push", f"{base}/store")
            graph = push.graph_iri(con)
            con.close()
            log(f"push: a whole push ({step})")
            t0 = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-c", CHILD, str(data), str(chunk)])
            held = 0
            while child.poll() is None:
                time.sleep(0.05)
                partial = push.marker_holds(f"{base}/store", graph)[1]
                held = partial[2] if partial else held
                if step == "killed" and held * chunk * 2 >= out["whole_sent"]:
                    os.kill(child.pid, signal.SIGKILL)
            child.wait()
            out[f"{step}_s"] = round(time.perf_counter() - t0, 1)
            if step == "whole":
                if child.returncode:
                    raise RuntimeError(f"the whole push of {data} failed ({child.returncode})")
                out["whole_sent"] = _triples(base, graph)
                continue
            out["parts_held_when_killed"] = held
            t0 = time.perf_counter()
            done = push.sync(data)
            out["rerun_s"], out["rerun_sent"], out["rerun_resumed"] = round(time.perf_counter() - t0, 1), done.sent, done.resumed
            out["store_holds"] = _triples(base, graph)
        push.sync(data, forget=True)
        shutil.rmtree(location, ignore_errors=True)
    return out


def _triples(base: str, graph: str) -> int:
    import json
    import urllib.parse
    import urllib.request

    q = urllib.parse.urlencode({"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"})
    with urllib.request.urlopen(urllib.request.Request(f"{base}/query?{q}", headers={"Accept": "application/sparql-results+json"})) as r:
        return int(json.load(r)["results"]["bindings"][0]["n"]["value"])


if __name__ == "__main__":  # python -m councilkg.web.bench.push SCALE_DIR WORKDIR  |  ... resume DATA_DIR WORKDIR [CHUNK]
    import json

    if sys.argv[1] == "resume":
        print(json.dumps(resume(Path(sys.argv[2]), Path(sys.argv[3]), print, int(sys.argv[4]) if sys.argv[4:] else None), indent=1))
    else:
        print(json.dumps(increment(Path(sys.argv[1]), Path(sys.argv[2]), print), indent=1))
