"""Segmentation of the real seeds and Kent items, checked against what a careful reader of each file sees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from councilkg.corpus.discover import discover
from councilkg.corpus.model import Document
from councilkg.corpus.readers import read
from councilkg.corpus.segment import clean_lines, segment

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus" / "sample"
KENT_ITEMS = ROOT.parent / "shared" / "data" / "kent-items"


def seed(prefix: str) -> Document:
    (src,) = [s for s in discover([str(SAMPLE)]) if s.path.name.startswith(prefix)]
    return segment(read(src))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_verbatim(doc: Document) -> None:
    """Every point, action, lead-in and item paragraph is a span of the source (whitespace and page numbers aside)."""
    source = squash("\n".join(clean_lines(doc.raw.text)))
    for item in doc.items:
        spans = [*item.text.split("\n\n"), *(u.text for u in [*item.points, *item.actions]),
                 *(u.context for u in [*item.points, *item.actions])]
        for span in spans:
            assert squash(span) in source, span
        assert [p.seq for p in item.points] == list(range(len(item.points)))
        assert [a.seq for a in item.actions] == list(range(len(item.actions)))


def test_seed_000_three_committee_points_each_with_the_answer_and_one_resolution():
    doc = seed("000")
    (item,) = doc.items
    assert item.number == "29" and item.title.startswith("Review of performance and progress")
    debate = [p for p in item.points if p.kind not in ("summary",)]
    assert len(debate) == 3
    assert debate[0].text.startswith("It was queried whether the risk assessments")
    assert debate[0].text.endswith("The ADS&FS confirmed that this work had been completed.")
    assert "recruit replacements" in debate[2].text
    assert all(p.context == "The committee raised the points below in the debate that followed:" for p in debate)
    assert {p.kind for p in item.points} - {"summary", "bullet"} == set()
    assert [a.text for a in item.actions] == [
        "RESOLVED: That the committee notes the report and the improvements made since the previous quarter."]
    assert_verbatim(doc)


def test_seed_001_paragraphs_and_two_agreed_actions():
    doc = seed("001")
    (item,) = doc.items
    assert item.title == "Improvement plan update" and item.number is None
    assert len(item.points) >= 10
    assert any(p.text.startswith("The council's unrelenting focus on the recruitment of social workers") for p in item.points)
    assert not any(p.text in ("Minutes:", "It was Agreed that:") for p in item.points)
    assert [(a.kind, a.text) for a in item.actions] == [
        ("agreed", "The report be noted"),
        ("agreed", "Divisional Commander to attend the committee to provide an update")]
    assert_verbatim(doc)


def test_seed_002_three_answers_seven_resolutions_reasons_not_an_action():
    doc = seed("002")
    (item,) = doc.items
    answers = [p for p in item.points if p.kind == "answer"]
    assert len(answers) == 3
    assert all(p.context == "In response to questions from Cllr Cawley-Harrison, it was noted that:" for p in answers)
    assert answers[1].text.startswith("14 social workers had been recruited from South Africa")
    assert len(item.actions) == 7
    assert item.actions[0].text.startswith("The increase in the rate of referral")
    assert item.actions[6].text == "The action taken to improve the recruitment and retention of social workers (section 7)."
    assert all(a.context.startswith("To note the Children Social Care Annual Report") for a in item.actions)
    assert not any("To note the Children" in a.text or "annual report is intended" in a.text for a in item.actions)
    assert not any(p.text.startswith("[Report of") for p in item.points)
    assert_verbatim(doc)


def test_seed_003_bullets_paragraphs_and_two_resolutions():
    doc = seed("003")
    (item,) = doc.items
    bullets = [p for p in item.points if p.kind == "bullet"]
    assert len(bullets) == 7
    assert bullets[0].context == "In the ensuing discussion the following points were made:"
    assert any("Golden Hello" in p.text for p in bullets)
    assert sum(p.kind == "answer" for p in item.points) == 4  # the four "In reply to ..." paragraphs
    assert any(p.text.startswith("A Member pointed out that the same issues kept arising") for p in item.points)
    assert [a.text for a in item.actions] == [
        "The Improvement Notice from the Department of Education and the statement of expectation for children’s "
        "safeguarding in Herefordshire be noted; and;",
        "The progress to date in addressing the recommendations from Ofsted be noted."]
    assert_verbatim(doc)


def test_seed_004_three_actions_required_not_policy_proofing():
    doc = seed("004")
    (item,) = doc.items
    assert item.title.startswith("Frontline Social Workers and Safeguarding Scrutiny Review")
    assert [(a.kind, a.text) for a in item.actions] == [
        ("required", "receive and comment on the content and progress of the action plan;"),
        ("required", "continue to monitor the actions arising from the review;"),
        ("required", "give consideration to visiting teams as an ongoing piece of work with frontline teams.")]
    texts = [p.text for p in item.points]
    assert "Examine the robustness of safeguarding practice" in texts
    assert not any("Policy Proofing" in t or "intentionally left blank" in t or "@" in t for t in texts)
    assert not any(t in ("1. Background", "Background", "Summary:") for t in texts)
    assert_verbatim(doc)


def kent(name: str) -> Document:
    if not KENT_ITEMS.exists():
        pytest.skip(f"{KENT_ITEMS} not available")
    return segment(read(next(iter(discover([str(KENT_ITEMS / name)])))))


def test_kent_item_numbered_and_lettered_paragraphs_across_a_page_break():
    doc = kent("kent_2024-10-29_cpp_item06.txt")
    (item,) = doc.items
    assert item.number == "6"
    assert item.title == "Adoption Partnership South East, Regional Adoption Agency Annual Report 2023/2024 (Item 6)"
    first = item.points[0]
    assert first.kind == "lettered" and first.text.endswith("highlight the importance of adoption.")
    assert "regarding therapeutic parenting" in first.text  # the page number '3' between them is gone
    answers = [p for p in item.points if p.kind == "answer"]
    assert len(answers) == 3 and answers[2].text == "Elected Members were welcome to sit on adoption panels."
    assert [a.text for a in item.actions] == [
        "RESOLVED that the Panel note the Regional Adoption Agency Annual Report 2023/2024."]
    assert_verbatim(doc)


def test_kent_item_detached_bullets_and_trailing_minute_number():
    doc = kent("kent_2025-01-09_cabinet_item05.txt")
    (item,) = doc.items
    answers = [p for p in item.points if p.kind == "answer"]
    assert len(answers) == 5
    assert answers[0].context == "Further to comments and questions from Members it was noted:"
    assert answers[0].text.startswith("That whilst the allocation of the Recovery Grant")
    assert len(item.actions) == 1 and item.actions[0].text.endswith("Finance, Corporate and Traded Services.")
    assert "81." not in item.text.split()
    assert_verbatim(doc)


def test_all_kent_items_segment_cleanly():
    if not KENT_ITEMS.exists():
        pytest.skip(f"{KENT_ITEMS} not available")
    for src in discover([str(KENT_ITEMS)]):
        doc = segment(read(src))
        assert len(doc.items) == 1, src.given
        item = doc.items[0]
        assert item.points, src.given
        for p in item.points:
            assert not re.search(r"(^|\s)\d{1,2}\s*$", p.text) or p.text.endswith(("%", ")")), (src.given, p.text)
            assert "\n" not in p.text
        assert_verbatim(doc)


def test_moderngov_meeting_page_splits_into_its_agenda_rows(tmp_path):
    page = tmp_path / "meeting.htm"
    page.write_text("""<html><body><div id="modgov">
    <h2 class="mgSubTitleTxt">Cabinet - Tuesday, 13th October, 2020 7.00 pm</h2>
    <table class="mgItemTable">
    <tr><td class="mgItemNumberCell"><p class="mgAiTitleTxt">320.</p></td><td>
      <p class="mgAiTitleTxt">Apologies for Absence</p><div class="mgWordPara"><p>To receive any apologies for absence.</p></div>
      <p class="mgSubItemTitleTxt">Minutes:</p><div class="mgWordPara"><p>Apologies were received from Cllr Ejiofor.</p></div></td></tr>
    <tr><td class="mgItemNumberCell"><p class="mgAiTitleTxt">320a.</p></td><td>
      <p class="mgAiTitleTxt">Petitions</p><div class="mgWordPara"><p>To receive any petitions from residents of the borough.</p></div></td></tr>
    <tr><td class="mgItemNumberCell"><p class="mgAiTitleTxt">321.</p></td><td>
      <p class="mgAiTitleTxt">Children's Services Update PDF 2 MB</p>
      <p class="mgSubItemTitleTxt">Minutes:</p>
      <div class="mgWordPara"><p>The Cabinet Member introduced the report on safeguarding activity.</p>
      <p>RESOLVED</p><p>That the report be noted.</p></div></td></tr>
    </table></div></body></html>""", encoding="utf-8")
    doc = segment(read(next(iter(discover([str(page)])))))
    assert doc.meta == {"committee": "Cabinet", "date": "2020-10-13"}
    # real pages set the agenda text before each item's "Minutes:": only the minutes are debate, a row without is agenda
    assert [(i.number, i.title, i.procedural) for i in doc.items] == [
        ("320", "Apologies for Absence", True), ("321", "Children's Services Update", False)]
    assert doc.items[0].description == "To receive any apologies for absence."
    assert [p.text for p in doc.items[0].points] == ["Apologies were received from Cllr Ejiofor."]
    assert [p.kind for p in doc.items[1].points] == ["summary"]
    assert [a.text for a in doc.items[1].actions] == ["That the report be noted."]
