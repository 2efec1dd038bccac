"""The web UI, linked data, JSON API and SPARQL endpoint, through Flask's test client and a real waitress server on loopback."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import deque

import pytest
from markupsafe import escape
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from councilkg.graph import store
from councilkg.graph.vocab import CKG, iri
from councilkg.web.app import create_app
from councilkg.web.errors import MAX_K, MAX_SEARCH_CHARS, MAX_SPARQL_CHARS

TABLES = {"council": "councils", "meeting": "meetings", "document": "documents", "item": "items", "point": "points",
          "action": "actions", "inspection": "inspections", "judgement": "judgements", "practice": "practices"}
SELECT = "SELECT ?c ?name WHERE { ?c a ckg:Council ; rdfs:label ?name } ORDER BY ?name"
CONSTRUCT = "CONSTRUCT { ?c rdfs:label ?name } WHERE { ?c a ckg:Council ; rdfs:label ?name }"


@pytest.fixture(scope="module")
def client(sample_data):
    return create_app(sample_data).test_client()


@pytest.fixture(scope="module")
def ids(sample_data) -> dict[str, str]:
    con = store.connect(sample_data, readonly=True)
    out = {k: con.execute(f"SELECT id FROM {t} ORDER BY id LIMIT 1").fetchone()[0] for k, t in TABLES.items()}
    out["theme"] = con.execute("SELECT theme FROM point_themes GROUP BY theme ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    con.close()
    return out


def html(resp) -> str:
    assert resp.status_code == 200, (resp.status_code, resp.data[:300])
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def crawl(client, start: list[str], limit: int = 3000):
    """Follow every local link from the start pages (breadth first, at most `limit` pages), yielding (path, response)."""
    seen, todo, fetched = set(start), deque(start), 0
    while todo and fetched < limit:
        path = todo.popleft()
        fetched += 1
        resp = client.get(path, headers={"Accept": "text/html"})
        yield path, resp
        if resp.mimetype != "text/html":
            continue
        for href in re.findall(r'href="([^"]+)"', resp.get_data(as_text=True)):
            href = href.replace("&amp;", "&")
            if href.startswith("/") and not href.startswith(("//", "/search", "/compare", "/export.")) \
                    and "format=turtle" not in href and "format=jsonld" not in href and href not in seen:
                seen.add(href)
                todo.append(href)


# ---- pages ----------------------------------------------------------------------------------------------------

def test_every_kind_of_node_has_a_page_at_its_iri_path(client, ids):
    for kind, ident in ids.items():
        path = str(iri(kind, ident))[len("https://w3id.org/councilkg"):]
        assert path == f"/id/{kind}/{ident}"
        page = html(client.get(path))
        assert "<svg" in page, f"{kind}: no neighbourhood graph"
        assert 'href="/id/' in page, f"{kind}: no neighbour links"


def test_every_internal_link_of_the_sample_resolves(client):
    pages = list(crawl(client, ["/", "/councils", "/themes", "/topics", "/sources", "/topics?emerging=1", "/search?q=social+worker+recruitment",
                                "/compare?q=social+worker+recruitment"]))
    bad = [(p, r.status_code) for p, r in pages if r.status_code != 200]
    assert not bad, bad[:10]
    kinds = {p.split("/")[2] for p, _ in pages if p.startswith("/id/")}
    assert {"council", "meeting", "item", "point", "inspection", "judgement", "practice", "theme", "document"} <= kinds


def test_home_shows_coverage_and_a_plain_get_search_form(client, sample_data):
    page = html(client.get("/"))
    con = store.connect(sample_data, readonly=True)
    c = store.counts(con)
    assert re.search(r'<form class="search big" action="/search" method="get"', page)
    assert f"<strong>{c['councils']}</strong> councils" in page and f"<strong>{c['meetings']}</strong> meetings" in page
    assert c["date_range"][0] in page and c["date_range"][1] in page
    assert "Every document given to ingest was read" in page


def test_search_page_highlights_links_and_facets_apply_filters(client):
    page = html(client.get("/search?q=social+worker+recruitment"))
    assert "<mark>" in page
    assert "/id/council/E06000019" in page and "/id/point/" in page and "/id/item/" in page and "/id/theme/" in page
    facet = re.search(r'href="(/search\?q=social\+worker\+recruitment&amp;council=([^"&]+))"', page)
    assert facet, "no council facet link"
    filtered = html(client.get(facet.group(1).replace("&amp;", "&")))
    councils = set(re.findall(r'<p class="where">\s*<a href="/id/council/([^"]+)"', filtered))
    assert councils == {facet.group(2)}
    assert "Clear all filters" in filtered


def test_compare_view_has_a_row_per_council_with_evidence_links(client):
    page = html(client.get("/compare?q=social+worker+recruitment"))
    rows = re.findall(r'<section class="compare-row" aria-label="([^"]+)"', page)
    assert len(rows) >= 2 and len(set(rows)) == len(rows)
    assert "Herefordshire Council" in rows
    assert "/id/point/" in page and "/id/practice/" in page


def test_council_page_has_a_timeline_with_inspections_and_meetings(client):
    page = html(client.get("/id/council/E06000019"))
    timeline = page[page.index('id="tl-h"'):]
    assert 'class="ev ev-inspection"' in timeline and 'class="ev ev-meeting"' in timeline
    assert "ILACS" in timeline and "/id/judgement/" in timeline


def test_council_page_shows_ofsted_timeline_with_grades_and_the_meetings_that_discussed_each(client):
    page = html(client.get("/id/council/E06000019"))
    official = page[page.index('id="of-h"'):]
    june = official.index("/id/inspection/ofsted-ilacs-E06000019-2018-06-11")
    assert official.index("/id/inspection/ofsted-ilacs-E06000019-2022-07-18") > june  # oldest first
    assert 'class="badge g-requires-improvement"' in official and 'class="badge g-inadequate"' in official
    assert "2019-11-25" in official[june:] and "/id/point/" in official  # seed 000's meeting discussed the June 2018 inspection
    timeline = page[page.index('id="tl-h"'):page.index('id="of-h"')]
    assert "2018-06)" not in timeline  # the minutes' mention is that event, not a second inspection


def test_inspections_page_and_json_filter_by_grade_year_and_framework(client):
    page = html(client.get("/inspections?grade=inadequate"))
    assert "/id/inspection/ofsted-ilacs-E06000019-2022-07-18" in page and "ofsted-ilacs-E06000019-2018-06-11" not in page
    data = client.get("/api/inspections?year=2018&framework=ilacs").get_json()
    june = next(e for e in data["inspections"] if e["id"] == "ofsted-ilacs-E06000019-2018-06-11")
    assert (june["start"], june["end"], june["published"], june["overall"]) == ("2018-06-11", "2018-06-22", "2018-07-23", "requires-improvement")
    assert {"area": None, "grade": "requires-improvement"} in june["judgements"] and len(june["judgements"]) == 4
    assert [d["meeting"]["date"] for d in june["discussed_in"]] == ["2019-11-25"]
    assert all(e["start"].startswith("2018") and e["type"] == "ilacs" for e in data["inspections"])
    assert client.get("/api/inspections?grade=brilliant").status_code == 400
    event = html(client.get("/id/inspection/ofsted-ilacs-E06000019-2018-06-11"))
    assert "Discussed in" in event and "https://files.ofsted.gov.uk/" in event and "Requires improvement" in event


def test_theme_page_gathers_points_of_several_councils(client, ids):
    page = html(client.get(f"/id/theme/{ids['theme']}"))
    assert len(set(re.findall(r'<summary><a href="/id/council/([^"]+)"', page))) >= 2


def test_unknown_resources_and_kinds_are_clean_404s(client):
    for path in ("/id/council/E99999999", "/id/nonsense/1", "/id/point/zz", "/no/such/page"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert b"Traceback" not in r.data and b"sqlite" not in r.data.lower()
    r = client.get("/id/council/E99999999", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.get_json()["error"]["status"] == 404


# ---- linked data ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")])
def test_resource_content_negotiation(client, accept, fmt):
    r = client.get("/id/council/E06000019", headers={"Accept": accept})
    assert r.status_code == 200 and r.mimetype == accept and "Accept" in r.headers["Vary"]
    g = Graph().parse(data=r.data, format=fmt)
    council = URIRef("https://w3id.org/councilkg/id/council/E06000019")
    assert (council, RDF.type, CKG.Council) in g
    assert (None, CKG.council, council) in g  # incoming links: its meetings


def test_format_parameter_overrides_accept_and_html_is_the_default(client):
    r = client.get("/id/council/E06000019?format=turtle", headers={"Accept": "text/html"})
    assert r.mimetype == "text/turtle"
    assert client.get("/id/council/E06000019", headers={"Accept": "*/*"}).mimetype == "text/html"
    assert client.get("/id/council/E06000019?format=pdf").status_code == 400


def test_exports_round_trip_to_the_same_graph(client, sample_data):
    from councilkg.graph.rdf import build_graph

    con = store.connect(sample_data, readonly=True)
    expected = build_graph(con)
    for ext, fmt in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld")):
        r = client.get(f"/export.{ext}")
        assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
        assert isomorphic(Graph().parse(data=r.data, format=fmt), expected), ext
    assert client.get("/export.xml").status_code == 404


# ---- SPARQL protocol -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("accept,check", [
    ("application/sparql-results+json", lambda b: json.loads(b)["results"]["bindings"]),
    ("application/sparql-results+xml", lambda b: b"<sparql" in b and b"Herefordshire" in b),
    ("text/csv", lambda b: b.startswith(b"c,name\r\n") and b"Herefordshire" in b),
    ("text/tab-separated-values", lambda b: b.startswith(b"?c\t?name\n") and b"Herefordshire" in b),
])
def test_sparql_select_results_by_accept(client, accept, check):
    r = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": accept})
    assert r.status_code == 200 and r.mimetype == accept
    assert check(r.data)


def test_sparql_post_form_and_direct_body_give_the_same_answer(client):
    accept = {"Accept": "application/sparql-results+json"}
    get = client.get("/sparql", query_string={"query": SELECT}, headers=accept).get_json()
    form = client.post("/sparql", data={"query": SELECT}, headers=accept).get_json()
    body = client.post("/sparql", data=SELECT.encode(), content_type="application/sparql-query", headers=accept).get_json()
    assert get == form == body and len(get["results"]["bindings"]) >= 3


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld")])
def test_sparql_construct_returns_rdf(client, accept, fmt):
    r = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": accept})
    assert r.status_code == 200 and r.mimetype == accept
    assert len(Graph().parse(data=r.data, format=fmt)) >= 3


def test_sparql_update_is_refused_every_way(client):
    update = "INSERT DATA { <urn:x> <urn:y> <urn:z> }"
    attempts = [
        client.get("/sparql", query_string={"update": update}),
        client.post("/sparql", data={"update": update}),
        client.post("/sparql", data=update.encode(), content_type="application/sparql-update"),
        client.post("/sparql", data={"query": update}),
        client.get("/sparql", query_string={"query": "DELETE WHERE { ?s ?p ?o }"}),
    ]
    for r in attempts:
        assert r.status_code == 400, r.data
        assert b"Traceback" not in r.data
    after = client.get("/sparql", query_string={"query": "ASK { <urn:x> ?p ?o }"}, headers={"Accept": "application/sparql-results+json"})
    assert after.get_json()["boolean"] is False


def test_sparql_errors_and_limits(client):
    r = client.get("/sparql", query_string={"query": "SELEC nonsense"}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 400 and "syntax" in r.get_json()["error"]["message"].lower()
    r = client.get("/sparql", query_string={"query": "# " + "x" * MAX_SPARQL_CHARS + "\nASK {}"})
    assert r.status_code == 400
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"})
    assert r.status_code == 400


def test_a_query_past_its_time_limit_is_stopped_and_the_endpoint_recovers(client, monkeypatch):
    from councilkg.web import sparql_endpoint

    monkeypatch.setattr(sparql_endpoint, "TIMEOUT_S", 2.0)
    # a triple cartesian product with an aggregate: one blocking step, no rows stream until it ends
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    t0 = time.monotonic()
    resp = client.get("/sparql", query_string={"query": slow}, headers={"Accept": "application/sparql-results+json"})
    took = time.monotonic() - t0
    assert resp.status_code == 503 and "limit" in resp.get_json()["error"]["message"]
    assert took < 15, took  # stopped near the limit, not left running
    ok = client.get("/sparql", query_string={"query": "ASK { ?s a ckg:Council }"}, headers={"Accept": "application/sparql-results+json"})
    assert ok.status_code == 200 and ok.get_json()["boolean"] is True


def test_sparql_page_runs_examples_and_shows_errors_inline(client):
    page = html(client.get("/sparql"))
    examples = re.findall(r'href="(/sparql\?example=\d+&amp;format=html)"', page)
    assert len(examples) >= 5
    ran = html(client.get(examples[0].replace("&amp;", "&")))
    assert 'class="error-box"' not in ran, re.findall(r'class="error-box"[^<]*', ran)
    assert '<table class="data">' in ran and "rows in" in ran
    bad = html(client.post("/sparql", data={"query": "SELEC x", "format": "html"}, headers={"Accept": "text/html"}))
    assert 'class="error-box"' in bad and "SELEC x" in bad


# ---- JSON API ------------------------------------------------------------------------------------------------

def test_api_search_returns_the_contract_json(client):
    r = client.get("/api/search?q=social+worker+recruitment&k=5")
    out = r.get_json()
    assert r.status_code == 200 and out["query"] == "social worker recruitment" and 1 <= len(out["hits"]) <= 5
    for h in out["hits"]:
        assert {"rank", "score", "id", "uri", "text", "council", "meeting", "item", "themes", "source", "source_url"} <= set(h)
        assert h["uri"] == f"https://w3id.org/councilkg/id/point/{h['id']}"
    assert "facets" in out


def test_api_search_filters_match_the_cli(client):
    base = "/api/search?q=social+worker+recruitment&k=20"
    only = client.get(base + "&council=E06000019").get_json()["hits"]
    assert only and all(h["council"]["gss"] == "E06000019" for h in only)
    without = client.get(base + "&exclude_council=E06000019&exclude_council=E09000014").get_json()["hits"]
    assert without and all((h["council"] or {}).get("gss") not in ("E06000019", "E09000014") for h in without)
    compared = client.get(base + "&compare=1").get_json()
    assert compared["compare"] and "practices" in compared["compare"][0]


def test_api_limits_and_errors_are_json(client):
    for query in (f"q=x&k={MAX_K + 1}", "q=x&k=0", "q=x&k=ten", "q=" + "x" * (MAX_SEARCH_CHARS + 1), "q=", "q=x&since=yesterday"):
        r = client.get("/api/search?" + query)
        assert r.status_code == 400, query
        assert r.get_json()["error"]["message"] and b"Traceback" not in r.data
    assert client.get(f"/search?q=x&k={MAX_K + 1}").status_code == 400


def test_topics_page_and_api_show_what_the_cli_shows(client, sample_data):
    """The clusters are the CLI's (`councilkg topics --json`), each with its councils, themes and evidence linked."""
    from councilkg.embed.emerging import as_dicts, load_topics

    got = client.get("/api/topics").get_json()
    assert got == json.loads(json.dumps(as_dicts(load_topics(sample_data))))
    assert got, "the sample gives at least one cross-council cluster"
    page = html(client.get("/topics"))
    for t in got:
        assert str(escape(t["label"])) in page
        assert all(f"/id/council/{c}" in page for c in t["councils"] if c)
        assert f"/id/point/{t['point_ids'][0]}" in page  # its most typical point, as evidence
    emerging = client.get("/api/topics?emerging=1").get_json()
    assert emerging == [t for t in got if t["uncovered"]]
    assert page.count('<section class="topic"') == len(got)
    assert html(client.get("/topics?emerging=1")).count('<section class="topic"') == len(emerging)


