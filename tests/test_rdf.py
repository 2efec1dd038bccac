"""The RDF export: contract terms, ontology coverage, SHACL conformance, round-trips and escaping.

build_sample() writes the shipped sample corpus with hand-checked facts (quotes verified against the text)
straight through store.write_document, so these tests (and test_sparql, test_kg) need no extractor."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD

from councilkg.corpus.model import Action, AgendaItem, DebatePoint, Document, RawDocument, SourceFile
from councilkg.graph import facts as F
from councilkg.graph import push, rdf, store
from councilkg.graph.vocab import CKG, ID, terms

SAMPLE = Path(__file__).resolve().parents[1] / "corpus" / "sample"
HEREFORDSHIRE, HARINGEY, LINCOLNSHIRE, CAMBRIDGESHIRE = "E06000019", "E09000014", "E10000019", "E10000003"
COUNCILS = {
    HEREFORDSHIRE: {"name": "Herefordshire Council", "type": "unitary", "region": "West Midlands"},
    HARINGEY: {"name": "London Borough of Haringey", "type": "london-borough", "region": "London"},
    LINCOLNSHIRE: {"name": "Lincolnshire County Council", "type": "county", "region": "East Midlands"},
    CAMBRIDGESHIRE: {"name": "Cambridgeshire County Council", "type": "county", "region": "East of England"},
}


def _segment(path: Path, meta: dict) -> Document:
    """One item per file, one debate point per non-empty paragraph; resolution lines become actions."""
    paras = [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    item = AgendaItem(title=meta.get("title") or path.stem, number=meta.get("item") or None, text="\n".join(paras))
    item.points = [DebatePoint(text=p, kind="bullet" if p.startswith("·") else "paragraph", seq=n) for n, p in enumerate(paras)]
    raw = RawDocument(SourceFile(path, f"corpus/sample/{path.name}", {}), "\n".join(paras), "text",
                      {k: v for k, v in meta.items() if v and k != "file"}, sha256=path.name)
    return Document(raw=raw, items=[item])


def _ev(doc: Document, quote: str) -> F.Evidence:
    """Evidence at the point whose text holds the quote (the quote must really be there)."""
    for p in doc.items[0].points:
        if quote in p.text:
            return F.Evidence(0, p.seq, quote)
    raise AssertionError(f"quote not in {doc.raw.source.path.name}: {quote}")


def _facts(name: str, doc: Document) -> F.Facts:
    meta = doc.meta
    council = (F.CouncilDecision(meta["gss_code"], meta["council"], "metadata") if meta.get("gss_code")
               else F.CouncilDecision(None, None, "unknown"))
    f = F.Facts(council=council)
    ev = lambda q: _ev(doc, q)  # noqa: E731
    rec = "workforce-recruitment"
    if name.startswith("000"):
        f.inspections.append(F.Inspection("Ofsted", "ilacs", "2018-06", "month", "happened",
                                          ev("(ILACS) inspection judgement of June 2018")))
        f.practices.append(F.Practice("social work academy", "arrangement", [rec], None, ev("three posts in the social work academy")))
    elif name.startswith("001"):
        f.inspections += [
            F.Inspection("Ofsted", "monitoring-visit", None, None, "happened", ev("Ofsted monitoring visit, which took place on October 31")),
            F.Inspection("Ofsted", "ilacs", "2021", "year", "happened", ev("ILACS inspection at the end of 2021")),
            F.Inspection("Ofsted", "ilacs", None, None, "expected", ev("expects a full inspection within four to six months")),
        ]
        f.practices += [
            F.Practice("recruitment partner", "arrangement", [rec], None, ev("engaging a recruitment partner")),
            F.Practice("apprenticeship programme", "initiative", [rec], None, ev("strong apprenticeship program")),
        ]
        f.action_owners[(0, 1)] = "Divisional Commander"
    elif name.startswith("002"):
        f.inspections.append(F.Inspection("Ofsted", "focused-visit", None, None, "happened", ev("updates from the Ofsted Focused Visit")))
        f.practices.append(F.Practice("social workers recruited from South Africa", "arrangement", [rec], None,
                                      ev("14 social workers had been recruited from South Africa")))
    elif name.startswith("003"):
        fostering = F.Inspection("Ofsted", "fostering", None, None, "happened", ev("Fostering Inspection Report"))
        both = ev("Quality of service and outcomes for children were both judged to be good")
        fostering.judgements = [
            F.Judgement("adequate", None, ev("the judgement overall was that it was adequate")),
            F.Judgement("good", "quality of service", both),
            F.Judgement("good", "outcomes for children", both),
        ]
        f.inspections += [F.Inspection("Ofsted", "safeguarding-cp", "2012", "year", "happened",
                                       ev("Ofsted inspection of local authority arrangements for the protection of children in autumn 2012")),
                          fostering]
        f.interventions.append(F.Intervention("improvement-notice", "Department for Education", None, ev("had received an Improvement Notice")))
        f.practices.append(F.Practice("£5k golden hello", "incentive", [rec], "not clear that it had been successful in attracting staff",
                                      ev("£5k ‘Golden Hello’ initiative"),
                                      ev("it was not clear that the £5k ‘Golden Hello’ initiative had been successful")))
        f.mentions.append(F.Mention(CAMBRIDGESHIRE, "Cambridgeshire", ev("Cambridgeshire had issued social workers with iPads")))
    return f


def _themes(con, doc_id: str) -> None:
    """Keyword themes with evidence, enough to give councils theme profiles."""
    keywords = {"workforce-recruitment": "recruit", "exploitation": "exploitation", "caseloads": "caseload",
                "front-door": "MASH", "inspection-improvement": "Ofsted"}
    for pid, text in con.execute("SELECT id, text FROM points WHERE doc_id=?", (doc_id,)).fetchall():
        for theme, word in keywords.items():
            if word.lower() in text.lower():
                con.execute("INSERT INTO point_themes(point_id, theme, score, evidence) VALUES (?,?,?,?)", (pid, theme, 0.8, word))
    con.execute("INSERT INTO item_themes(item_id, theme, score, evidence) SELECT DISTINCT p.item_id, t.theme, 0.7, 'points' "
                "FROM point_themes t JOIN points p ON p.id = t.point_id WHERE p.doc_id=?", (doc_id,))


def build_sample(data_dir: Path) -> Path:
    """Write the five sample documents with their facts into a fresh data directory."""
    with open(SAMPLE / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    con = store.connect(data_dir)
    con.execute("BEGIN")
    for row in rows:
        doc = _segment(SAMPLE / row["file"], row)
        if row["file"].startswith("001"):
            doc.items[0].actions = [Action("The report be noted", "agreed", None, 0),
                                    Action("Divisional Commander to attend the committee to provide an update", "agreed", None, 1)]
        doc_id = store.write_document(con, doc, _facts(row["file"], doc), COUNCILS, "2024-01-01T00:00:00")
        _themes(con, doc_id)
    store.set_state(con, "generation", "1")
    con.execute("COMMIT")
    con.close()
    return data_dir


def drop_haringey(data_dir: Path) -> None:
    """Delete Haringey's minutes as a re-ingest would, and move to the next generation."""
    con = store.connect(data_dir)
    (doc_id,) = con.execute("SELECT id FROM documents WHERE source LIKE '%002_%'").fetchone()
    store.delete_document(con, doc_id)
    store.set_state(con, "generation", str(int(store.get_state(con, "generation", "0")) + 1))
    con.close()


