"""Two data directories push their own named graphs into one real `oxigraph serve`; a server without a data directory reads them."""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner
from markupsafe import escape
from rdflib import Graph
from rdflib.compare import isomorphic

from conftest import SAMPLE, month_dated_sample
from councilkg.graph import push, rdf, store
from councilkg.graph.sparql import QueryTimeout, open_store
from councilkg.web.app import create_app
from councilkg.web.cli import main
from councilkg.web.graph_store import GraphStore, LocalStore, forward
from councilkg.web.loaders import load
from sparql_server import free_port, oxigraph_serve

SPLIT = {"a": ("000_", "003_"), "b": ("002_", "004_")}  # Herefordshire; Haringey and Lincolnshire


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph"), timeout_s=3) as url:  # as a deployment should: no runaway query
        yield url


def _corpus(root, prefixes) -> str:
    root.mkdir()
    lines = (SAMPLE / "manifest.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (root / "manifest.csv").write_text("".join([lines[0]] + [ln for ln in lines[1:] if ln.startswith(prefixes)]), encoding="utf-8")
    for f in SAMPLE.glob("*.txt"):
        if f.name.startswith(prefixes):
            shutil.copy(f, root / f.name)
    return str(root)


def ingest(*args):
    return CliRunner().invoke(main, ["ingest", *map(str, args)])


@pytest.fixture(scope="module")
def dirs(tmp_path_factory, server):
    """Two data directories, different councils, each pushed into the one store."""
    base = tmp_path_factory.mktemp("writers")
    out = {}
    for name, prefixes in SPLIT.items():
        data = base / f"data-{name}"
        r = ingest(_corpus(base / name, prefixes), "--data", data, "--push", f"{server}/store")
        assert r.exit_code == 0, r.output
        assert "pushed generation 1" in r.output
        out[name] = data
    return out


def named_graph(server: str, iri: str) -> Graph:
    url = f"{server}/store?graph={urllib.parse.quote(iri, safe='')}"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/n-triples"})) as resp:
        return Graph().parse(data=resp.read(), format="nt")


def own(data) -> tuple[Graph, str]:
    con = store.connect(data, readonly=True)
    try:
        return rdf.build_graph(con), push.GRAPH_BASE + store.get_state(con, "instance")
    finally:
        con.close()


def test_each_named_graph_is_its_own_export(dirs, server):
    iris = set()
    for data in dirs.values():
        export, iri = own(data)
        assert isomorphic(named_graph(server, iri), export)
        iris.add(iri)
    assert set(GraphStore(f"{server}/query").graphs()) == iris and len(iris) == 2


def _first(data, kind: str, sql: str) -> tuple[str, str]:
    con = store.connect(data, readonly=True)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


PAGES = {"point": "SELECT id, text FROM points ORDER BY id", "item": "SELECT id, title FROM items WHERE title IS NOT NULL ORDER BY id",
         "meeting": "SELECT id, committee FROM meetings WHERE committee IS NOT NULL ORDER BY id",
         "council": "SELECT c.id, c.name FROM councils c JOIN meetings m ON m.council_id = c.id ORDER BY c.id"}


def test_entity_pages_of_both_directories_from_the_store(dirs, server):
    web = create_app(None, sparql=f"{server}/query").test_client()
    for data in dirs.values():
        con = store.connect(data, readonly=True)
        for kind, sql in PAGES.items():
            ident, text = con.execute(sql).fetchone()
            r = web.get(f"/id/{kind}/{ident}")
            assert r.status_code == 200, (kind, ident, r.data[-300:])
            assert str(escape(text[:60])) in r.get_data(as_text=True), (kind, ident)
        ident = con.execute(PAGES["point"]).fetchone()[0]
        local, remote = load(LocalStore(open_store(data)), "point", ident), load(GraphStore(f"{server}/query"), "point", ident)
        assert (remote.label, remote.text) == (local.label, local.text)
        assert {k: str(v) for k, v in remote.facts if k != "Themes"} == {k: str(v) for k, v in local.facts if k != "Themes"}
        con.close()
    assert web.get("/id/point/0000000000000000").status_code == 404


def test_home_councils_and_themes_counted_in_the_store(dirs, server):
    web = create_app(None, sparql=f"{server}/query").test_client()
    local = [store.counts(store.connect(d, readonly=True)) for d in dirs.values()]
    home = web.get("/")
    assert home.status_code == 200
    assert f"<strong>{sum(c['debate_points'] for c in local)}</strong> debate points" in home.get_data(as_text=True)
    listed = web.get("/councils").get_data(as_text=True)
    for name in ("Herefordshire Council", "Lincolnshire County Council", "London Borough of Haringey"):
        assert name in listed
    assert web.get("/themes").status_code == 200
    stats = web.get("/api/stats").get_json()
    assert stats["debate_points"] == sum(c["debate_points"] for c in local) and stats["stateless"]


KINDS = {"point": "points", "item": "items", "meeting": "meetings", "document": "documents", "action": "actions",
         "inspection": "inspections WHERE event_id IS NULL", "judgement": "judgements", "intervention": "interventions", "practice": "practices",
         "council": "councils"}


def test_every_kind_reads_the_same_from_the_store(dirs, server):
    """Label, facts shown and lists for every kind as the data-directory page has them."""
    remote = GraphStore(f"{server}/query")
    seen = set()
    for data in dirs.values():
        con, local = store.connect(data, readonly=True), LocalStore(open_store(data))
        rows = [(k, r[0]) for k, table in KINDS.items() for r in con.execute(f"SELECT id FROM {table} ORDER BY id LIMIT 2")]
        rows += [("theme", "workforce-recruitment")] + [(k, r[0]) for k, sql in (
            ("grade", "SELECT grade FROM judgements"), ("inspection-type", "SELECT type FROM inspections WHERE event_id IS NULL"),
            ("intervention-type", "SELECT type FROM interventions")) for r in con.execute(sql).fetchall()[:1]]
        for kind, ident in rows:
            a, b = load(local, kind, ident), load(remote, kind, ident)
            assert a.label == b.label, (kind, ident)
            assert [k for k, _ in b.facts] == [k for k, _ in a.facts], (kind, ident)
            if kind in KINDS:  # a theme, grade or type page gathers every writer's: more than one directory holds
                shown = lambda e: [(t, sorted(map(str, es))) for t, es in e.groups if t != "Mentioned in other minutes"]  # noqa: E731
                assert shown(b) == shown(a), (kind, ident)  # (a mention is shown by its point's text: the quote is not exported)
            seen.add(kind)
        con.close()
    assert seen >= set(KINDS) | {"theme", "grade", "inspection-type", "intervention-type"}


def con_ids(data, sql: str) -> list[str]:
    con = store.connect(data, readonly=True)
    try:
        return [r[0] for r in con.execute(sql)]
    finally:
        con.close()


def _every_entity(con) -> list[tuple[str, str]]:
    rows = [(k, r[0]) for k, table in KINDS.items() for r in con.execute(f"SELECT id FROM {table} ORDER BY id")]
    return rows + [(k, r[0]) for k, sql in (("inspection", "SELECT id FROM official_inspections ORDER BY id"),  # Ofsted's events
        ("inspection", "SELECT id FROM inspections WHERE event_id IS NOT NULL ORDER BY id"),  # mentions resolved to them
        ("inspection", "SELECT id FROM minutes_events ORDER BY id"),  # inspections the record lacks, shared by their mentions
        ("theme", "SELECT theme FROM point_themes UNION SELECT theme FROM item_themes"), ("grade", "SELECT DISTINCT grade FROM judgements"),
        ("inspection-type", "SELECT DISTINCT type FROM inspections WHERE event_id IS NULL UNION SELECT type FROM official_inspections"), ("intervention-type", "SELECT DISTINCT type FROM interventions"))
        for r in con.execute(sql)]


def test_every_page_is_the_same_from_the_data_directory_or_a_store_of_its_export(tmp_path):
    """The whole sample in one data directory pushed alone into a store: every entity of every kind has the same page (the
    Entity the loaders build, the HTML and the JSON-LD) from the data directory's app as from a stateless app over that store."""
    data = tmp_path / "data"
    with oxigraph_serve(tmp_path / "oxigraph") as url:
        r = ingest(SAMPLE, "--data", data, "--push", f"{url}/store")
        assert r.exit_code == 0 and "pushed generation 1" in r.output, r.output
        local, remote = create_app(data).test_client(), create_app(None, sparql=f"{url}/query").test_client()
        con = store.connect(data, readonly=True)
        try:
            entities = _every_entity(con)
        finally:
            con.close()
        mine, shared = LocalStore(open_store(data)), GraphStore(f"{url}/query")
        for kind, ident in entities:
            assert load(mine, kind, ident) == load(shared, kind, ident), (kind, ident)
            a, b = local.get(f"/id/{kind}/{ident}"), remote.get(f"/id/{kind}/{ident}")
            assert a.status_code == b.status_code == 200 and a.data == b.data, (kind, ident)
            a, b = (c.get(f"/id/{kind}/{ident}?format=json") for c in (local, remote))
            assert a.status_code == b.status_code == 200 and a.mimetype == b.mimetype == "application/ld+json", (kind, ident)
            assert isomorphic(Graph().parse(data=a.data, format="json-ld"), Graph().parse(data=b.data, format="json-ld")), (kind, ident)
        for path in ("/inspections", "/api/inspections", "/api/inspections?grade=good", "/inspections?year=2018&framework=ilacs"):
            a, b = local.get(path), remote.get(path)
            assert a.status_code == b.status_code == 200 and a.data == b.data, path
    assert {k for k, _ in entities} == set(KINDS) | {"theme", "grade", "inspection-type", "intervention-type"}
    official = [i for k, i in entities if k == "inspection" and i.startswith("ofsted-")]
    linked = [i for i in con_ids(data, "SELECT id FROM inspections WHERE event_id IS NOT NULL")]
    assert official and linked  # the sample's councils have Ofsted's events, and its minutes discuss two of them
    page = load(mine, "inspection", linked[0])
    assert page.id.startswith("ofsted-") and page.groups and dict(page.facts)["In Ofsted's record"] == "yes"
    item = next(i for k, i in entities if k == "item")
    assert load(mine, "item", item).text  # what the export now carries: an item's text, a document's reading and metadata
    document = load(mine, "document", next(i for k, i in entities if k == "document"))
    assert {"Read as", "SHA-256", "Ingested"} <= {k for k, _ in document.facts} and any(k.startswith("Metadata:") for k, _ in document.facts)


def test_a_meeting_dated_to_the_month_keeps_its_date_on_its_pages(tmp_path):
    """dcterms:date is a day; a month the manifest gives is ckg:partialDate, and the pages show it as before."""
    src, data = tmp_path / "src", tmp_path / "data"
    month_dated_sample(src)
    assert ingest(src, "--data", data).exit_code == 0
    con = store.connect(data, readonly=True)
    meeting, council = con.execute("SELECT id, council_id FROM meetings").fetchone()
    con.close()
    e = load(LocalStore(open_store(data)), "meeting", meeting)
    assert dict(e.facts)["Date"] == "2015-06" and e.label.endswith("· 2015-06") and dict(e.facts)["Date decided by"]
    timeline = load(LocalStore(open_store(data)), "council", council).extra["timeline"]
    assert [ev.date for ev in timeline if ev.kind == "meeting"] == ["2015-06"]


def test_linked_data_is_constructed_from_the_store(dirs, server):
    ident = _first(dirs["b"], "point", PAGES["point"])[0]
    remote = create_app(None, sparql=f"{server}/query").test_client().get(f"/id/point/{ident}?format=ttl")
    local = create_app(dirs["b"]).test_client().get(f"/id/point/{ident}?format=ttl")
    assert remote.status_code == local.status_code == 200 and remote.mimetype == "text/turtle"
    assert isomorphic(Graph().parse(data=remote.data, format="turtle"), Graph().parse(data=local.data, format="turtle"))


def test_read_only_sparql_forwarded_with_limits(dirs, server):
    web = create_app(None, sparql=f"{server}/query").test_client()
    q = "SELECT DISTINCT ?name WHERE { ?m ckg:council ?c . ?c rdfs:label ?name } ORDER BY ?name"
    r = web.get("/sparql", query_string={"query": q}, headers={"Accept": "application/sparql-results+json"})
    names = [b["name"]["value"] for b in json.loads(r.data)["results"]["bindings"]]
    assert names == ["Herefordshire Council", "Lincolnshire County Council", "London Borough of Haringey"]
    page = web.get("/sparql", query_string={"query": q}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "London Borough of Haringey" in page.get_data(as_text=True)
    r = web.get("/sparql", query_string={"query": q, "format": "csv"})
    assert r.status_code == 200 and r.data.decode().splitlines()[1] == "Herefordshire Council"
    for r in (web.post("/sparql", data={"update": "DELETE WHERE { ?s ?p ?o }"}),
              web.get("/sparql", query_string={"query": "DELETE WHERE { ?s ?p ?o }"}, headers={"Accept": "application/json"})):
        assert r.status_code == 400 and "not allowed" in r.get_json()["error"]["message"]
    assert web.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"}).status_code == 400
    capped = forward(GraphStore(f"{server}/query"), "SELECT * WHERE { ?s ?p ?o }", limit=7, timeout=10)
    assert len(capped.rows) == 7 and capped.truncated
    graph = forward(GraphStore(f"{server}/query"), "CONSTRUCT { ?c a ckg:Council } WHERE { ?c a ckg:Council }", limit=100, timeout=10)
    assert graph.kind == "graph" and len(graph.triples) >= 3
    assert len(named_graph(server, own(dirs["a"])[1])) == len(own(dirs["a"])[0])  # nothing was deleted
    t0 = time.monotonic()
    with pytest.raises(QueryTimeout, match="1 s limit"):
        forward(GraphStore(f"{server}/query"), "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", limit=10, timeout=1)
    assert time.monotonic() - t0 < 5


def test_push_options_checked_before_any_work(tmp_path):
    for args, said in ((["--push", "ftp://x/store"], "not an http(s) Graph Store"), (["--push", "http://x/", "--no-push"], "exclude")):
        r = ingest(str(SAMPLE), "--data", tmp_path, *args)
        assert r.exit_code == 2 and said in r.output
    assert not (tmp_path / store.DB_NAME).exists()


def test_store_down_is_one_line_and_pages_without_sparql_say_so(dirs):
    dead = f"http://127.0.0.1:{free_port()}/query"
    web = create_app(None, sparql=dead).test_client()
    ident = _first(dirs["a"], "point", PAGES["point"])[0]
    for path, status in ((f"/id/point/{ident}", 503), ("/", 503), ("/councils", 503), ("/sparql?query=ASK{}", 503),
                         ("/export.ttl", 501), ("/topics", 501), ("/sources", 501), ("/api/search?q=x", 501)):
        r = web.get(path, headers={"Accept": "application/json"})
        assert r.status_code == status, (path, r.data)
        message = r.get_json()["error"]["message"]
        assert "\n" not in message and (dead in message or status == 501), message


def test_change_replaces_only_its_own_graph(dirs, server, tmp_path):
    before_b = named_graph(server, own(dirs["b"])[1])
    extra = _corpus(tmp_path / "more", ("001_",))
    r = ingest(extra, "--data", dirs["a"])  # no --push: the recorded URL is used
    assert r.exit_code == 0, r.output
    assert "pushed generation 2" in r.output
    export, iri = own(dirs["a"])
    assert isomorphic(named_graph(server, iri), export)
    assert isomorphic(named_graph(server, own(dirs["b"])[1]), before_b)
    again = ingest(extra, "--data", dirs["a"])
    assert again.exit_code == 0 and "pushed" not in again.output  # already there: not sent again


def test_store_down_then_the_next_run_pushes(dirs, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/store"
    held = store.counts(store.connect(dirs["b"], readonly=True))
    corpus = str(dirs["b"].parent / "b")  # the same files: nothing changes
    r = ingest(corpus, "--data", dirs["b"], "--push", url)
    assert r.exit_code == 1
    error = [ln for ln in r.output.splitlines() if ln.startswith("Error:")]
    assert len(error) == 1 and url in error[0] and "refused" in error[0].lower(), r.output
    assert store.counts(store.connect(dirs["b"], readonly=True)) == held
    pending = json.loads(CliRunner().invoke(main, ["stats", "--data", str(dirs["b"]), "--json"]).output)["push"]
    assert pending["url"] == url and pending["pending"] and pending["generation"] is None
    with oxigraph_serve(tmp_path / "ox2", port) as base:
        r = ingest(corpus, "--data", dirs["b"])  # nothing changed, but the push is pending
        assert r.exit_code == 0 and "pushed generation 1" in r.output, r.output
        export, iri = own(dirs["b"])
        assert isomorphic(named_graph(base, iri), export)
    r = CliRunner().invoke(main, ["ingest", corpus, "--data", str(dirs["b"]), "--no-push"])
    assert r.exit_code == 0 and "pushed" not in r.output
    assert store.get_state(store.connect(dirs["b"], readonly=True), "push") is None


def test_harvest_pushes_after_its_commit(server, tmp_path):
    from test_harvest import FAST, SINCE, make_testshire
    from mgsite import Server

    srv = Server(make_testshire())
    try:
        r = CliRunner().invoke(main, ["harvest", srv.url, "--council", "Adur", "--since", SINCE, *FAST, "--data", str(tmp_path),
                                      "--push", f"{server}/store"])
    finally:
        srv.close()
    assert r.exit_code == 1 and "meeting 104" in r.output  # its faulty meetings still fail the run, after the push
    assert "pushed generation 1" in r.output
    export, iri = own(tmp_path)
    assert isomorphic(named_graph(server, iri), export)
    web = create_app(None, sparql=f"{server}/query").test_client()
    assert "Adur District Council" in web.get("/councils").get_data(as_text=True)
