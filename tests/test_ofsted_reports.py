"""Ofsted inspection reports read as reports (issue 20 parts 5-6): the template's dates, judgement table and
recommendations, the paragraphs as findings, and the follow-up links to the council's later minutes."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from conftest import SAMPLE, SHARED, need
from councilkg.corpus.discover import discover
from councilkg.corpus.ofsted import date_range
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph.extract import extract

REPORTS = SHARED / "data" / "ofsted" / "reports"
HEREFORD_2018 = REPORTS / "80474_herefordshire_2018-07-23.pdf"
CKG = "https://w3id.org/councilkg/ns#"


def _doc(path: Path):
    need(path)
    return segment(read(next(iter(discover([str(path)])))))


@pytest.mark.parametrize("text, start, end", [
    ("11 June 2018 to 22 June 2018", date(2018, 6, 11), date(2018, 6, 22)),
    ("18 to 29 July 2022", date(2022, 7, 18), date(2022, 7, 29)),
    ("29 April 2014 – 21 May 2014", date(2014, 4, 29), date(2014, 5, 21)),
    ("27 February to 23 March 2017", date(2017, 2, 27), date(2017, 3, 23)),
    ("15 – 19 July 2013", date(2013, 7, 15), date(2013, 7, 19)),
    ("28 December 2020 to 8 January 2021", date(2020, 12, 28), date(2021, 1, 8)),
    ("30 September to 11 October 2024 and 13 to 16 January 2025", date(2024, 9, 30), date(2025, 1, 16)),
    ("sometime in the spring", None, None),
])
def test_inspection_dates_as_ofsted_writes_them(text, start, end):
    assert date_range(text) == (start, end)


def test_an_ilacs_report_is_read_by_its_template_not_as_minutes():
    doc = _doc(HEREFORD_2018)
    assert doc.raw.fmt == "ofsted-report"
    facts = extract(doc)
    assert (facts.council.gss, facts.council.name) == ("E06000019", "Herefordshire Council")
    (ins,) = facts.inspections
    assert (ins.inspectorate, ins.type, ins.date, ins.end_date) == ("Ofsted", "ilacs", "2018-06-11", "2018-06-22")
    grades = {j.area: j.grade for j in ins.judgements}
    assert grades == {None: "requires-improvement", "impact of leaders": "inadequate",
                      "help and protection": "requires-improvement", "children in care and care leavers": "requires-improvement"}
    assert len(ins.recommendations) == 7
    assert ins.recommendations[1].text.startswith("The sufficiency of social workers and managers with capacity")
    assert all(r.evidence.item_seq == 1 and r.evidence.quote == r.text for r in ins.recommendations)
    # the numbered paragraphs are points under their judgement headings, none of them the table or a recommendation
    finding_items = [it for it in doc.items if it.points]
    assert any(it.title.startswith("The experiences and progress of children who need help") for it in finding_items)
    texts = [p.text for it in doc.items for p in it.points]
    assert len(texts) > 50 and not any(t.startswith("The sufficiency of social workers") for t in texts)


def test_a_sif_report_reads_its_own_table_dates_and_numbered_recommendations():
    doc = _doc(REPORTS / "80474_herefordshire_2014-06-30.pdf")
    (ins,) = extract(doc).inspections
    assert (ins.type, ins.date, ins.end_date, ins.published) == ("sif", "2014-04-29", "2014-05-21", "2014-06-30")
    grades = {j.area: j.grade for j in ins.judgements}
    assert grades[None] == "requires-improvement" and grades["adoption performance"] == "good"
    assert len(ins.recommendations) == 28  # 17 to 44 under "Areas for improvement", counted by hand
    assert ins.recommendations[0].text.startswith("Ensure that caseloads in children in need")


def test_hand_counted_recommendations_are_read_exactly():
    counts = json.loads((Path(__file__).parent / "gold" / "ofsted_recommendations.json").read_text())
    for name in ("80476_kent_2013-08-23.pdf", "80484_lincolnshire_2015-01-06.pdf", "80471_halton_2024-07-12.pdf"):
        (ins,) = extract(_doc(REPORTS / name)).inspections
        assert len(ins.recommendations) == counts[name], name


def test_minutes_pdfs_stay_minutes():
    kent = need(SHARED / "data" / "kent-pdf")
    src = next(iter(discover([str(kent)])))
    assert read(src).fmt == "pdf"


@pytest.fixture(scope="module")
def with_report(tmp_path_factory) -> Path:
    """The seeds and Herefordshire's 2018 report in one data directory."""
    from councilkg.embed.pipeline import ingest

    need(HEREFORD_2018)
    data = tmp_path_factory.mktemp("ofsted-report")
    report = ingest([str(SAMPLE), str(HEREFORD_2018)], data)
    assert report.ingested == 6 and not report.failed, report
    return data


