"""The heading read as text: wraps, markup and escapes; the held-on date by a date parser; councils of every kind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import RDFS, URIRef

from councilkg.corpus.dates import candidates, meeting_date
from councilkg.corpus.heading import meeting_meta
from councilkg.corpus.heading_text import region
from councilkg.corpus.model import Document, SourceFile
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph import store
from councilkg.graph.extract import decide_council, extract
from councilkg.graph.heading_body import definitions, read_body
from councilkg.graph.rdf import build_graph
from councilkg.graph.vocab import CKG

MINUTES = Path(__file__).parent / "reading"


def test_wrapped_heading_with_blank_lines_is_one_paragraph():
    text = ("MINUTES OF PROCEEDINGS AT MEETING OF LIMERICK CITY AND\n\nCOUNTY\n\nCOUNCIL\n\nHELD\n\nIN THE COUNCIL CHAMBER,\n\n"
            "DOORADOYLE, LIMERICK, ON MONDAY, 27TH NOVEMBER, 2023, AT\n\n3.00 P.M.\n\nPRESENT IN THE CHAIR: Mayor.\n")
    (para,) = region(text).paragraphs
    assert para.startswith("MINUTES OF PROCEEDINGS AT MEETING OF LIMERICK CITY AND COUNTY COUNCIL HELD IN THE COUNCIL CHAMBER")
    assert meeting_meta(text) == {"committee": "Council", "committee_method": "text:heading", "date": "2023-11-27",
                                  "date_method": "text:heading"}


def test_markup_escapes_and_furniture_dropped():
    text = ("[Original file](https://example.org/a.pdf)\n\n---\n*<small>Scanned page, text may contain errors</small>*\n\n"
            "**MINUTES OF THE MEETING OF THE MUNICIPAL DISTRICT OF ADARE-**\n\n**RATHKEALE HELD ON TUESDAY** **8TH** "
            "**MARCH 2016**\n\n- 2 -\n\n1\\. Apologies\n")
    assert region(text).paragraphs == ["MINUTES OF THE MEETING OF THE MUNICIPAL DISTRICT OF ADARE-RATHKEALE HELD ON "
                                       "TUESDAY 8TH MARCH 2016"]


@pytest.mark.parametrize("heading,want", [
    ("Minutes of X Parish Council Meeting held in the Community Centre\n\nAt 7.30pm on Wednesday 24 October 2007",
     ("2007-10-24", "text:heading")),
    # the weekday must agree: Tuesday 24 October 2007 is no day
    ("Minutes of the meeting held on Tuesday 24 October 2007", None),
    ("Published 2 March 2016\n\nMinutes of the meeting of the Council held on Tuesday 8 March 2016", ("2016-03-08", "text:heading")),
    ("Minutes of the Full Council held on 5 May 2021. Next meeting: Wednesday 2 June 2021.", ("2021-05-05", "text:heading")),
    ("Signed: J Smith, Chairman. Dated 8 July 2021", None),
    ("The next meeting will be held on Monday, 24th April 2023", None),
    # OCR'd ordinals, US order, a numeric date
    ("HELD AT RATHKEALE, CO. LIMERICK ON WEDNESDAY, 1°\" JUNE, 2016, AT 9.00 A.M.", ("2016-06-01", "text:heading")),
    ("Regular Meeting of Council, Tuesday, April 4, 2023 at 1:00 p.m.", ("2023-04-04", "text:heading")),
    ("Meeting of the Council held on 18/07/2016", ("2016-07-18", "text:heading")),
])
def test_meeting_date(heading, want):
    assert meeting_date(region(heading).text) == want


def test_a_date_without_its_year_takes_the_one_its_weekday_fits():
    text = "Minutes of the Strategic Policy Committee held on Monday 10th October at 10:00am"
    assert meeting_date(text, [2015, 2016, 2017]) == ("2016-10-10", "text:heading+weekday")
    assert meeting_date(text, [2015, 2017]) is None  # no year it fits: no date
    (c,) = candidates("held on Monday 10th October", [2016])
    assert (c.before, c.weekday_agrees) == ("held on ", True)


def test_the_file_name_only_when_the_heading_has_no_date():
    assert meeting_meta("Minutes of the Parish Council\n\nPresent: Cllr A\n", "pc_2019-03-12.md")["date_method"] == "file-name"
    assert meeting_meta("Meeting held on 4 March 2019\n", "pc_2019-03-12.md")["date"] == "2019-03-04"


def _body(text: str, title: str = ""):
    b = read_body(text, None, title)
    return b and (b.gss, b.name, b.kind, b.within_name, b.method)


def test_councils_of_every_kind():
    assert _body("ASHWELL PARISH COUNCIL\n\nMinutes of the meeting of the above Council held in the Community Centre\n") == (
        None, "Ashwell Parish Council", "parish council", None, "text:heading")
    assert _body("MINUTES OF THE MONTHLY MEETING OF THE MUNICIPAL DISTRICT OF GREYSTONES\n\nHELD IN THE COUNCIL CHAMBER, "
                 "GREYSTONES, CO. WICKLOW,\n\nON MONDAY, 13TH MARCH, 2017\n") == (
        None, "Municipal District of Greystones", "municipal district", "Wicklow County Council", "text:heading")
    assert _body("Minutes of the meeting of Tisbury Parish Council, a parish in the area of Wiltshire Council, held on 3 May 2022") == (
        None, "Tisbury Parish Council", "parish council", "Wiltshire Council", "text:heading")
    assert _body("WHITCHURCH AND DISTRICT JOINT BURIAL COMMITTEE\n\nMinutes of the meeting held on 15 September 2016\n")[1:3] == (
        "Whitchurch and District Joint Burial Committee", "joint committee")
    assert _body("Minutes of the Meeting of Limerick City & County Council's Travel and Transportation Committee\n")[1:4] == (
        "Limerick City and County Council", "city and county council (Ireland)", None)
    # a listed council stays the gazetteer's; two bodies joined by 'and' are a joint meeting, no one's
    assert _body("Minutes of a meeting of Stroud District Council held at Ebley Mill")[:2] == ("E07000082", "Stroud District Council")
    assert _body("Isle of Wight Council and Newport Town Council joint meeting held on 3 May 2022") is None
    assert _body("Minutes of the Planning Committee held on 3 May 2022") is None


def test_abbreviation_only_from_its_definition_in_the_same_document():
    text = ("Minutes of the YCC meeting held at the Welfare Hall on Monday 3rd March 2014\n\nPresent: Cllr Price.\n\n"
            "3. Ystrad Community Council (YCC) will write to the highways department.\n")
    assert definitions(text) == {"YCC": "Ystrad Community Council"}
    assert _body(text) == (None, "Ystrad Community Council", "community council", None, "text:abbreviation")
    assert _body(text.replace("Ystrad Community Council (YCC)", "The council")) is None  # undefined: never guessed
    assert definitions("Bradford on Avon Town Council (BTC)") == {}  # initials do not fit: no definition


def test_a_name_only_in_the_page_title(tmp_path):
    page = shutil.copy(MINUTES / "minutes" / "little-snoring.html", tmp_path / "march.html")
    raw = read(SourceFile(Path(page), "march.html"))
    assert (raw.meta["date"], raw.methods["date"]) == ("2019-03-12", "text:heading")
    c = decide_council(Document(raw))
    assert (c.gss, c.name, c.method) == (None, "Little Snoring Parish Council", "page:title")


def test_the_body_and_the_council_it_sits_in_reach_the_graph(tmp_path):
    src = MINUTES / "heldout" / "greystones-md.md"
    doc = segment(read(SourceFile(src, src.name)))
    facts = extract(doc)
    con = store.connect(tmp_path)
    con.execute("BEGIN")
    store.write_document(con, doc, facts, {}, "2026-01-01T00:00:00")
    con.execute("COMMIT")
    g = build_graph(con)
    (body,) = [s for s, o in g.subject_objects(CKG.withinCouncil)]
    parent = g.value(body, CKG.withinCouncil)
    assert str(g.value(body, RDFS.label)) == "Municipal District of Greystones"
    assert str(g.value(parent, RDFS.label)) == "Wicklow County Council"
    assert str(g.value(body, CKG.councilType)) == "municipal district" and g.value(body, CKG.gssCode) is None
    (meeting,) = g.subjects(CKG.council, body)
    assert str(g.value(meeting, CKG.dateMethod)) == "text:heading"
    assert isinstance(parent, URIRef)


def test_a_file_that_starts_with_an_item_has_no_heading_to_read():
    item = ("Terms of Reference update\n(Item 13)\n1)\n\nMr Jeffrey proposed the motion. RESOLVED that the Monitoring "
            "Officer make the changes once Medway Council have agreed the same changes.\n")
    assert region(item).paragraphs == ["Terms of Reference update"] and read_body(item) is None
    prose = ("The Chairman thanked the officers of Medway Council for their help with the covenant and the work done "
             "across the county this year to support veterans and their families in every district.\n\nMore text.\n")
    assert region(prose).paragraphs == [] and read_body(prose) is None
