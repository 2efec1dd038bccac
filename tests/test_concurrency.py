"""While an ingest runs, a serving process answers from the last complete state (never a mixture) and then from the new one."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from conftest import COUNCILKG
from reliability import QUERIES, Server, cli, copy_data, seed_variant, stats

COUNT_POINTS = ("PREFIX ckg: <https://w3id.org/councilkg/ns#> "
                "SELECT (COUNT(?p) AS ?n) WHERE { ?p a ckg:DebatePoint }")


def _counts(st: dict) -> dict:
    # /api/stats has no harvest ledger (/api/sources) and does not publish where the writer pushes its graph or index
    return {k: v for k, v in st.items() if k not in ("failed", "sources", "push", "index", "sweep")}


def _hits(body: bytes) -> tuple[int, list[str]]:
    out = json.loads(body)
    return out.get("generation", 0), [h["id"] for h in out["hits"]]


@pytest.fixture(scope="module")
def two_states(sample_data, tmp_path_factory):
    """The sample corpus (old) and the same plus three reworded seeds (new), with each state's stats and answers."""
    root = tmp_path_factory.mktemp("concurrency")
    batch = root / "batch"
    batch.mkdir()
    for seed in ("000", "002", "003"):
        seed_variant(seed, batch / f"conc_{seed}.txt", "concurrent")
    new = copy_data(sample_data, root / "new")
    assert cli("ingest", str(batch), "--data", str(new)).exit_code == 0
    states = {}
    for name, d in (("old", sample_data), ("new", new)):
        server = Server(d, root / f"{name}.log", threads=2)
        try:
            states[name] = {"stats": _counts(stats(d)),
                            "hits": {q: _hits(server.get("/api/search?" + urllib.parse.urlencode({"q": q, "k": 5}))[1]) for q in QUERIES},
                            "sparql": server.get("/sparql?" + urllib.parse.urlencode({"query": COUNT_POINTS, "format": "json"}))[1]}
        finally:
            server.stop()
    assert states["old"]["stats"] != states["new"]["stats"]
    return {"root": root, "batch": batch, "base": sample_data, **states}


def _sparql_n(body: bytes) -> int:
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.mark.slow
def test_server_answers_old_or_new_never_a_mixture(two_states, tmp_path):
    w = two_states
    data = copy_data(w["base"], tmp_path / "data")
    server = Server(data, tmp_path / "server.log")
    seen: list[tuple[str, str, float]] = []  # (kind, "old"/"new", when)
    errors: list[str] = []
    done = threading.Event()

    def classify(kind: str, value) -> None:
        got = [name for name in ("old", "new") if value == w[name][kind]]
        if not got:
            errors.append(f"{kind}: answer matches neither state: {str(value)[:300]}")
        seen.append((kind, got[0] if got else "?", time.monotonic()))

    def client(n: int) -> None:
        i = 0
        while not done.is_set():
            i += 1
            q = QUERIES[(n + i) % len(QUERIES)]
            status, body = server.get("/api/stats")
            if status != 200:
                errors.append(f"/api/stats: {status}")
            else:
                classify("stats", _counts(json.loads(body)))
            status, body = server.get("/api/search?" + urllib.parse.urlencode({"q": q, "k": 5}))
            if status != 200:
                errors.append(f"/api/search: {status} {body[:200]!r}")
                continue
            gen, ids = _hits(body)
            expect = [name for name in ("old", "new") if w[name]["hits"][q] == (gen, ids)]
            if not expect:
                errors.append(f"search {q!r}: generation {gen} hits {ids} match neither state")
            seen.append(("hits", expect[0] if expect else "?", time.monotonic()))
            if i % 5 == 0:
                status, body = server.get("/sparql?" + urllib.parse.urlencode({"query": COUNT_POINTS, "format": "json"}))
                if status != 200:
                    errors.append(f"/sparql: {status}")
                else:
                    n_pts = _sparql_n(body)
                    ok = [name for name in ("old", "new") if n_pts == _sparql_n(w[name]["sparql"])]
                    if not ok:
                        errors.append(f"sparql count {n_pts} matches neither state")
                    seen.append(("sparql", ok[0] if ok else "?", time.monotonic()))

    try:
        clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for c in clients:
            c.start()
        time.sleep(1.0)
        started = time.monotonic()
        proc = subprocess.run([str(COUNCILKG), "ingest", str(w["batch"]), "--data", str(data)], capture_output=True, text=True,
                              env=dict(os.environ, HF_HUB_OFFLINE="1"), timeout=600)
        landed = time.monotonic()
        assert proc.returncode == 0, proc.stderr
        time.sleep(3.0)
        done.set()
        for c in clients:
            c.join(timeout=120)
        # after the ingest: every fresh answer is the new state
        assert _counts(json.loads(server.get("/api/stats")[1])) == w["new"]["stats"]
        for q in QUERIES:
            assert _hits(server.get("/api/search?" + urllib.parse.urlencode({"q": q, "k": 5}))[1]) == w["new"]["hits"][q]
    finally:
        done.set()
        server.stop()
    assert not errors, errors[:5]
    during = [s for s in seen if started <= s[2] <= landed - 0.5]
    print(f"\n{len(seen)} answers; during the {landed - started:.1f} s ingest: "
          f"{sum(s[1] == 'old' for s in during)} old, {sum(s[1] == 'new' for s in during)} new")
    assert len(during) >= 10 and any(s[1] == "old" for s in during), "the server must keep answering while the ingest runs"
    assert all(s[1] == "new" for s in seen if s[2] > landed + 0.5), "answers after the ingest landed must be the new state"


def _held(lock: Path) -> bool:
    """True when another process holds the data directory's ingest lock."""
    if not lock.exists():
        return False
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


@pytest.mark.slow
def test_second_ingest_fails_cleanly(two_states, tmp_path):
    w = two_states
    data = copy_data(w["base"], tmp_path / "data")
    first = subprocess.Popen([str(COUNCILKG), "ingest", str(w["batch"]), "--data", str(data)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    deadline = time.monotonic() + 120
    while not _held(data / ".ingest.lock") and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the first ingest ended before the second could start"
    second = cli("ingest", str(w["batch"]), "--data", str(data))
    out, err = first.communicate(timeout=600)
    assert second.exit_code == 1
    assert len(second.stderr.splitlines()) == 1 and "another ingest is running" in second.stderr, second.stderr
    assert "Traceback" not in second.output
    assert first.returncode == 0, err
    assert _counts(stats(data)) == w["new"]["stats"]
