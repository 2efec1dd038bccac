"""Real ModernGov pages (Kingston, from ../shared) and pages of our own making: a meeting page reads as its agenda
rows with only the minutes as debate; lists, details, structure, cancelled and agenda-only pages are skipped."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from conftest import SHARED, need

from councilkg.corpus.model import NotMinutes, SourceFile
from councilkg.corpus.moderngov import html_to_text
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph import store
from councilkg.web.app import create_app
from councilkg.web.cli import main

KINGSTON = SHARED / "data" / "moderngov" / "kingston"
MEETING = "ieListDocuments_2025-11-18.html"
COMMITTEE = "Kingston and North Kingston Neighbourhood Committee"
SKIPPED = {  # page: the reason its skip line gives
    "ieListDocuments_2025-12-04_cancelled.html": "cancelled meeting",
    "ieListMeetings_711.html": "committee meeting list",
    "mgCommitteeDetails_711.html": "committee details page",
    "mgCommitteeStructure.html": "committee structure page",
}
FILE_CHROME = re.compile(r"\b(?:PDF|KB|MB|icon)\b", re.I)


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def read_path(path):
    return read(SourceFile(path=path.resolve(), given=str(path)))


@pytest.fixture(scope="module")
def kingston(tmp_path_factory):
    """The five Kingston HTML pages ingested once through the real CLI, as a user would."""
    need(KINGSTON)
    data = tmp_path_factory.mktemp("kingston-data")
    pages = [KINGSTON / MEETING] + [KINGSTON / name for name in SKIPPED]
    result = cli("ingest", "--data", data, *pages)
    return result, data


def db(data):
    return store.connect(data, readonly=True)


def test_meeting_page_is_one_meeting_with_its_date_and_committee(kingston):
    result, data = kingston
    assert result.exit_code == 0, result.output
    stats = json.loads(cli("stats", "--json", "--data", data).output)
    assert (stats["documents"], stats["meetings"], stats["agenda_items"]) == (1, 1, 10)
    assert stats["date_range"] == ["2025-11-18", "2025-11-18"] and stats["failed"] == []
    m = db(data).execute("SELECT * FROM meetings").fetchone()
    assert (m["date"], m["committee"]) == ("2025-11-18", COMMITTEE)
    assert (m["date_method"], m["committee_method"]) == ("page:title", "page:title")
    # the council from the page's contact e-mail, a real line of the page
    assert (m["council_id"], m["council_method"]) == ("E09000021", "text:email")
    assert m["council_evidence"].endswith("@kingston.gov.uk")
    assert m["council_evidence"] in (KINGSTON / MEETING).read_text(encoding="utf-8")


def test_each_non_minutes_page_is_skipped_with_one_line(kingston):
    result, data = kingston
    assert result.exit_code == 0
    for name, reason in SKIPPED.items():
        assert f"skipped: {KINGSTON / name}: not minutes ({reason})" in result.stderr.splitlines()
    assert "error:" not in result.stderr
    sources = [r[0] for r in db(data).execute("SELECT source FROM documents")]
    assert sources == [str(KINGSTON / MEETING)]


def test_only_minutes_are_debate_and_titles_are_clean(kingston):
    _, data = kingston
    con = db(data)
    items = con.execute("SELECT id, number, title, description FROM items ORDER BY seq").fetchall()
    assert [i["number"] for i in items] == [str(n) for n in range(29, 39)]
    titles = [i["title"] for i in items]
    assert "Work Programme" in titles and "Community Grants Programme" in titles
    assert not [t for t in titles if FILE_CHROME.search(t)]
    points = [r[0] for r in con.execute("SELECT text FROM points")]
    assert any(p.startswith("A resident asked what measures were in place") for p in points)
    boiler = ("A period of up to 30 minutes", "To receive completed petitions", "Members are asked to declare",
              "To consider applications for Neighbourhood", "To consider any items which")
    assert not [p for p in points for b in boiler if b in p]
    by_title = {i["title"]: i for i in items}
    assert by_title["Public Questions"]["description"].startswith("A period of up to 30 minutes")
    assert not by_title["Apologies for Absence"]["description"]  # only a 'View the background' link: no agenda text
    # the grants' decision stands beside their (truncated) inline minutes: three resolutions, each once
    grants = by_title["Community Grants Programme"]["id"]
    actions = [r[0] for r in con.execute("SELECT text FROM actions WHERE item_id=?", (grants,))]
    assert len(actions) == 3 and all("Neighbourhood Community Grant" in a for a in actions)
    assert not [p for p in points if "view the full minutes" in p or "PDF" in p]


def test_search_hits_read_as_kingston_minutes(kingston):
    _, data = kingston
    out = json.loads(cli("search", "--json", "--data", data, "houses in multiple occupation licensing").output)
    top = out["hits"][0]
    assert (top["council"]["name"], top["council"]["gss"]) == ("Royal Borough of Kingston upon Thames", "E09000021")
    assert (top["meeting"]["date"], top["meeting"]["committee"]) == ("2025-11-18", COMMITTEE)
    assert (top["item"]["title"], top["item"]["number"]) == ("Public Questions", "29")
    asked = json.loads(cli("search", "--json", "--data", data, "any resident may ask a question").output)
    assert not [h for h in asked["hits"] if "period of up to 30 minutes" in h["text"]]


def test_item_page_shows_the_agenda_text_apart_from_the_minutes(kingston):
    _, data = kingston
    ident = db(data).execute("SELECT id FROM items WHERE title='Public Questions'").fetchone()[0]
    page = create_app(data).test_client().get(f"/id/item/{ident}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Agenda text (not minutes, not searched)" in html
    assert "A period of up to 30 minutes" in html and "A resident asked what measures" in html


def test_the_committee_report_pdf_gets_no_invented_meeting():
    """A report to a committee is not minutes: whatever is read of it, no other date or committee than it prints."""
    pdf = need(KINGSTON / "ZebraCrossing.pdf")
    try:
        raw = read_path(pdf)
    except NotMinutes:
        return
    assert raw.meta.get("date") in (None, "2026-01-15")
    assert raw.meta.get("committee") in (None, COMMITTEE)


ROW = """<tr><td class="mgItemNumberCell"><p class="mgAiTitleTxt"><a name="AI{n}"></a>{n}.</p></td><td>{body}</td></tr>"""


def page(title, sub, main, rows, contact=""):
    """A meeting page in the shape of ModernGov's ieListDocuments.aspx."""
    table = f'<table class="mgItemTable"><caption class="mgSectionTitle">Items</caption>{"".join(rows)}</table>' if rows else ""
    return f"""<!DOCTYPE html><html><head><title>{title} - Modern Council</title></head><body>
    <header><img alt="Modern.Gov logo" src="logo.png"></header>
    <div id="modgov"><h1 class="mgMainTitleTxt">{main}</h1>
    <h2 class="mgSubTitle"><span class="mgSubTitleTxt"><a href="mgCommitteeDetails.aspx?ID=9"
      title="Link to Another Committee Entirely">{sub}</a></span></h2>
    <div class="mgContent"><p><span class="mgLabel">Contact: </span>{contact}</p>{table}</div></div></body></html>"""


