"""Servers without a data directory: two data directories (different councils) ingest into one Milvus, and stateless
search over both shards answers as one data directory holding both corpora would."""

from __future__ import annotations

import json
from markupsafe import escape
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import COUNCILKG, SAMPLE
from engines import MilvusServer, end, free_port, need_milvus
from reliability import QUERIES, cli
from sparql_server import oxigraph_serve

# The sample split by council: Herefordshire (and the council-less file) in one data directory, the rest in the other.
SPLIT = {"hereford": ("000", "001", "003"), "others": ("002", "004")}
DEAD_SPARQL = "http://127.0.0.1:9/query"  # for the pages that must not need the store
FILTERS = [
    {}, {"council": "Herefordshire"}, {"council": "E09000014"}, {"council": "Lincolnshire County Council"},
    {"exclude_council": ("Herefordshire Council",)}, {"theme": "workforce-recruitment"}, {"committee": "young people"},
    {"since": "2019"}, {"until": "2019-11"}, {"since": "2015-06-05", "until": "2020"}, {"grade": "inadequate"},
]


def _split_corpus(root: Path) -> dict[str, Path]:
    """Each part's files with its own manifest rows, copied once so both shards and the union read the same paths."""
    header, *rows = (SAMPLE / "manifest.csv").read_text(encoding="utf-8").splitlines()
    out = {}
    for part, seeds in SPLIT.items():
        d = root / part
        d.mkdir()
        for seed in seeds:
            shutil.copy(next(SAMPLE.glob(f"{seed}_*.txt")), d)
        (d / "manifest.csv").write_text("\n".join([header, *(r for r in rows if r[:3] in seeds)]) + "\n", encoding="utf-8")
        out[part] = d
    return out


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """A Milvus and a SPARQL store of their own (stateless readers see every shard and graph in them) holding both
    parts, each pushed to its own named graph, and one FAISS data directory of both."""
    need_milvus()
    root = tmp_path_factory.mktemp("stateless")
    parts = _split_corpus(root)
    server = MilvusServer(root / "milvus")
    index = f"milvus:{server.uri}"
    try:
        with oxigraph_serve(root / "oxigraph") as store:
            for part, src in parts.items():
                res = cli("ingest", str(src), "--data", str(root / f"data-{part}"), "--index", index, "--push", f"{store}/store")
                assert res.exit_code == 0, res.output
            res = cli("ingest", *map(str, parts.values()), "--data", str(root / "union"))
            assert res.exit_code == 0, res.output
            yield {"root": root, "index": index, "uri": server.uri, "union": root / "union", "server": server,
                   "sparql": f"{store}/query"}
    finally:
        server.stop()


@pytest.fixture(scope="module")
def searchers(shards):
    from councilkg.embed.search import Searcher
    from councilkg.embed.shards import ShardSearcher

    return ShardSearcher.for_index(shards["index"]), Searcher(shards["union"])


def _same_answer(got: dict) -> dict:
    """The answer without what says which generation of which store it came from."""
    return {k: v for k, v in got.items() if k not in ("generation", "shards")}


@pytest.mark.parametrize("mode", ["weighted", "vector"])
def test_every_filter_gives_the_hits_and_facets_of_one_data_directory(searchers, mode):
    stateless, union = searchers
    for q in QUERIES:
        for f in FILTERS:
            got, want = stateless.search(q, k=10, mode=mode, **f), union.search(q, k=10, mode=mode, **f)
            assert _same_answer(got) == _same_answer(want), (q, f)


def test_bm25_scores_are_corpus_wide_not_per_shard(searchers):
    """Milvus scores BM25 per collection; scored again with every shard's statistics, a point scores as in one data
    directory (order among exactly tied scores is free: compared as id -> score over every match)."""
    stateless, union = searchers
    for q in QUERIES:
        for f in FILTERS:
            got, want = (s.search(q, k=100, mode="lexical", with_facets=False, **f)["hits"] for s in (stateless, union))
            assert {h["id"]: h["score"] for h in got} == {h["id"]: h["score"] for h in want}, (q, f)


class Serve:
    """`councilkg serve --index milvus:URI --sparql URL` as a user runs it, on a free loopback port."""

    def __init__(self, index: str, sparql: str, log: Path, timeout: float = 300):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")
        self.proc = subprocess.Popen([str(COUNCILKG), "serve", "--index", index, "--sparql", sparql, "--port", str(self.port),
                                      "--threads", "2"], stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if self.get("/api/search?q=warm")[0] == 200:
                    return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"serve did not start: {Path(log).read_text()[-2000:]}")

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=60) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self) -> None:
        end(self.proc)
        self.log.close()