DATA = Path(__file__).resolve().parents[1] / "graph" / "data"
GRADE, ITYPE = Namespace(f"{ID}grade/"), Namespace(f"{ID}inspection-type/")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return build_sample(tmp_path_factory.mktemp("rdf"))


@pytest.fixture(scope="module")
def graph(data_dir):
    con = store.connect(data_dir, readonly=True)
    yield rdf.build_graph(con)
    con.close()


def council(gss: str) -> URIRef:
    return URIRef(f"{ID}council/{gss}")


def test_every_ckg_term_in_the_export_is_in_vocab_and_ontology_declares_exactly_vocab(data_dir):
    con = store.connect(data_dir, readonly=True)
    data = Graph().parse(data="".join(rdf.data_ntriples(con)), format="nt")
    used = {t for triple in data for t in triple if isinstance(t, URIRef) and str(t).startswith(CKG._NS)}
    assert used and used <= terms(), used - terms()
    onto = Graph().parse(DATA / "ontology.ttl")
    declared = {s for s in onto.subjects(RDFS.label, None) if str(s).startswith(CKG._NS)}
    assert declared == terms(), (declared ^ terms())
    for t in declared:
        assert onto.value(t, RDFS.comment), t
    with pytest.raises(AttributeError):
        CKG.inspectionDte  # noqa: B018  (a typo fails instead of minting a term)