def minuted_rows():
    return [
        ROW.format(n=4, body="""<p class="mgAiTitleTxt">Apologies for absence</p>
          <p class="mgSubItemTitleTxt">Minutes:</p><div class="mgWordPara"><p>Apologies were received from Cllr Dee.</p></div>"""),
        ROW.format(n=5, body="""<p class="mgAiTitleTxt"><a class="mgAiTitleLnk" href="documents/s1/Budget.pdf">Budget Monitoring
          <span class="mgFileSize"><img alt="pdf icon" src="p.gif"> PDF 152 KB</span></a></p>
          <div class="mgWordPara"><p>To note the forecast outturn for the year.</p></div>
          <p class="mgSubItemTitleTxt">Additional documents:</p>
          <ul class="mgBulletList"><li><a href="documents/s2/Annex.pdf">Annex A <span class="mgHide">, item 5.</span>
          <span class="mgFileSize">PDF 91 KB</span></a></li></ul>
          <p class="mgSubItemTitleTxt">Minutes:</p>
          <div class="mgWordPara"><p>Members asked why the transport budget was overspent by two million pounds.</p>
          <p>The Director explained that placements for looked after children had risen and
          </p><p>costs per placement had doubled since April.</p>
          <p>RESOLVED that the forecast outturn be noted.</p></div>
          <p class="mgSubItemTitleTxt">Decision:</p>
          <div class="mgWordPara"><p>RESOLVED that the forecast outturn be noted.</p></div>"""),
        ROW.format(n=6, body="""<p class="mgAiTitleTxt">Library Opening Hours DOC 40 KB</p>
          <ul class="mgActionList"><li><a href="ieDecisionDetails.aspx?ID=1">View the decision for item 6.</a></li></ul>
          <div class="mgWordPara"><p>To decide the library opening hours.</p></div>
          <p class="mgSubItemTitleTxt">Decision:</p>
          <div class="mgWordPara"><p>RESOLVED that the libraries open until eight on Thursdays.</p></div>"""),
    ]