def test_topics_page_does_not_hold_a_visitor_while_clusters_are_worked_out(sample_data, monkeypatch):
    """On a large corpus clustering takes tens of seconds: the page says so and refreshes; then it shows them."""
    from concurrent.futures import Future

    from councilkg.embed.emerging import load_topics
    from councilkg.web import views

    monkeypatch.setattr(views, "TOPICS_PAGE_WAIT_S", 0.2)
    app = create_app(sample_data)
    held: Future = Future()  # the generation's clustering job, still running as far as the page can tell
    gen = store.get_state(store.connect(sample_data, readonly=True), "generation")
    app.extensions["councilkg"]._topics_job = (gen, held)
    c = app.test_client()
    waiting = html(c.get("/topics"))
    assert '<meta http-equiv="refresh" content="5">' in waiting and "being worked out" in waiting
    assert '<section class="topic"' not in waiting
    held.set_result(load_topics(sample_data))
    ready = html(c.get("/topics"))
    assert '<section class="topic"' in ready and "http-equiv" not in ready


def test_api_stats_is_the_store_counts(client, sample_data):
    con = store.connect(sample_data, readonly=True)
    assert client.get("/api/stats").get_json() == json.loads(json.dumps(store.counts(con)))


# ---- hardening -----------------------------------------------------------------------------------------------

