"""16 concurrent clients send mixed search, entity and SPARQL requests to a real waitress server: no 5xx, memory stable."""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import urllib.parse
from collections import Counter

from reliability import QUERIES, Server, copy_data

SECONDS = float(os.environ.get("COUNCILKG_LOAD_SECONDS", "15"))
CLIENTS = 16
SPARQL = [
    "PREFIX ckg: <https://w3id.org/councilkg/ns#> SELECT (COUNT(?p) AS ?n) WHERE { ?p a ckg:DebatePoint }",
    "PREFIX ckg: <https://w3id.org/councilkg/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?c ?name WHERE { ?c a ckg:Council ; rdfs:label ?name } ORDER BY ?name LIMIT 20",
    "PREFIX ckg: <https://w3id.org/councilkg/ns#> SELECT ?i ?g WHERE { ?i ckg:judgement ?j . ?j ckg:grade ?g } LIMIT 50",
]


def _requests(server: Server) -> list[str]:
    """The mix: searches (plain and filtered), entity pages found through search, listing pages, SPARQL."""
    paths = [f"/api/search?{urllib.parse.urlencode({'q': q, 'k': 10})}" for q in QUERIES]
    paths += [f"/api/search?{urllib.parse.urlencode({'q': q, 'council': 'E06000019', 'since': '2015-01-01'})}" for q in QUERIES[:2]]
    paths += [f"/search?{urllib.parse.urlencode({'q': QUERIES[0]})}"]
    status, body = server.get(paths[0])
    assert status == 200, body[:300]
    hits = json.loads(body)["hits"]
    paths += [h["uri"].split("w3id.org/councilkg", 1)[1] for h in hits[:3] if h.get("uri")]  # contract §4: IRI path
    paths += ["/id/council/E06000019", "/councils", "/themes", "/api/stats"]
    paths += [f"/sparql?{urllib.parse.urlencode({'query': q, 'format': 'json'})}" for q in SPARQL]
    return paths


def test_sixteen_clients_mixed_load(sample_data, tmp_path):
    data = copy_data(sample_data, tmp_path / "data")
    server = Server(data, tmp_path / "server.log")
    try:
        paths = _requests(server)
        for p in paths:  # warm every route once (SPARQL store, templates) before measuring memory
            status, body = server.get(p)
            assert status == 200, (p, status, body[:300])
        statuses: Counter = Counter()
        latencies: list[float] = []
        failures: list[str] = []
        rss: list[tuple[float, int]] = []
        lock = threading.Lock()
        t0 = time.monotonic()
        end = t0 + SECONDS

        def client(n: int) -> None:
            i = n
            while time.monotonic() < end:
                path = paths[i % len(paths)]
                i += 7
                s = time.monotonic()
                try:
                    status, _ = server.get(path, timeout=60)
                except OSError as e:
                    status = 0
                    with lock:
                        failures.append(f"{path}: {e}")
                with lock:
                    statuses[status] += 1
                    latencies.append(time.monotonic() - s)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            rss.append((time.monotonic() - t0, server.rss_kb()))
            time.sleep(0.5)
        for t in threads:
            t.join()
    finally:
        server.stop()
    total = sum(statuses.values())
    warm = [kb for t, kb in rss if t >= SECONDS * 0.25] or [kb for _, kb in rss]
    growth_mb = (max(warm) - warm[0]) / 1024
    lat = sorted(latencies)
    print(f"\nload: {CLIENTS} clients x {SECONDS:.0f} s, {len(paths)} request kinds: {total} requests "
          f"({total / SECONDS:.1f}/s), statuses {dict(statuses)}; latency median {statistics.median(lat) * 1000:.0f} ms, "
          f"p95 {lat[int(len(lat) * 0.95)] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms; server RSS {warm[0] / 1024:.0f} MB after "
          f"warm-up -> max {max(warm) / 1024:.0f} MB (growth {growth_mb:.1f} MB)")
    assert not failures, failures[:5]
    assert not any(s >= 500 for s in statuses), statuses
    assert set(statuses) == {200}, statuses
    assert total >= CLIENTS * 2
    assert growth_mb < 64, f"server memory grew {growth_mb:.1f} MB under steady load"
