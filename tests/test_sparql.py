"""SPARQL over the export: the research questions in graph/QUERIES.md, results formats, read-only refusal, the cache, and push."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph
from rdflib.compare import isomorphic
from rdflib.query import Result as RdflibResult

from councilkg.graph import push, rdf, sparql, store
from sparql_server import free_port, oxigraph_serve
from councilkg.graph import facts as F
from test_rdf import COUNCILS, HARINGEY, HEREFORDSHIRE, _segment, build_sample, drop_haringey

# A later Herefordshire meeting (written for the test) so the Ofsted queries have minutes after an inadequate judgement.
LATER = ("The Director reported that reliance on agency social workers had risen to 30 per cent since the inspection.\n"
         "Members asked how the council would reduce agency costs while recruiting permanent staff.\n")


def add_later_meeting(data_dir: Path, tmp: Path) -> None:
    path = tmp / "herefordshire_2023-03-06.txt"
    path.write_text(LATER, encoding="utf-8")
    doc = _segment(path, {"council": "Herefordshire Council", "gss_code": HEREFORDSHIRE, "date": "2023-03-06",
                          "committee": "Children and young people scrutiny committee", "title": "Improvement plan"})
    con = store.connect(data_dir)
    con.execute("BEGIN")
    doc_id = store.write_document(con, doc, F.Facts(F.CouncilDecision(HEREFORDSHIRE, "Herefordshire Council", "metadata")),
                                  COUNCILS, "2024-01-01T00:00:00")
    con.executemany("INSERT INTO point_themes(point_id, theme, score, evidence) VALUES (?, 'agency-staff', 0.8, 'agency')",
                    [(r[0],) for r in con.execute("SELECT id FROM points WHERE doc_id=?", (doc_id,))])
    store.set_state(con, "generation", "2")
    con.execute("COMMIT")
    con.close()

QUERIES = Path(__file__).resolve().parents[1] / "graph" / "QUERIES.md"


def research_queries() -> list[tuple[str, str]]:
    text = QUERIES.read_text(encoding="utf-8")
    prologue, *bodies = re.findall(r"```sparql\n(.*?)```", text, re.S)
    titles = re.findall(r"^## (.+)$", text, re.M)
    assert len(titles) == len(bodies) >= 5
    return [(t, prologue + b) for t, b in zip(titles, bodies)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data = build_sample(tmp_path_factory.mktemp("sparql"))
    add_later_meeting(data, tmp_path_factory.mktemp("later"))
    return data


@pytest.mark.parametrize("title,q", research_queries(), ids=lambda x: x[:40] if isinstance(x, str) else None)
def test_research_question_returns_rows(data_dir, title, q):
    res = sparql.query(data_dir, q)
    assert res.kind == "select" and len(res.rows) > 0, title
    graph = rdf.build_graph(store.connect(data_dir, readonly=True))  # rdflib's own engine agrees on the answer
    assert len(list(graph.query(q))) == len(res.rows), title


def test_answers_are_the_facts_in_the_minutes(data_dir):
    (_, judgements), (_, recruitment), (_, practices), *_ = research_queries()
    rows = sparql.query(data_dir, judgements).records()
    assert {(r["council"], r["grade"], r["area"]) for r in rows if r["quote"]} == {  # read from the minutes
        ("Herefordshire Council", "Adequate", None), ("Herefordshire Council", "Good", "quality of service"),
        ("Herefordshire Council", "Good", "outcomes for children")}
    assert ("Herefordshire Council", "2018-06-11", "Requires improvement", None) in {  # and Ofsted's record
        (r["council"], r["date"], r["grade"], r["area"]) for r in rows if not r["quote"]}
    assert {r["council"] for r in sparql.query(data_dir, recruitment).records()} == {"Herefordshire Council"}
    recs = sparql.query(data_dir, practices).records()
    assert {r["council"] for r in recs if r["council"]} >= {"Herefordshire Council", "London Borough of Haringey"}
    golden = [r for r in recs if "golden hello" in r["practice"]]
    assert golden and golden[0]["outcome"].startswith("not clear")
    ask = f'ASK {{ ?i ckg:inspectedCouncil/ckg:gssCode "{HARINGEY}" ; ckg:inspectionType itype:focused-visit }}'
    assert sparql.query(data_dir, ask).boolean is True
    none = (f'ASK {{ ?i ckg:inspectedCouncil/ckg:gssCode "{HEREFORDSHIRE}" ; ckg:inOfficialRecord false ;'
            ' ckg:judgement/ckg:grade grade:inadequate }')
    assert sparql.query(data_dir, none).boolean is False  # no judgement the minutes do not give


def test_ofsted_worked_examples(data_dir):
    queries = dict(research_queries())
    q = lambda prefix: next(v for k, v in queries.items() if k.startswith(prefix))  # noqa: E731
    agency = sparql.query(data_dir, q("9.")).records()
    assert {(r["council"], r["published"], r["meetingDate"]) for r in agency} >= {
        ("Herefordshire Council", "2022-09-21", "2023-03-06"), ("Herefordshire Council", "2012-10-19", "2023-03-06")}
    recovery = sparql.query(data_dir, q("10.")).records()
    assert [(r["council"], r["inadequate"], r["good"], r["months"]) for r in recovery] == [  # publication dates where no start is held
        ("Cambridgeshire County Council", "2012-10-19", "2014-08-08", "22"), ("Herefordshire Council", "2022-07-18", "2025-11-10", "40")]
    discussed = sparql.query(data_dir, q("11.")).records()
    assert any(r["start"] == "2018-06-11" and r["meetingDate"] == "2019-11-25" and "June 2018" in r["quote"] for r in discussed)


def test_results_formats_follow_the_w3c_specs(data_dir):
    _, q = research_queries()[2]
    res = sparql.query(data_dir, q)
    ours = {fmt: res.serialize(fmt) for fmt in sparql.RESULT_FORMATS}
    theirs = {fmt: sparql._as_store(data_dir).query(q, prefixes={p: str(n) for p, n in sparql.PREFIXES.items()},
                                                     use_default_graph_as_union=True)  # the store: one graph per owner
              .serialize(format=getattr(ox.QueryResultsFormat, fmt.upper())) for fmt in ("json", "xml", "csv", "tsv")}
    assert json.loads(ours["json"]) == json.loads(theirs["json"])
    assert list(csv.reader(io.StringIO(ours["csv"].decode()))) == list(csv.reader(io.StringIO(theirs["csv"].decode())))
    assert ours["tsv"].decode().splitlines() == theirs["tsv"].decode().splitlines()
    for fmt in ("json", "xml", "csv"):
        parsed = RdflibResult.parse(io.BytesIO(ours[fmt]), format=fmt)
        assert len(parsed) == len(res.rows), fmt
    table = ours["table"].decode()
    assert "£5k golden hello" in table and f"({len(res.rows)} rows)" in table
    assert json.loads(sparql.query(data_dir, "ASK { ?s a ckg:Council }").serialize("json")) == {"head": {}, "boolean": True}
    construct = sparql.query(data_dir, "CONSTRUCT { ?c ?p ?o } WHERE { ?c a ckg:Council ; ?p ?o }")
    assert construct.kind == "graph" and len(Graph().parse(data=construct.serialize("turtle"), format="turtle")) == len(construct)


def test_updates_and_service_calls_are_refused_and_bad_syntax_is_typed(data_dir):
    for update in ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DELETE WHERE { ?s ?p ?o }", "CLEAR ALL",
                   "LOAD <http://example.org/x.ttl>"):
        with pytest.raises(sparql.UpdateRefused):
            sparql.query(data_dir, update)
    with pytest.raises(sparql.ServiceRefused):
        sparql.query(data_dir, "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }")
    assert len(sparql.query(data_dir, 'SELECT * WHERE { ?s ?p "SERVICE" } # SERVICE in a comment')) == 0
    with pytest.raises(sparql.QueryError) as err:
        sparql.query(data_dir, "SELEC ?x WHERE { ?x ?y ?z }")
    assert type(err.value) is sparql.QueryError and "\n" not in str(err.value)
    assert sparql.query(data_dir, "SELECT (COUNT(*) AS ?n) WHERE { ?s a ckg:Council }").rows[0][0].value == "4"


def test_limit_caps_rows_and_timeout_raises(data_dir):
    res = sparql.query(data_dir, "SELECT ?p WHERE { ?p a ckg:DebatePoint }", limit=7)
    assert len(res.rows) == 7 and res.truncated
    assert "truncated" in res.serialize("table").decode()
    with pytest.raises(sparql.QueryTimeout):
        sparql.query(data_dir, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", timeout=0.05)


def test_store_is_snapshotted_per_generation_and_updated_after_a_change(tmp_path):
    data_dir = build_sample(tmp_path / "d")
    first = sparql.open_store(data_dir)
    assert sparql.open_store(data_dir) is first
    built = list((data_dir / "rdf").glob("snap-*"))
    assert len(built) == 1 and not list((data_dir / "rdf").glob(".build-*"))
    drop_haringey(data_dir)
    second = sparql.open_store(data_dir)
    assert second is not first
    assert sparql.query(second, f'ASK {{ ?c ckg:gssCode "{HARINGEY}" ; ^ckg:council ?m }}').boolean is False
    assert [p.name.split("-")[1] for p in sorted((data_dir / "rdf").glob("snap-*"))] == ["1", "2"]
    graph = sparql.open_graph(data_dir)  # the rdflib face of the same store
    assert len(graph) == len(second) and len(list(graph.query("SELECT ?c WHERE { ?c a ckg:Council }"))) == 4


def test_queries_in_memory_agree_with_the_store_on_disk_and_follow_each_generation(tmp_path):
    data_dir = build_sample(tmp_path / "d")
    mem = sparql.memory_store(data_dir)
    assert sparql.memory_store(data_dir) is mem and mem is not sparql.open_store(data_dir)
    assert len(mem) == len(sparql.open_store(data_dir)) > 0
    canon = lambda res: sorted(tuple(sorted((v or "").split("; ")) for v in r.values()) for r in res.records())  # noqa: E731 - GROUP_CONCAT order is unspecified
    for title, q in research_queries():
        assert canon(sparql.query(mem, q)) == canon(sparql.query(sparql.open_store(data_dir), q)), title
    drop_haringey(data_dir)  # the new generation's changes are replayed into the copy, not served from the old state
    assert sparql.memory_store(data_dir) is mem
    assert sparql.query(mem, f'ASK {{ ?c ckg:gssCode "{HARINGEY}" ; ^ckg:council ?m }}').boolean is False
    assert len(mem) == len(sparql.open_store(data_dir))


@pytest.fixture
def oxigraph_server(tmp_path):
    with oxigraph_serve(tmp_path / "ox") as url:
        yield url


def test_push_to_a_real_graph_store_and_query_it_back(data_dir, oxigraph_server):
    from SPARQLWrapper import JSON, SPARQLWrapper

    n = push.push(data_dir, f"{oxigraph_server}/store", graph_iri="https://w3id.org/councilkg/graph")
    local = rdf.build_graph(store.connect(data_dir, readonly=True))
    assert n == len(local)
    client = SPARQLWrapper(f"{oxigraph_server}/query")
    client.setReturnFormat(JSON)
    client.setQuery("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/councilkg/graph> { ?s ?p ?o } }")
    assert int(client.queryAndConvert()["results"]["bindings"][0]["n"]["value"]) == len(local)
    _, judgements = research_queries()[0]
    client.setQuery(judgements.replace("WHERE {", "WHERE { GRAPH <https://w3id.org/councilkg/graph> {", 1).replace(
        "\n}\nORDER BY", "\n} }\nORDER BY"))
    expected = len(sparql.query(data_dir, judgements).records())  # the minutes' 3 and Ofsted's record's judgements
    assert len(client.queryAndConvert()["results"]["bindings"]) == expected > 3
    assert push.push(local, f"{oxigraph_server}/store") == len(local)  # an rdflib Graph, into the default graph
    from SPARQLWrapper import TURTLE

    client.setReturnFormat(TURTLE)
    client.setQuery("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    back = Graph().parse(data=client.query().response.read(), format="turtle")
    assert isomorphic(back, local)
    with pytest.raises(push.PushError):
        push.push(data_dir, f"http://127.0.0.1:{free_port()}/store")


def test_a_big_graph_is_pushed_in_parts_that_together_replace_it(data_dir, oxigraph_server):
    """A whole push in parts of a few hundred triples (as a 1M-point graph goes in parts of 250,000, which one PUT would
    have the store hold in memory at once) still replaces the graph: afterwards it is the export, nothing of before."""
    import urllib.request

    graph_iri = "https://w3id.org/councilkg/graph/parts"
    target = f"{oxigraph_server}/store?graph={urllib.parse.quote(graph_iri, safe='')}"
    stale = b"<https://example.org/stale> <https://example.org/p> \"left from before\" .\n"
    urllib.request.urlopen(urllib.request.Request(target, data=stale, method="PUT",
                                                  headers={"Content-Type": "application/n-triples"}))
    local = rdf.build_graph(store.connect(data_dir, readonly=True))
    assert len(local) > 4 * 300
    assert push.push(data_dir, f"{oxigraph_server}/store", graph_iri=graph_iri, chunk=300) == len(local)
    with urllib.request.urlopen(urllib.request.Request(target, headers={"Accept": "application/n-triples"})) as resp:
        back = Graph().parse(data=resp.read(), format="nt")
    assert isomorphic(back, local)
    assert not any(isinstance(t, BNode) for triple in local for t in triple)  # parts never split a blank node