def test_the_report_is_in_the_graph_with_its_recommendations_and_findings(with_report):
    from councilkg.graph import rdf, store

    con = store.connect(with_report, readonly=True)
    g = Graph().parse(data="".join(rdf.data_ntriples(con)), format="nt")
    recs = set(g.subjects(RDF.type, URIRef(CKG + "Recommendation")))
    assert len(recs) == 7
    (ins,) = set(g.subjects(URIRef(CKG + "recommendation"), None))
    assert "/inspection/ofsted-" in str(ins)  # the report's inspection is Ofsted's own event, not a second one
    june = [s for s in g.subjects(RDF.type, URIRef(CKG + "Inspection"))
            if str(g.value(s, URIRef(CKG + "inspectionDate"))).startswith("2018-06")
            and str(g.value(s, URIRef(CKG + "inspectedCouncil"))).endswith("E06000019")]
    assert june == [ins]
    assert str(g.value(ins, URIRef(CKG + "inspectionEndDate"))) == "2018-06-22"
    # the report states no publication day: its recommendations count from Ofsted's record's (2018-07-23), not the last
    # inspection day, so a meeting between the two is not taken for the council's answer to a report it did not yet have
    assert {r for (r,) in con.execute("SELECT after FROM recommendations")} == {"2018-07-23"}
    findings = set(g.subjects(RDF.type, URIRef(CKG + "InspectionFinding")))
    n = con.execute("SELECT count(*) FROM points p JOIN documents d ON d.id = p.doc_id WHERE d.fmt = 'ofsted-report'").fetchone()[0]
    assert len(findings) == n > 50
    assert all((f, RDF.type, URIRef(CKG + "DebatePoint")) in g for f in findings)


def test_follow_ups_stay_in_the_council_and_after_the_report(with_report):
    """The shipped scorer links nothing unless it reached the precision asked; a scorer that links every candidate
    links only Herefordshire's later minutes, never the report's own findings."""
    from dataclasses import replace

    from councilkg.embed import followup
    from councilkg.graph import followup_model, store

    con = store.connect(with_report)
    shipped = followup_model.model()
    made = con.execute("SELECT count(*) FROM followups").fetchone()[0]
    assert shipped.trusted or made == 0
    model = store.get_state(con, "model")
    docs = [r[0] for r in con.execute("SELECT id FROM documents")]
    con.execute("DELETE FROM followups")
    followup.link(con, with_report, model, docs, scorer=replace(shipped, threshold=0.0))
    rows = con.execute(
        "SELECT r.text, m.council_id, m.date, d.fmt FROM followups f JOIN recommendations r ON r.id = f.recommendation_id"
        " JOIN points p ON p.id = f.point_id JOIN documents d ON d.id = p.doc_id JOIN meetings m ON m.id = d.meeting_id").fetchall()
    assert rows
    assert all(c == "E06000019" and day > "2018-07-23" and fmt != "ofsted-report" for _, c, day, fmt in rows)
    assert any(t.startswith("The sufficiency of social workers") and day == "2019-11-25" for t, _, day, _ in rows)


def test_search_hits_say_which_are_findings_and_what_they_answer(with_report):
    from councilkg.embed.search import Searcher

    s = Searcher(with_report)
    got = s.search("recruitment of social workers", k=20, council="Herefordshire")
    assert any(h.get("finding") for h in got["hits"])
    linked = sqlite3.connect(with_report / "councilkg.sqlite").execute("SELECT point_id FROM followups").fetchall()
    for h in got["hits"]:
        assert ("answers" in h) == ((h["id"],) in linked)


def test_the_inspection_page_has_the_follow_up_table(with_report):
    from councilkg.web.app import create_app

    con = sqlite3.connect(with_report / "councilkg.sqlite")
    (iid,) = con.execute("SELECT id FROM inspections WHERE end_date = '2018-06-22'").fetchone()
    linked = con.execute("SELECT count(DISTINCT recommendation_id) FROM followups").fetchone()[0]
    html = create_app(with_report).test_client().get(f"/id/inspection/{iid}").get_data(as_text=True)
    assert "What the council did next" in html and "The sufficiency of social workers" in html
    assert html.count("not found in the minutes held") == 7 - linked
    assert "Ended" in html  # the report resolved to Ofsted's event: its page is the event's