def agenda_rows():
    return [ROW.format(n=1, body="""<p class="mgAiTitleTxt">Public Questions</p><div class="mgWordPara">
          <p>A period of up to 30 minutes during which any resident may ask a question.</p></div>"""),
            ROW.format(n=2, body="""<p class="mgAiTitleTxt">Budget <span class="mgFileSize">PDF 1 MB</span></p>""")]


def test_made_meeting_page_reads_rows_as_sections(tmp_path):
    f = tmp_path / "ieListDocuments_made.html"
    f.write_text(page("Agenda for Scrutiny Panel on Tuesday 3 March 2026, 7:00 pm", "Scrutiny Panel - Tuesday, 3rd March, 2026 7.00 pm",
                      "Agenda, decisions and minutes", minuted_rows(), "Ann Bee email: ann.bee@example.org"),
                 encoding="utf-8")
    raw = read_path(f)
    assert raw.meta == {"committee": "Scrutiny Panel", "date": "2026-03-03"}  # the text, not the link's title
    assert raw.methods == {"date": "page:title", "committee": "page:title"}
    doc = segment(raw)
    assert [(i.number, i.title) for i in doc.items] == [
        ("4", "Apologies for absence"), ("5", "Budget Monitoring"), ("6", "Library Opening Hours")]
    apologies, budget, library = doc.items
    assert apologies.procedural and not apologies.description
    assert budget.description == "To note the forecast outturn for the year."
    assert [p.text for p in budget.points] == [
        "Members asked why the transport budget was overspent by two million pounds.",
        "The Director explained that placements for looked after children had risen and costs per placement had "
        "doubled since April."]
    assert [a.text for a in budget.actions] == ["RESOLVED that the forecast outturn be noted."]  # not twice
    # no minutes: the decision is the record of the item
    assert library.description == "To decide the library opening hours."
    assert [a.text for a in library.actions] == ["RESOLVED that the libraries open until eight on Thursdays."]
    assert "PDF" not in raw.text and "item 5." not in raw.text  # file sizes and hidden text are no part of the page text


def test_date_and_committee_from_the_title_when_the_subtitle_has_none(tmp_path):
    f = tmp_path / "m.html"
    f.write_text(page("Minutes for Licensing Sub-Committee on Friday 9 January 2026, 10:00 am", "Licensing Sub-Committee",
                      "Agenda and minutes", minuted_rows()), encoding="utf-8")
    raw = read_path(f)
    assert raw.meta == {"committee": "Licensing Sub-Committee", "date": "2026-01-09"}
    assert raw.methods == {"date": "page:title", "committee": "page:title"}


