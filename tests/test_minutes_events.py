"""An inspection Ofsted's record lacks is one ckg:Inspection however many documents name it (graph/minutes_events.py):
Kent's CQC assurance visit, named in the agenda item and in the PDF of the same Cabinet meeting, is one event."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib.namespace import PROV

from conftest import KENT_ITEMS, KENT_PDF, SHARED, need
from councilkg.corpus.discover import discover
from councilkg.corpus.model import shown_path
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph import facts as F
from councilkg.graph import minutes_events, rdf, store
from councilkg.graph.councils import gazetteer
from councilkg.graph.extract import extract
from councilkg.graph.vocab import CKG, ID

KENT = "E10000016"
ITEM = "kent_2025-01-30_cabinet_item07.txt"  # "The recent assurance visit in Kent underscored the importance of this alignment."
PDF = "Printed_minutes_30th-Jan-2025_10.00_Cabinet.pdf"  # the same meeting's minutes, the same sentence


def write(data_dir: Path, paths: list[Path] = (), drop: list[Path] = ()) -> None:
    """One generation, as an ingest writes it: these files read, segmented and extracted for real; `drop`'s documents deleted."""
    con = store.connect(data_dir)
    con.execute("BEGIN")
    for path in drop:
        store.delete_document(con, store.document_id(shown_path(path.resolve())))
    for found in discover([str(p) for p in paths]):
        doc = segment(read(found))
        store.write_document(con, doc, extract(doc), gazetteer(), "2024-01-01T00:00:00")
    store.set_state(con, "generation", str(int(store.get_state(con, "generation", "0")) + 1))
    con.execute("COMMIT")
    con.close()


def kent_events(data_dir: Path) -> list[tuple]:
    """(event id, its mentions' documents' file names) of every minutes-derived event of Kent."""
    con = store.connect(data_dir, readonly=True)
    rows = con.execute("SELECT e.id, group_concat(d.path_key, '|') FROM minutes_events e JOIN inspections i ON i.minutes_event = e.id "
                       "JOIN documents d ON d.id = i.doc_id WHERE e.council_id = ? GROUP BY e.id", (KENT,)).fetchall()
    con.close()
    return [(eid, sorted(Path(p).name for p in paths.split("|"))) for eid, paths in rows]


@pytest.fixture(scope="module")
def kent(tmp_path_factory) -> Path:
    """The seeds, every Kent agenda item and every Kent minutes PDF, in one data directory."""
    data = tmp_path_factory.mktemp("kent") / "data"
    write(data, [need(SHARED / "seeds"), need(KENT_ITEMS), need(KENT_PDF)])
    return data


def test_the_assurance_visit_in_the_items_and_the_pdf_of_one_meeting_is_one_inspection(kent):
    ((eid, docs),) = kent_events(kent)
    assert docs == [PDF, ITEM]
    con = store.connect(kent, readonly=True)
    g = rdf.build_graph(con)
    con.close()
    found = [i for i in g.subjects(CKG.inspectedCouncil, ID[f"council/{KENT}"]) if (i, CKG.inOfficialRecord, None) in g
             and str(g.value(i, CKG.inspectionType)).endswith("/asc-assessment")]
    assert found == [ID[f"inspection/{eid}"]] and str(g.value(found[0], CKG.inspectorate)) == "CQC"
    event = found[0]
    discussed = {str(g.value(g.value(p, CKG.agendaItem) or p, CKG.document)) for p in g.objects(event, CKG.discussedIn)}
    assert len(discussed) == 2  # a point of each document
    mentions = list(g.subjects(CKG.recordEvent, event))
    assert len(mentions) == 2
    for m in mentions:  # each keeps its quote and the point it was read from
        assert "The recent assurance visit in Kent" in str(g.value(m, CKG.quote))
        assert str(g.value(m, CKG.quote)) in str(g.value(g.value(m, PROV.wasDerivedFrom), CKG.text)).replace("\n", " ")


def test_minutes_that_name_no_inspection_yield_none(kent):
    con = store.connect(kent, readonly=True)
    named = {Path(p).name for (p,) in con.execute("SELECT DISTINCT d.path_key FROM inspections i JOIN documents d ON d.id = i.doc_id "
                                                  "WHERE d.path_key LIKE '%kent%'")}
    held = con.execute("SELECT count(*) FROM documents WHERE path_key LIKE '%kent%'").fetchone()[0]
    events = con.execute("SELECT count(*) FROM minutes_events WHERE id NOT IN (SELECT minutes_event FROM inspections "
                         "WHERE minutes_event IS NOT NULL)").fetchone()[0]
    con.close()
    assert held == 51 and named == {ITEM, PDF}  # of 43 items and 8 PDFs, only the two naming the visit
    assert events == 0  # no event without a mention


def test_the_inspection_s_page_shows_what_each_mention_says(kent):
    from councilkg.web.app import create_app

    ((eid, _),) = kent_events(kent)
    client = create_app(kent).test_client()
    page = client.get(f"/id/inspection/{eid}").get_data(as_text=True)
    assert page.count("The recent assurance visit in Kent") == 2 and page.count("/id/point/") >= 2
    con = store.connect(kent, readonly=True)
    (mention,) = con.execute("SELECT id FROM inspections WHERE minutes_event = ? LIMIT 1", (eid,)).fetchone()
    con.close()
    old = client.get(f"/id/inspection/{mention}").get_data(as_text=True)  # a mention's old IRI shows the event
    assert old.replace(mention, eid) == page
    assert "<dt>In Ofsted&#39;s record</dt><dd>no</dd>" in page


def _mention(quote: str, date: str | None = None, precision: str | None = None, status: str = "happened") -> F.Inspection:
    return F.Inspection("Ofsted", "fostering", date, precision, status, F.Evidence(0, 0, quote))


def test_what_the_words_tie_a_mention_to_decides_which_mentions_share_an_event():
    recent = _mention("The recent fostering inspection went well.")
    assert minutes_events.key(KENT, recent, "m1", "2025-01-30") != minutes_events.key(KENT, recent, "m2", "2025-03-13")
    assert minutes_events.key(None, recent, "m1", "2025-01-30") is None  # no council: it stays an inspection of its own
    last_year = _mention("Members noted last year's fostering inspection.")
    a, b = (minutes_events.key(KENT, last_year, m, on) for m, on in (("m1", "2025-01-30"), ("m2", "2025-06-12")))
    assert a == b and a[4:6] == ("2024", "year")
    assert a == minutes_events.key(KENT, _mention("The fostering inspection in 2024.", "2024", "year"), "m3", "2025-02-01")
    autumn = minutes_events.key(KENT, _mention("The fostering inspection in the autumn was positive."), "m1", "2024-12-01")
    spring = minutes_events.key(KENT, _mention("The fostering inspection in the spring was positive."), "m2", "2024-12-01")
    assert autumn[4] == spring[4] == "2024" and autumn != spring
    june = _mention("The fostering inspection in June 2024.", "2024-06", "month")
    assert minutes_events.key(KENT, june, "m1", "2024-09-01") == minutes_events.key(KENT, june, "m2", "2025-01-01")
    expected = _mention("A fostering inspection is expected.", status="expected")
    assert minutes_events.key(KENT, expected, "m1", "2025-01-30") != minutes_events.key(KENT, recent, "m1", "2025-01-30")
