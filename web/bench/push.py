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


if __name__ == "__main__":  # python -m councilkg.web.bench.push SCALE_DIR WORKDIR
    import json

    print(json.dumps(increment(Path(sys.argv[1]), Path(sys.argv[2]), print), indent=1))
