"""Issue 14, the Milvus index: the same hits, nDCG and filters as FAISS, a SIGKILL that never leaves the alias on a half-built
collection, and a Milvus that is down or refusing told in one line with the data directory unchanged."""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import threading
from pathlib import Path

import pytest
from conftest import SAMPLE
from engines import MilvusServer, free_port
from reliability import answers, cli, copy_data, rows, seed_variant
from test_search import SLOUGH

QUERIES = ("social worker recruitment and retention", "Ofsted inspection judged inadequate", "foster carers allowance",
           "improvement plan progress report", "budget overspend on agency staff", "devolution deal for the county")


def to_milvus(src: Path, dest: Path, uri: str) -> Path:
    """A copy of a FAISS data directory switched to Milvus (its own instance; re-indexed there, nothing embedded again)."""
    copy_data(src, dest)
    con = sqlite3.connect(dest / "councilkg.sqlite")
    con.execute("DELETE FROM state WHERE key = 'instance'")
    con.commit()
    con.close()
    res = cli("ingest", str(SAMPLE), "--data", str(dest), "--index", f"milvus:{uri}")
    assert res.exit_code == 0 and "0 debate points embedded" in res.output, res.output
    return dest


def hit_ids(data: Path, query: str = "", **kw) -> list[str]:
    from councilkg.embed.search import Searcher

    return [h["id"] for h in Searcher(data).search(query, k=10, with_facets=False, **kw)["hits"]]


