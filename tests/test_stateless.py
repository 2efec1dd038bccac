"""Servers without a data directory: two data directories (different councils) ingest into one Milvus, and stateless
search over both shards answers as one data directory holding both corpora would."""

from __future__ import annotations

import copy
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
from conftest import COUNCILKG, SAMPLE, month_dated_sample
from engines import MilvusServer, end, free_port, need_milvus
from reliability import FILTERS, QUERIES, cli
from sparql_server import oxigraph_serve

# The sample split by council: Herefordshire (and the council-less file) in one data directory, the rest in the other.
SPLIT = {"hereford": ("000", "001", "003"), "others": ("002", "004")}
DEAD_SPARQL = "http://127.0.0.1:9/query"  # for the pages that must not need the store


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
    for path in ("/topics", "/api/topics"):  # clustered from the shards' rows: the store is not needed
        assert client.get(path).status_code == 200, path
    r = client.get("/api/search?q=recruitment&compare=1")  # compare reads practices and actions from the store
    assert r.status_code == 503 and r.get_json()["error"]["message"].startswith(f"SPARQL store {DEAD_SPARQL}: unreachable")


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
    """A third data directory joins, ingests again (generation 2 published on its collections), then leaves: a running stateless
    searcher follows each step on its next request, and the other shards answer as before."""
    from councilkg.embed import milvus_grow
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
        milvus_grow.retire(shards["uri"], instance)
    assert _same_answer(stateless.search(QUERIES[0], k=5)) == _same_answer(before)


@pytest.fixture(scope="module")
def pushed(shards):
    """The query endpoint of the real `oxigraph serve` both shards' data directories pushed into with `ingest --push`."""
    return shards["sparql"]


def _as_exported(groups: list[dict], con) -> list[dict]:
    """A data directory's compare with what its export does not carry replaced by what the SPARQL store gives instead:
    - actions[].date: dcterms:date is exported only for a meeting dated to the day, so a month or year is None;
    - practices[].evidence.point / .item and outcome_evidence.point / .item: prov:wasDerivedFrom and ckg:outcomeEvidence
      name only points and items that exist, so an id of neither is None, and with no item, evidence.source (the minutes'
      path, reached through that item) is None too;
    - an unknown council's practices: their document is reached only through that item, so those without one are left out.
    (Nothing to replace on the sample; the month date is shown by test_the_store_gives_the_databases_rows_but_a_month_for_a_date.)"""
    points = {r[0] for r in con.execute("SELECT id FROM points")}
    items = {r[0] for r in con.execute("SELECT id FROM items")}
    out = copy.deepcopy(groups)
    for g in out:
        for a in g["actions"]:
            a["date"] = a["date"] if a["date"] and len(a["date"]) == 10 else None
        for p in g["practices"]:
            for ev in filter(None, (p["evidence"], p["outcome_evidence"])):
                ev["point"] = ev["point"] if ev["point"] in points else None
                ev["item"] = ev["item"] if ev["item"] in items else None
                ev["source"] = ev["source"] if ev["item"] else None
        if g["council"] is None:
            g["practices"] = [p for p in g["practices"] if p["evidence"]["item"]]
    return out


def test_compare_without_a_data_directory_is_the_union_data_directorys(shards, pushed):
    """Hits from the shards, each council's practices and actions from the store: the compare of one data directory of both."""
    from councilkg.graph import store
    from councilkg.web.app import create_app

    stateless = create_app(None, index=shards["index"], sparql=pushed).test_client()
    union = create_app(shards["union"]).test_client()
    con = store.connect(shards["union"], readonly=True)
    try:
        for q, f in [(q, {}) for q in QUERIES] + [(QUERIES[0], {"theme": "workforce-recruitment"}), (QUERIES[1], {"council": "Haringey"})]:
            path = "/api/search?" + urllib.parse.urlencode({"q": q, "compare": 1, **f})
            got, want = stateless.get(path), union.get(path)
            assert got.status_code == want.status_code == 200, got.get_data(as_text=True)
            got, want = got.get_json(), want.get_json()
            assert got["compare"] == _as_exported(want["compare"], con), (q, f)
            assert _same_answer(got) | {"compare": None} == _same_answer(want) | {"compare": None}, (q, f)
            if not f:
                assert {g["label"] for g in got["compare"]} >= {"Herefordshire Council", "Lincolnshire County Council"}
                assert sum(len(g["practices"]) for g in got["compare"]) and sum(len(g["actions"]) for g in got["compare"])
    finally:
        con.close()
    page = stateless.get("/compare?" + urllib.parse.urlencode({"q": QUERIES[0]}))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Herefordshire Council" in html and "Lincolnshire County Council" in html


def test_the_store_gives_the_databases_rows_but_a_month_for_a_date(tmp_path):
    """store_reader against embed/compare's own SQL on one pushed data directory whose meeting is dated to the month:
    the rows are the same but the action's date, which the export (dcterms:date, full days only) does not carry."""
    from councilkg.embed.compare import action_rows, practice_rows
    from councilkg.graph import store
    from councilkg.web.graph_compare import store_reader
    from councilkg.web.graph_store import GraphStore
    from sparql_server import oxigraph_serve

    src, data = tmp_path / "src", tmp_path / "data"
    month_dated_sample(src)
    with oxigraph_serve(tmp_path / "oxigraph") as url:
        res = cli("ingest", str(src), "--data", str(data), "--push", f"{url}/store")
        assert res.exit_code == 0 and "pushed generation" in res.output, res.output
        reader = store_reader(GraphStore(f"{url}/query"))
        con = store.connect(data, readonly=True)
        try:
            council = con.execute("SELECT council_id FROM practices WHERE council_id IS NOT NULL").fetchone()[0]
            items = [r[0] for r in con.execute("SELECT DISTINCT item_id FROM actions ORDER BY item_id")]
            want_p, want_a = practice_rows(con, council, []), action_rows(con, items)
        finally:
            con.close()
        got_p = sorted(reader.practices(council, []), key=lambda r: r["id"])
        keys = ("id", "label", "kind", "themes", "outcome", "ev_item", "ev_point", "quote", "outcome_point", "outcome_quote", "source")
        assert want_p and [{k: r[k] for k in keys} for r in want_p] == got_p
        got_a = sorted(reader.actions(items), key=lambda r: r["id"])
        assert want_a and {r["date"] for r in want_a} == {"2015-06"} and {r["date"] for r in got_a} == {None}
        assert sorted((r | {"date": None} for r in want_a), key=lambda r: r["id"]) == got_a