def test_contract_terms_answer_the_done_when_questions(graph):
    hereford = council(HEREFORDSHIRE)
    assert (hereford, CKG.gssCode, Literal(HEREFORDSHIRE)) in graph
    assert (hereford, OWL.sameAs, URIRef(f"http://statistics.data.gov.uk/id/statistical-geography/{HEREFORDSHIRE}")) in graph
    ilacs = {str(graph.value(i, CKG.inspectionDate)): i for i in graph.subjects(CKG.inspectedCouncil, hereford)
             if (i, CKG.inspectionType, ITYPE.ilacs) in graph}
    assert {"2018-06-11", "2022-07-18"} <= set(ilacs) and "2018-06" not in ilacs  # Ofsted's events; no second June 2018 one
    june = ilacs["2018-06-11"]
    assert june == URIRef(f"{ID}inspection/ofsted-ilacs-{HEREFORDSHIRE}-2018-06-11")
    assert (june, CKG.inOfficialRecord, Literal(True)) in graph
    assert graph.value(june, CKG.inspectionEndDate) == Literal("2018-06-22", datatype=XSD.date)
    assert graph.value(june, DCTERMS.issued) == Literal("2018-07-23", datatype=XSD.date)
    assert str(graph.value(june, DCTERMS.source)).startswith("https://files.ofsted.gov.uk/")
    overall = {str(graph.value(j, CKG.grade)).rsplit("/", 1)[1] for j in graph.objects(june, CKG.judgement) if not graph.value(j, CKG.judgementArea)}
    assert overall == {"requires-improvement"}
    later = {str(graph.value(j, CKG.grade)).rsplit("/", 1)[1] for j in graph.objects(ilacs["2022-07-18"], CKG.judgement)}
    assert later == {"inadequate"}
    discussed = [str(graph.value(p, CKG.text)) for p in graph.objects(june, CKG.discussedIn)]
    assert any("June 2018" in t for t in discussed), discussed
    fostering = next(graph.subjects(CKG.inspectionType, ITYPE.fostering))
    grades = sorted((str(graph.value(j, CKG.grade)).rsplit("/", 1)[1], str(graph.value(j, CKG.judgementArea) or ""))
                    for j in graph.objects(fostering, CKG.judgement))
    assert grades == [("adequate", ""), ("good", "outcomes for children"), ("good", "quality of service")]
    monitoring = next(graph.subjects(CKG.inspectionType, ITYPE["monitoring-visit"]))
    assert graph.value(monitoring, CKG.inspectedCouncil) is None
    point = graph.value(monitoring, PROV.wasDerivedFrom)
    meeting = graph.value(graph.value(point, CKG.agendaItem), CKG.meeting)
    assert graph.value(meeting, CKG.council) is None and str(graph.value(meeting, CKG.councilMethod)) == "unknown"
    haringey = council(HARINGEY)
    assert any((i, CKG.inspectionType, ITYPE["focused-visit"]) in graph for i in graph.subjects(CKG.inspectedCouncil, haringey))
    assert graph.value(None, CKG.mentions, council(CAMBRIDGESHIRE)) is not None


def test_dates_are_typed_and_texts_verbatim(graph, data_dir):
    con = store.connect(data_dir, readonly=True)
    dates = {str(m).rsplit("/", 1)[1]: d for m, d in graph.subject_objects(DCTERMS.date)}
    assert dates and all(d.datatype == XSD.date for d in dates.values())
    assert Literal("2019-11-25", datatype=XSD.date) in dates.values()
    assert {XSD.date} <= {d.datatype for d in graph.objects(None, CKG.inspectionDate)} <= {XSD.date, XSD.gYearMonth, XSD.gYear}
    for pid, text in con.execute("SELECT id, text FROM points"):
        assert graph.value(URIRef(f"{ID}point/{pid}"), CKG.text) == Literal(text)
    assert (None, CKG.actionOwner, Literal("Divisional Commander")) in graph


def test_lead_ins_travel_with_their_points_and_actions(sample_data):
    """A listed point means little without what it answers ("In response to questions, it was noted that:")."""
    con = store.connect(sample_data, readonly=True)
    graph = rdf.build_graph(con)
    leads = 0
    for table, kind in (("points", "point"), ("actions", "action")):
        for pid, lead in con.execute(f"SELECT id, context FROM {table}"):
            assert graph.value(URIRef(f"{ID}{kind}/{pid}"), CKG.leadIn) == (Literal(lead) if lead else None)
            leads += bool(lead)
    assert leads >= 5