def state(data: Path, key: str) -> str | None:
    con = sqlite3.connect(f"file:{data / 'councilkg.sqlite'}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        con.close()


@pytest.fixture(scope="module")
def milvus_sample(milvus, tmp_path_factory) -> Path:
    """The sample corpus ingested straight into Milvus through the CLI."""
    data = tmp_path_factory.mktemp("milvus-sample")
    res = cli("ingest", str(SAMPLE), "--data", str(data), "--index", f"milvus:{milvus.uri}")
    assert res.exit_code == 0, res.output
    return data


@pytest.fixture(scope="module")
def pair(full_data, milvus, tmp_path_factory) -> tuple[Path, Path]:
    """Sample + Kent + a graded council (Slough) on FAISS, and the same data directory switched to Milvus."""
    from councilkg.embed.pipeline import ingest

    root = tmp_path_factory.mktemp("pair")
    faiss = copy_data(full_data, root / "faiss")
    (root / "slough.txt").write_text(SLOUGH, encoding="utf-8")
    assert ingest([str(root / "slough.txt")], faiss).ingested == 1
    return faiss, to_milvus(faiss, root / "milvus", milvus.uri)


def test_ingest_into_milvus_searches_as_faiss(milvus_sample, sample_data, milvus):
    assert state(milvus_sample, "index") == f"milvus:{milvus.uri}"
    gen_dir = next((milvus_sample / "index").glob("gen-*"))
    assert {p.name for p in gen_dir.iterdir()} == {"info.json"}  # the rows live in Milvus, the point table in the database
    instance = state(milvus_sample, "instance")
    c = milvus.client()
    assert c.describe_alias(f"ckg_{instance}")["collection_name"] == f"ckg_{instance}_g000001_points"
    for q in QUERIES:
        assert hit_ids(milvus_sample, q) == hit_ids(sample_data, q), q
    for mode in ("lexical", "vector"):
        assert hit_ids(milvus_sample, QUERIES[0], mode=mode) == hit_ids(sample_data, QUERIES[0], mode=mode)
    like = next(SAMPLE.glob("003_*.txt"))  # --like: document frequencies come from Milvus's text match
    assert hit_ids(milvus_sample, like=like) == hit_ids(sample_data, like=like)
    for q in QUERIES[:2]:
        a, b = (cli("search", q, "--json", "--data", str(d)) for d in (milvus_sample, sample_data))
        assert a.exit_code == b.exit_code == 0, a.output
        ha, hb = json.loads(a.stdout)["hits"], json.loads(b.stdout)["hits"]
        assert [h["id"] for h in ha] == [h["id"] for h in hb]
        assert [h["score"] for h in ha] == pytest.approx([h["score"] for h in hb], abs=1e-4)
        for x, y in zip(ha, hb):  # each retriever's own score, BM25 included, as FAISS and bm25s give it
            assert [x["signals"][s] or 0 for s in ("vector", "lexical")] == \
                pytest.approx([y["signals"][s] or 0 for s in ("vector", "lexical")], abs=1e-3)


def test_evaluate_on_milvus_is_within_a_hundredth_of_faiss(pair):
    faiss, milvus_dir = pair
    got = {}
    for name, data in (("faiss", faiss), ("milvus", milvus_dir)):
        res = cli("evaluate", "--json", "--data", str(data))
        assert res.exit_code == 0, res.output
        got[name] = json.loads(res.stdout)["ndcg"]
    print("\nnDCG@5 faiss:", got["faiss"], "\nnDCG@5 milvus:", got["milvus"])
    for mode, v in got["faiss"].items():
        assert abs(got["milvus"][mode] - v) <= 0.01, (mode, got)


FILTERS = [
    {"council": "Kent County Council"}, {"council": "E06000019"}, {"exclude_council": ("Kent",)},
    {"theme": "budget"}, {"theme": "care-leavers"}, {"committee": "scrutiny"}, {"committee": "Cabinet"},
    {"since": "2024-12"}, {"until": "2024-12"}, {"since": "2025-01-01", "until": "2025-02"},
    {"grade": "inadequate"}, {"grade": "requires improvement"}, {"grade": "good"},
    {"council": "Kent", "theme": "budget", "since": "2024"},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
def test_every_filter_gives_the_same_hits(pair, filters):
    faiss, milvus_dir = pair
    for q in ("children's social care", "retention payment"):
        want = hit_ids(faiss, q, **filters)
        assert hit_ids(milvus_dir, q, **filters) == want, (q, filters)
    if filters == {"grade": "requires improvement"}:  # Ofsted's grade of Slough at its meeting (its minutes claim inadequate)
        assert want, "the graded council gives the grade filter something to find"


def _garbage_server() -> tuple[int, socket.socket]:
    """A port that accepts connections and answers nonsense (not gRPC)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\ngarbage")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1], srv


def _unchanged(data: Path, before: dict, batch: Path, uri: str) -> None:
    res = cli("ingest", str(batch), "--data", str(data), "--index", f"milvus:{uri}")
    assert res.exit_code != 0
    line = res.output.strip()
    assert "\n" not in line and line.startswith(f"Error: milvus:{uri}: "), line
    assert {"rows": rows(data), "answers": answers(data)} == before


def test_unreachable_or_refusing_milvus_is_one_line_and_loses_nothing(milvus_sample, sample_data, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    seed_variant("000", batch / "variant.txt", "unreachable")
    port, srv = _garbage_server()
    try:
        for data in (copy_data(sample_data, tmp_path / "faiss"), milvus_sample):
            before = {"rows": rows(data), "answers": answers(data)}
            _unchanged(data, before, batch, f"http://127.0.0.1:{free_port()}")  # nothing listens
            _unchanged(data, before, batch, f"http://127.0.0.1:{port}")  # something that is not Milvus
    finally:
        srv.close()


def test_a_stopped_milvus_is_one_line_and_loses_nothing(sample_data, tmp_path):
    own = MilvusServer(tmp_path / "own-milvus")
    try:
        data = to_milvus(sample_data, tmp_path / "data", own.uri)
        before = {"rows": rows(data), "answers": answers(data)}
    finally:
        own.stop()
    for args in (("search", QUERIES[0]), ("ingest", str(SAMPLE)), ("evaluate",)):
        res = cli(*args, "--data", str(data))
        assert res.exit_code != 0, args
        line = res.output.strip()
        assert "\n" not in line and line.startswith(f"Error: milvus:{own.uri}: "), (args, line)
    assert rows(data) == before["rows"]
    shutil.rmtree(tmp_path / "own-milvus", ignore_errors=True)


@pytest.mark.slow
def test_bench_measures_milvus_beside_faiss(milvus, tmp_path):
    from councilkg.web.bench import backend, scale
    from councilkg.web.bench.corpus import SEED
    from councilkg.web.bench.search import queries

    data, _ = scale.ensure_scale(tmp_path, SEED, 1500, 3, log=lambda m: None)
    r = backend.measure(data, f"milvus:{milvus.uri}", tmp_path, queries()[:5], 1, 2, log=lambda m: None)
    assert r["points"] >= 1500 and r["backend_recall_at_10"] >= 0.9 and r["faiss_recall_at_10"] >= 0.9, r
    for side in ("faiss", "backend"):
        assert r[f"{side}_search_p95_ms"] >= r[f"{side}_search_p50_ms"] > 0 and r[f"{side}_build_s"] > 0
    assert r["backend_ingest_ratio"] > 0 and r["backend_build_peak_rss_mb"] > 50
    inc = r["increment"]
    assert inc["increment_ratio"] > 0, inc
    for name in ("small", "meeting30"):  # grown in place: the meeting's rows, nothing retired; with --push its changes
        w = inc[name]["rows_written"]
        assert w["points"] == inc[name]["points"] > 0 and w["retired"] == 0 and w["passages"] >= w["points"], inc
        assert not inc["push"] or 0 < inc[name]["triples_sent"] < inc["first_push_sent"], inc
    assert not any(n.startswith("ckg_") and state(tmp_path / "backend-data", "instance") in n
                   for n in milvus.client().list_collections()), "the measured collections are dropped afterwards"
    json.dumps(r)


def test_harvest_into_milvus(milvus, tmp_path):
    from mgsite import Server
    from test_harvest import FAST, SINCE, make_testshire

    srv = Server(make_testshire())
    try:
        res = cli("harvest", srv.url, "--council", "Adur", "--since", SINCE, *FAST, "--data", str(tmp_path),
                  "--index", f"milvus:{milvus.uri}")
    finally:
        srv.close()
    assert res.exit_code == 1 and "generation 1" in res.output, res.output  # the site's faulty meetings fail, as on FAISS
    assert state(tmp_path, "index") == f"milvus:{milvus.uri}"
    hits = hit_ids(tmp_path, "orchard flood risk", council="Adur")
    assert hits and milvus.client().has_collection(f"ckg_{state(tmp_path, 'instance')}_g000001_points")


def test_the_web_app_over_a_milvus_data_directory(milvus_sample, sample_data):
    from councilkg.web.app import create_app

    got = {}
    for name, data in (("milvus", milvus_sample), ("faiss", sample_data)):
        r = create_app(data).test_client().get("/api/search?q=agency+social+workers&council=Herefordshire&k=5")
        assert r.status_code == 200, r.data
        got[name] = r.get_json()
    assert [h["id"] for h in got["milvus"]["hits"]] == [h["id"] for h in got["faiss"]["hits"]] != []
    assert got["milvus"]["facets"] == got["faiss"]["facets"]


def test_a_copy_takes_its_own_shard_and_a_moved_directory_keeps_its_own(milvus_sample, milvus, tmp_path):
    """A copy's first write gives it a new instance (rebuilt under it, nothing embedded); the original's alias and
    collections are untouched; moving the copy afterwards keeps its name."""
    c = milvus.client()
    original = state(milvus_sample, "instance")
    held = c.describe_alias(f"ckg_{original}")["collection_name"]
    copy = copy_data(milvus_sample, tmp_path / "copy")
    res = cli("ingest", str(SAMPLE), "--data", str(copy))
    assert res.exit_code == 0 and "0 debate points embedded" in res.output, res.output
    mine = state(copy, "instance")
    assert mine != original and state(copy, "instance_home") == str(copy.resolve())
    assert c.describe_alias(f"ckg_{mine}")["collection_name"] == f"ckg_{mine}_g000002_points"
    assert c.describe_alias(f"ckg_{original}")["collection_name"] == held and c.has_collection(held)
    assert state(milvus_sample, "instance") == original
    for q in QUERIES[:2]:
        assert hit_ids(copy, q) == hit_ids(milvus_sample, q), q
    moved = tmp_path / "moved"
    shutil.move(str(copy), str(moved))
    res = cli("ingest", str(SAMPLE), "--data", str(moved))
    assert res.exit_code == 0, res.output
    assert state(moved, "instance") == mine and state(moved, "instance_home") == str(moved.resolve())
    assert c.describe_alias(f"ckg_{mine}")["collection_name"] == f"ckg_{mine}_g000002_points"


def test_the_1m_study_measures_milvus_beside_faiss_on_the_same_vectors(milvus, tmp_path):
    """`bench --study-1m --index milvus:URI`, shrunk: Milvus's HNSW is built, searched and dropped beside FAISS's."""
    import numpy as np
    from councilkg.web.bench import ann

    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 384)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    out = ann.run(real, real[:10], tmp_path, n=5000, index=f"milvus:{milvus.uri}", log=lambda m: None,
                  indexes=("hnsw32-flat (shipped)",))
    mine = out[f"milvus hnsw32 (milvus:{milvus.uri})"]
    assert mine["build_s"] > 0 and mine["p50_ms"] > 0 and mine["recall_at_10"] >= 0.9, mine
    assert out["hnsw32-flat (shipped)"]["recall_at_10"] >= 0.9
    assert not milvus.client().has_collection(ann.MILVUS_COLLECTION)