def test_security_headers_on_every_kind_of_response(client):
    for path in ("/", "/static/style.css", "/nope", "/api/stats", "/sparql?query=ASK{}", "/id/council/E06000019"):
        r = client.get(path)
        csp = r.headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["Referrer-Policy"] == "no-referrer"


def test_no_inline_script_anywhere(client):
    for path, r in crawl(client, ["/", "/search?q=recruitment", "/sparql"], limit=60):
        assert "<script" not in r.get_data(as_text=True).lower(), path


@pytest.mark.parametrize("path", [
    "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/%2e%2e/pyproject.toml", "/static//etc/passwd",
    "/id/document/..%2f..%2fcouncilkg.sqlite", "/../../etc/passwd", "/export.ttl/../../councilkg.sqlite",
    "/static/%2e%2e%2f%2e%2e%2fcouncilkg.sqlite",
])
def test_path_traversal_is_404(client, path):
    r = client.get(path, follow_redirects=True)
    assert r.status_code == 404, path
    assert b"root:" not in r.data and b"SQLite format" not in r.data and b"def create_app" not in r.data


def test_body_size_is_limited(client):
    r = client.post("/sparql", data={"query": "ASK {}", "pad": "x" * 400_000})
    assert r.status_code == 413


# ---- XSS: minutes are untrusted ------------------------------------------------------------------------------

