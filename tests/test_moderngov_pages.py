"""Real ModernGov pages (Kingston): a meeting page is one meeting whose minutes alone are debate; other pages are skipped."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from conftest import SHARED, need
from councilkg.graph import store
from councilkg.web.cli import main

KINGSTON = SHARED / "data" / "moderngov" / "kingston"
PAGES = ["ieListDocuments_2025-11-18.html", "ieListDocuments_2025-12-04_cancelled.html", "ieListMeetings_711.html",
         "mgCommitteeDetails_711.html", "mgCommitteeStructure.html"]


@pytest.fixture(scope="module")
def kingston(tmp_path_factory):
    """The five Kingston pages ingested through the CLI, as a user would."""
    need(KINGSTON)
    pages = tmp_path_factory.mktemp("kingston-pages")
    for name in PAGES:
        shutil.copy(KINGSTON / name, pages / name)
    data = tmp_path_factory.mktemp("kingston-data")
    result = CliRunner().invoke(main, ["ingest", str(pages), "--data", str(data), "--json"])
    return data, result


def test_only_the_meeting_page_is_ingested_and_the_others_are_skipped_with_a_line_each(kingston):
    data, result = kingston
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ingested"] == 1 and not report["failed"]
    skipped = sorted(line for line in result.stderr.splitlines() if line.startswith("skipped: "))
    assert [line.split(": ", 2)[1].rsplit("/", 1)[-1] for line in skipped] == sorted(PAGES[1:])
    assert any(line.endswith("not minutes (cancelled meeting)") for line in skipped)
    assert any(line.endswith("not minutes (committee meeting list)") for line in skipped)
    con = store.connect(data, readonly=True)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 1


def test_the_meeting_has_its_date_committee_and_council_from_the_page(kingston):
    data, _ = kingston
    con = store.connect(data, readonly=True)
    m = con.execute("SELECT m.*, c.gss FROM meetings m JOIN councils c ON c.id = m.council_id").fetchone()
    assert (m["date"], m["committee"], m["gss"]) == ("2025-11-18", "Kingston and North Kingston Neighbourhood Committee", "E09000021")
    assert (m["date_method"], m["committee_method"]) == ("page:title", "page:title")


def test_titles_are_clean_and_only_minutes_are_debate(kingston):
    data, _ = kingston
    con = store.connect(data, readonly=True)
    items = {r["number"]: r for r in con.execute("SELECT * FROM items")}
    assert items["37"]["title"] == "Work Programme" and items["35"]["title"] == "Community Grants Programme"
    assert not any("KB" in r["title"] for r in items.values())
    points = [r[0] for r in con.execute("SELECT text FROM points")]
    assert any(p.startswith("A resident asked what measures were in place") for p in points)
    assert not any("A period of up to 30 minutes" in p or "Advance notice of questions" in p for p in points)
    assert items["29"]["description"].startswith("A period of up to 30 minutes during which any resident")


def test_item_page_shows_the_agenda_text_as_description(kingston):
    from councilkg.web.app import create_app

    data, _ = kingston
    con = store.connect(data, readonly=True)
    iid = con.execute("SELECT id FROM items WHERE number='29'").fetchone()[0]
    page = create_app(data).test_client().get(f"/id/item/{iid}").get_data(as_text=True)
    assert "Agenda text (not minutes, not searched)" in page and "A period of up to 30 minutes" in page


def test_search_never_answers_with_agenda_boilerplate(kingston):
    data, _ = kingston
    result = CliRunner().invoke(main, ["search", "residents may ask a question at the committee", "--json", "--data", str(data)])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)["hits"]
    assert hits and not any("A period of up to 30 minutes" in h["text"] for h in hits)
    assert {h["meeting"]["date"] for h in hits} == {"2025-11-18"}


def test_an_agenda_published_before_its_minutes_is_not_minutes(tmp_path):
    page = tmp_path / "agenda.html"
    page.write_text("""<html><head><title>Agenda for Cabinet on Monday 1 June 2026, 6.00 pm - Modern Council</title></head>
    <body><div id="modgov"><h1>Agenda</h1><h2 class="mgSubTitleTxt">Cabinet - Monday 1 June 2026 6.00 pm</h2><table>
    <tr><td class="mgItemNumberCell"><p class="mgAiTitleTxt">1.</p></td><td><p class="mgAiTitleTxt">Budget PDF 1 MB</p>
    <div class="mgWordPara"><p>To consider the budget proposals for the coming year.</p></div></td></tr>
    </table></div></body></html>""", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(page), "--data", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "not minutes (agenda only, no minutes published)" in result.stderr