def test_every_extracted_fact_points_at_its_evidence(graph):
    facts = [s for cls in (CKG.Inspection, CKG.Judgement, CKG.Intervention, CKG.Practice) for s in graph.subjects(RDF.type, cls)
             if (s, CKG.inOfficialRecord, Literal(True)) not in graph]  # Ofsted's record cites its report instead
    linked = len(set(graph.subjects(CKG.discussedIn, None)))  # Ofsted's two events and the two only the minutes name
    assert (len(facts), linked) == (7 + 3 + 1 + 5 - 2, 4), (len(facts), linked)
    shared = [s for s in facts if (None, CKG.recordEvent, s) in graph]  # one the record lacks: evidenced by its mentions
    assert len(shared) == 2
    for s in facts:
        for m in graph.subjects(CKG.recordEvent, s) if s in shared else [s]:
            ev = graph.value(m, PROV.wasDerivedFrom)
            assert (ev, RDF.type, CKG.DebatePoint) in graph
            assert str(graph.value(m, CKG.quote)) in str(graph.value(ev, CKG.text))


def test_export_conforms_to_the_shapes_and_a_broken_graph_does_not(graph):
    shapes = Graph().parse(DATA / "shapes.ttl")
    conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text
    broken = Graph()
    for t in graph:
        broken.add(t)
    point = next(graph.subjects(RDF.type, CKG.DebatePoint))
    judgement = next(graph.subjects(RDF.type, CKG.Judgement))
    inspection = next(graph.subjects(CKG.inspectionDate, None))
    broken.remove((point, CKG.text, None))
    broken.set((judgement, CKG.grade, URIRef(f"{ID}grade/excellent")))
    broken.set((inspection, CKG.inspectionDate, Literal("June 2018")))
    conforms, report, _ = pyshacl.validate(broken, shacl_graph=shapes, inference="none")
    assert not conforms
    focus = {o for o in report.objects(None, URIRef("http://www.w3.org/ns/shacl#focusNode"))}
    assert {point, judgement, inspection} <= focus


@pytest.mark.parametrize("fmt", sorted(rdf.FORMATS))
def test_round_trip(graph, fmt):
    parsed = Graph().parse(data=rdf.serialize(graph, fmt), format=rdf.FORMATS[fmt][0])
    assert len(parsed) == len(graph) and isomorphic(parsed, graph)


@pytest.mark.parametrize("fmt", sorted(rdf.FORMATS))
def test_streaming_export_matches_the_graph(graph, data_dir, fmt):
    buf = io.BytesIO()
    n = push.export(data_dir, fmt, buf)
    parsed = Graph().parse(data=buf.getvalue(), format=rdf.FORMATS[fmt][0])
    assert n == len(graph) and isomorphic(parsed, graph)


def test_awkward_text_survives_every_format(tmp_path):
    body = 'Quote "golden hello" \\ back\\slash\ttab\x0cform-feed \u2028 and <script>alert(1)</script> — £5k'
    doc = Document(RawDocument(SourceFile(tmp_path / "x.txt", "x.txt", {}), body, "text", {"source_url": "not a url"}, "x"),
                   [AgendaItem("Odd", None, body, points=[DebatePoint(body)])])
    con = store.connect(tmp_path)
    store.write_document(con, doc, F.Facts(F.CouncilDecision(None, None, "unknown")), {}, "now")
    g = rdf.build_graph(con)
    assert (None, CKG.text, Literal(body)) in g
    assert (None, DCTERMS.source, None) not in g  # a source that is not an IRI is not minted into one
    for fmt in rdf.FORMATS:
        again = Graph().parse(data=rdf.serialize(g, fmt), format=rdf.FORMATS[fmt][0])
        assert (None, CKG.text, Literal(body)) in again, fmt
    store_ = ox.Store()
    store_.load(push_bytes(con), format=ox.RdfFormat.N_TRIPLES)
    assert any(q.object.value == body for q in store_.quads_for_pattern(None, ox.NamedNode(str(CKG.text)), None))


def push_bytes(con) -> bytes:
    buf = io.BytesIO()
    push.export(con, "nt", buf)
    return buf.getvalue()


@pytest.mark.parametrize("value,precision,expected", [
    ("2018-06", "month", Literal("2018-06", datatype=XSD.gYearMonth)),
    ("2018-06-05", "day", Literal("2018-06-05", datatype=XSD.date)),
    ("2018-06-05", "month", Literal("2018-06", datatype=XSD.gYearMonth)),
    ("2012", "year", Literal("2012", datatype=XSD.gYear)),
    ("2012-01", "year", Literal("2012", datatype=XSD.gYear)),
    ("2018-13", "month", None), ("2018-02-30", "day", None), ("autumn 2012", None, None), (None, None, None),
])
def test_date_literal_keeps_the_precision_the_text_gives(value, precision, expected):
    from councilkg.graph.vocab import date_literal

    got = date_literal(value, precision)
    assert (None if got is None else Graph().parse(data=f"<a:s> <a:p> {got} .", format="nt").value(URIRef("a:s"), URIRef("a:p"))) == expected