HOSTILE = """council: Evilshire <script>alert('council')</script> Council
date: 2021-03-04
committee: Children's Scrutiny <img src=x onerror=alert('committee')>
item: 7
title: Recruitment <script>alert('title')</script> update
source_url: javascript:alert('url')
---
7. Recruitment of social workers <script>alert('heading')</script>

Members discussed social worker recruitment <script>alert(1)</script> and agency staff costs <img src=x onerror=alert(1)>.

The committee noted that the Ofsted inspection in June 2019 judged children's services inadequate <svg onload=alert(2)>.

RESOLVED: that the recruitment campaign "><script>alert(3)</script> be noted.
"""
PAYLOADS = ("<script", "<img", "<svg onload", 'href="javascript:', "href='javascript:")  # as live markup, not escaped text


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory):
    from councilkg.embed.pipeline import ingest

    src = tmp_path_factory.mktemp("hostile-src")
    (src / "evil.txt").write_text(HOSTILE, encoding="utf-8")
    data = tmp_path_factory.mktemp("hostile-data")
    report = ingest([str(src)], data)
    assert report.ingested == 1, report
    return create_app(data).test_client()


def test_hostile_minutes_render_inert_on_every_page(hostile_client):
    start = ["/", "/councils", "/themes", "/search?q=social+worker+recruitment+script", "/compare?q=social+worker+recruitment",
             "/sparql?format=html&query=" + "SELECT+%3Fs+%3Fp+%3Fo+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D"]
    pages = list(crawl(hostile_client, start))
    assert any(p.startswith("/id/point/") for p, _ in pages) and any(p.startswith("/id/item/") for p, _ in pages)
    escaped = 0
    for path, r in pages:
        assert r.status_code == 200, path
        body = r.get_data(as_text=True)
        for bad in PAYLOADS:
            assert bad not in body, (path, bad)
        escaped += "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert escaped >= 2  # the text is shown, escaped, not dropped