@pytest.mark.slow
def test_two_stateless_servers_answer_alike_with_both_councils(shards, searchers):
    root = shards["root"]
    servers = [Serve(shards["index"], shards["sparql"], root / f"serve-{n}.log") for n in (1, 2)]
    seen: dict = {}
    try:
        for q in QUERIES:
            path = "/api/search?" + urllib.parse.urlencode({"q": q, "k": 20})
            (s1, b1), (s2, b2) = (s.get(path) for s in servers)
            assert s1 == s2 == 200
            assert b1 == b2, q
            got = json.loads(b1)
            councils = {h["council"]["name"] for h in got["hits"] if h["council"]}
            assert "Herefordshire Council" in councils and councils & {"London Borough of Haringey", "Lincolnshire County Council"}
            assert set(got["shards"]) == {s.instance for s in searchers[0].shards()} and len(got["shards"]) == 2
            assert _same_answer(got) == _same_answer(json.loads(json.dumps(searchers[1].search(q, k=20)))), q
            for h in got["hits"]:
                seen.setdefault((h["council"] or {}).get("name"), h)
        # every council's points have pages, read from the store by either server: the text, its council, its item
        for council, hit in seen.items():
            pages = [s.get(f"/id/point/{hit['id']}") for s in servers]
            assert [st for st, _ in pages] == [200, 200], (council, hit["id"])
            html = pages[0][1].decode()
            assert str(escape(hit["text"][:60])) in html and str(escape(hit["item"]["title"])) in html, (council, hit["id"])
            if council:
                assert str(escape(council)) in html
    finally:
        for s in servers:
            s.stop()
    assert set(seen) >= {"Herefordshire Council", "London Borough of Haringey", "Lincolnshire County Council"}


def test_stateless_pages_answer_or_say_they_need_a_data_directory(shards):
    from councilkg.web.app import create_app

    client = create_app(None, index=shards["index"], sparql=DEAD_SPARQL).test_client()
    page = client.get("/search?q=social+worker+recruitment&k=20")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Herefordshire Council" in html and "Lincolnshire County Council" in html
    assert client.get("/search?q=social+worker&council=Haringey").status_code == 200
    bad = client.get("/api/search?q=x&council=Atlantis")
    assert bad.status_code == 400 and "unknown council" in bad.get_json()["error"]["message"]
    for path in ("/compare?q=recruitment", "/api/search?q=recruitment&compare=1"):
        r = client.get(path)
        assert r.status_code == 501, path
        assert "data directory" in r.get_data(as_text=True), path


def test_like_needs_a_data_directory(searchers):
    from councilkg.embed.filters import SearchError

    with pytest.raises(SearchError, match="--like needs a data directory"):
        searchers[0].search(like="Social worker recruitment remains the greatest risk.")


def test_an_unreachable_milvus_is_one_line_naming_it(shards):
    from councilkg.web.app import create_app

    dead = f"milvus:http://127.0.0.1:{free_port()}"
    res = cli("serve", "--index", dead, "--sparql", DEAD_SPARQL, "--port", "0")
    assert res.exit_code == 1 and len(res.output.strip().splitlines()) == 2, res.output  # the banner and the error
    assert f"Error: {dead}: cannot connect" in res.output
    r = create_app(None, index=dead, sparql=DEAD_SPARQL).test_client().get("/api/search?q=recruitment")
    assert r.status_code == 503 and r.get_json()["error"]["message"].startswith(f"{dead}: cannot connect")
    assert cli("serve", "--index", shards["index"], "--data", str(shards["union"])).exit_code == 2
    assert cli("serve", "--index", shards["index"]).exit_code == 2  # without --sparql


def test_shards_of_different_encoders_are_one_line(shards):
    from councilkg.embed.filters import SearchError
    from councilkg.embed.milvus_index import MilvusIndexes
    from councilkg.embed.shards import Shard, ShardSearcher

    def shard(instance: str, model: str) -> Shard:
        return Shard(instance, MilvusIndexes(1, {"model": model}, None, shards["uri"], f"ckg_{instance}_g000001_points",
                                             f"ckg_{instance}_g000001_passages"))

    with pytest.raises(SearchError, match=r"different encoders \(a1: all-MiniLM-L6-v2, b2: sentence-transformers:/m\)"):
        ShardSearcher(shards["uri"])._model([shard("a1", "all-MiniLM-L6-v2"), shard("b2", "sentence-transformers:/m")])


def test_a_new_writer_and_a_new_generation_are_seen_without_a_restart(shards, searchers, tmp_path):
    """A third data directory joins, ingests again (its alias moves to generation 2), then leaves: a running stateless
    searcher follows each step on its next request, and the other shards answer as before."""
    from councilkg.embed import milvus_build
    from councilkg.graph import store
    from reliability import seed_variant

    stateless = searchers[0]
    before = stateless.search(QUERIES[0], k=5)
    src, data = tmp_path / "third", tmp_path / "data-third"
    src.mkdir()
    seed_variant("000", src / "third_000.txt", "zephyrine")
    assert cli("ingest", str(src), "--data", str(data), "--index", shards["index"]).exit_code == 0
    con = store.connect(data, readonly=True)
    instance = store.get_state(con, "instance")
    con.close()
    try:
        got = stateless.search("zephyrine", k=5, mode="lexical")
        assert got["shards"][instance] == 1 and len(got["shards"]) == 3
        assert got["hits"] and all("zephyrine" in f"{h['item']['title']} {h['text']}" for h in got["hits"])
        seed_variant("002", src / "third_002.txt", "quillwort")
        assert cli("ingest", str(src), "--data", str(data)).exit_code == 0  # the index recorded in the data directory
        got = stateless.search("quillwort", k=5, mode="lexical")
        assert got["shards"][instance] == 2 and got["hits"]
    finally:
        milvus_build.retire(shards["uri"], instance)
    assert _same_answer(stateless.search(QUERIES[0], k=5)) == _same_answer(before)