@pytest.mark.parametrize("title,sub,main,rows,reason", [
    ("Agenda for Cabinet on Monday 2 March 2026, 7:00 pm", "Cabinet - Monday 2 March 2026 7:00 pm",
     "Agenda", agenda_rows(), "agenda only, no minutes published"),
    ("Agenda for Cabinet on Monday 2 March 2026, 7:00 pm", "Cabinet - Monday 2 March 2026 7:00 pm, CANCELLED",
     "Agenda", agenda_rows(), "cancelled meeting"),
    ("Agenda for Cabinet on Monday 2 March 2026, 7:00 pm", "Cabinet - Monday 2 March 2026 7:00 pm, CANCELLED",
     "Meeting", [], "cancelled meeting"),
    ("Agenda for Cabinet on Monday 2 March 2026, 7:00 pm", "Cabinet - Monday 2 March 2026 7:00 pm",
     "Meeting", [], "agenda only, no minutes published"),
    ("Browse meetings - Cabinet", "Cabinet", "Browse meetings", [], "committee meeting list"),
    ("Committee details - Cabinet", "Cabinet", "Committee details", [], "committee details page"),
    ("Committee structure", "", "Committee structure", [], "committee structure page"),
])
def test_made_pages_that_are_not_minutes_are_skipped(tmp_path, title, sub, main, rows, reason):
    f = tmp_path / "page.html"
    f.write_text(page(title, sub, main, rows, "democratic.services@kingston.gov.uk"), encoding="utf-8")
    with pytest.raises(NotMinutes) as got:
        read_path(f)
    assert got.value.reason == reason


def test_made_pages_skipped_through_the_cli_store_nothing(tmp_path):
    (tmp_path / "in").mkdir()
    agenda = tmp_path / "in" / "agenda.html"
    agenda.write_text(page("Agenda for Cabinet on Monday 2 March 2026, 7:00 pm", "Cabinet - Monday 2 March 2026 7:00 pm",
                           "Agenda", agenda_rows()), encoding="utf-8")
    cancelled = tmp_path / "in" / "cancelled.html"
    cancelled.write_text(page("Agenda for Cabinet on Monday 9 March 2026, 7:00 pm",
                              "Cabinet - Monday 9 March 2026 7:00 pm, CANCELLED", "Meeting", []), encoding="utf-8")
    result = cli("ingest", "--data", tmp_path / "data", tmp_path / "in")
    assert result.exit_code == 0
    assert sorted(result.stderr.splitlines()) == [
        f"skipped: {agenda}: not minutes (agenda only, no minutes published)",
        f"skipped: {cancelled}: not minutes (cancelled meeting)"]
    stats = json.loads(cli("stats", "--json", "--data", tmp_path / "data").output)
    assert (stats["documents"], stats["meetings"], stats["failed"]) == (0, 0, [])


def test_text_copy_of_the_meeting_page_keeps_its_heading_and_loses_file_sizes(tmp_path):
    """A meeting page saved as text (html_to_text, as other readers use it): subtitle read, 'PDF 65 KB' dropped."""
    text, heading = html_to_text(need(KINGSTON / MEETING).read_text(encoding="utf-8"))
    assert heading == f"{COMMITTEE} - Wednesday 18 November 2025 7:30 pm"
    f = tmp_path / "meeting.txt"
    f.write_text(text.replace("Work Programme\n", "Work ProgrammePDF 65 KB\n"), encoding="utf-8")
    raw = read_path(f)
    assert raw.fmt == "moderngov"
    assert (raw.meta["committee"], raw.meta["date"]) == (COMMITTEE, "2025-11-18")
    assert raw.methods == {"date": "page:title", "committee": "page:title"}
    assert "Work Programme\n(Item 37)" in raw.text and "KB" not in raw.text