def test_hostile_search_results_and_api_are_inert(hostile_client):
    body = html(hostile_client.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E+recruitment"))
    assert "<script" not in body
    r = hostile_client.get("/api/search?q=recruitment")
    assert r.mimetype == "application/json" and r.headers["X-Content-Type-Options"] == "nosniff"


# ---- a real server on loopback -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(sample_data):
    from councilkg.web.serve import serve

    box, ready = {}, threading.Event()

    def on_ready(s):
        box["server"] = s
        ready.set()

    threading.Thread(target=serve, args=(sample_data, "127.0.0.1", 0), kwargs={"ready": on_ready, "threads": 4}, daemon=True).start()
    assert ready.wait(180), "server did not start"
    yield f"http://127.0.0.1:{box['server'].effective_port}"
    box["server"].close()


def test_server_serves_pages_with_headers(server):
    with urllib.request.urlopen(server + "/") as r:
        assert r.status == 200 and r.headers["Server"] == "councilkg"
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        assert b"What the data holds" in r.read()
    req = urllib.request.Request(server + "/id/council/E06000019", headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(req) as r:
        assert r.headers.get_content_type() == "text/turtle"
        assert len(Graph().parse(data=r.read(), format="turtle")) > 5
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(server + "/static/../../pyproject.toml")
    assert e.value.code == 404


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_sparqlwrapper_select(server, fmt):
    from SPARQLWrapper import SPARQLWrapper

    sw = SPARQLWrapper(server + "/sparql")
    sw.setQuery("PREFIX ckg: <https://w3id.org/councilkg/ns#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + SELECT)
    sw.setReturnFormat(fmt)
    res = sw.query().convert()
    text = json.dumps(res) if fmt == "json" else res.toxml() if fmt == "xml" else res.decode() if isinstance(res, bytes) else str(res)
    assert "Herefordshire Council" in text


def test_sparqlwrapper_post_construct_and_ask(server):
    from SPARQLWrapper import POST, TURTLE, JSON, SPARQLWrapper

    sw = SPARQLWrapper(server + "/sparql")
    sw.setMethod(POST)
    sw.setQuery(CONSTRUCT)
    sw.setReturnFormat(TURTLE)
    assert len(Graph().parse(data=sw.query().convert(), format="turtle")) >= 3
    sw.setQuery("ASK { ?c a ckg:Council }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True


def test_sparqlwrapper_update_is_refused(server):
    from SPARQLWrapper import POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(server + "/sparql", updateEndpoint=server + "/sparql")
    sw.setMethod(POST)
    sw.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    with pytest.raises(QueryBadFormed):
        sw.query()


def test_server_answers_concurrent_clients(server):
    from concurrent.futures import ThreadPoolExecutor

    paths = ["/", "/api/search?q=agency+staff", "/id/council/E06000019", "/sparql?query=ASK%7B%7D"] * 6

    def get(p):
        with urllib.request.urlopen(server + p, timeout=60) as r:
            return r.status

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(get, paths)) == {200}
