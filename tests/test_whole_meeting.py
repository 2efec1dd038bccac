"""Whole-meeting minutes (one file per meeting) split at each heading form councils use, with their heading's metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from councilkg.corpus.model import SourceFile
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment

BOROUGH = """BOROUGH COUNCIL OF KINGSMERE

MINUTES OF PROCEEDINGS AT MEETING OF THE BOROUGH COUNCIL OF KINGSMERE HELD AT THE TOWN HALL
ON MONDAY, 27TH MARCH, 2023

PRESENT: The Mayor (Councillor J Adams), Councillors Brown, Clarke, Dunn and Evans.

85. APOLOGIES FOR ABSENCE

Apologies for absence were received from Councillors Frost and Grant.

86. MINUTES

The minutes of the meeting of the Council held on 27th February 2023 were approved as a correct record
and signed by the Mayor.

Kingsmere Borough Council Minutes 27 March 2023
- 3 -
_______________________________________________

87. DECLARATIONS OF INTEREST

There were no declarations of interest.

88. Housing Revenue Account Budget 2023/24

1. The Council considered the report of the Director of Housing on the rent levels for 2023/24.

2. Members raised the following points in the debate:
\uf0b7 the rent increase of seven per cent was below the cap set by the government;
\uf0b7 the service charge for sheltered schemes would rise in line with costs.

3. Councillor Brown asked whether tenants had been consulted on the proposed increases.

Proposed by Councillor Brown; Seconded by Councillor Clarke; And Resolved: That the rent levels set out
in the report be approved.

Kingsmere Borough Council Minutes 27 March 2023
Page 4 of 9
-----------------------------------------------

89. Reports of Committees

(a) Planning Committee

The Council received the minutes of the Planning Committee held on 6th March 2023.

(b) Licensing Committee

The Council received the minutes of the Licensing Committee held on 8th March 2023.

Kingsmere Borough Council Minutes 27 March 2023
5 of 9

90. Notice of Motion: Climate Emergency

It was moved by Councillor Dunn and seconded by Councillor Evans and RESOLVED that the Council declares
a climate emergency and asks officers to prepare an action plan within six months.

91. DATE OF NEXT MEETING

The next meeting will be held on Monday, 24th April 2023.

Kingsmere Borough Council Minutes 27 March 2023
6
"""

CABINET = """Minutes of a meeting of the Cabinet held at the Civic Centre, Ashbury on Tuesday 12 March 2024 at 6.00 pm

Present: Councillor P Lee (Leader), Councillors M Shah and T Wood

Minute 23/45 Apologies
There were none.

Min 23/46 Minutes of the previous meeting
The minutes of the meeting held on 13 February 2024 were agreed.

23/47 Leisure Centre Contract
The Cabinet Member for Leisure introduced the report on the new operator contract for the two leisure centres.
RESOLVED: That the contract be awarded to the preferred bidder.

23/48 Public Questions
A resident asked about parking charges at the leisure centre and the Leader undertook to reply in writing.
"""

PLANNING = """Minutes of the Planning Committee meeting held on 3rd May 2022

Present: Councillors A, B and C

Item 5: Declarations of Interest
None were declared.

ITEM 6 – LAND AT MILL LANE, HAWLEY
The Committee considered an application for forty homes on land at Mill Lane and heard from two objectors.
RESOLVED that planning permission be refused.

Item 7: Appeals Update
The Committee noted the appeal decisions received since the last meeting of the committee.
"""

LONE = """CABINET – 9 JANUARY 2025

Present: Councillors D Rowe (Chair), F Khan and H Lutz

51
Apologies for Absence
Apologies were received from Councillor Moss.

52
School Transport Policy
The Cabinet considered the draft school transport policy for consultation and the changes proposed to it
for pupils with special educational needs.
Agreed that the draft policy go to consultation.

53
Exclusion of the Press and Public
Agreed that the press and public be excluded for the next item.
"""

CAPS = """Minutes of the Audit Committee meeting held on 14 November 2023

Present: Councillors R, S and T

APOLOGIES
Apologies were received from Councillor U.

INTERNAL AUDIT PROGRESS REPORT
The Head of Internal Audit presented the progress report, noting that eleven audits had been completed this year.

RISK MANAGEMENT UPDATE
Members asked about the risk score given to the waste contract and the officer explained the mitigations.
"""

BARE = """Minutes of the Scrutiny Panel meeting held on 2 October 2024

12 Apologies
None.

13 Matters Arising
There were no matters arising from the previous minutes.

14 Homelessness Review
The Panel reviewed the temporary accommodation figures for the last quarter in detail.

15 Work Programme
The Panel agreed its work programme for the remainder of the year.
"""

PARAGRAPHS_ONLY = """The Panel received the annual report of the fostering service.

1. The Head of Service introduced the report and highlighted the recruitment of twelve new foster carers.

2. The Panel noted that the minutes of the meeting held on 5 June 2024 had recorded a lower figure.

3. Members asked about the support offered to carers of teenagers.

4. RESOLVED that the report be noted.
"""


def doc_of(tmp_path: Path, name: str, text: str, **meta: str):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return segment(read(SourceFile(f, str(f), dict(meta))))


def heads(doc):
    return [(it.number, it.title) for it in doc.items]


def test_borough_council_proceedings_heading_and_numbered_minutes(tmp_path):
    doc = doc_of(tmp_path, "minutes.txt", BOROUGH)
    assert doc.meta["committee"] == "Council" and doc.meta["date"] == "2023-03-27"
    assert doc.raw.methods == {"committee": "text:heading", "date": "text:heading"}
    assert heads(doc) == [("85", "Apologies for Absence"), ("86", "Minutes"), ("87", "Declarations of Interest"),
                          ("88", "Housing Revenue Account Budget 2023/24"), ("89", "Reports of Committees"),
                          ("90", "Notice of Motion: Climate Emergency"), ("91", "Date of Next Meeting")]
    assert [it.number for it in doc.items if it.procedural] == ["85", "86", "87", "91"]
    assert doc.raw.text.startswith("BOROUGH COUNCIL OF KINGSMERE")  # the council's heading line is kept for decide_council


def test_borough_council_furniture_bullets_sub_items_and_formal_resolutions(tmp_path):
    doc = doc_of(tmp_path, "minutes.txt", BOROUGH)
    everything = "\n".join(it.text for it in doc.items)
    assert "Kingsmere Borough Council Minutes" not in everything and "- 3 -" not in everything
    assert "Page 4 of 9" not in everything and "5 of 9" not in everything and "____" not in everything and "-----" not in everything
    assert "\uf0b7" not in everything
    budget = doc.items[3]
    bullets = [p for p in budget.points if p.kind == "bullet"]
    assert [p.text[:20] for p in bullets] == ["the rent increase of", "the service charge f"]
    (action,) = budget.actions
    assert action.proposer == "Councillor Brown" and action.seconder == "Councillor Clarke"
    assert action.text.endswith("be approved.")
    reports = doc.items[4]  # (a) and (b) stay inside their item
    assert "Planning Committee" in reports.text and "Licensing Committee" in reports.text
    (motion,) = doc.items[5].actions
    assert (motion.proposer, motion.seconder) == ("Councillor Dunn", "Councillor Evans")


def test_minute_numbers_with_year_prefix(tmp_path):
    doc = doc_of(tmp_path, "cabinet.txt", CABINET)
    assert doc.meta["committee"] == "Cabinet" and doc.meta["date"] == "2024-03-12"  # not 13 February (previous meeting)
    assert heads(doc) == [("23/45", "Apologies"), ("23/46", "Minutes of the previous meeting"),
                          ("23/47", "Leisure Centre Contract"), ("23/48", "Public Questions")]
    assert [it.procedural for it in doc.items] == [True, True, False, True]
    assert doc.items[2].actions[0].text == "RESOLVED: That the contract be awarded to the preferred bidder."


def test_item_headings_and_committee_meeting_heading(tmp_path):
    doc = doc_of(tmp_path, "planning.txt", PLANNING)
    assert doc.meta["committee"] == "Planning Committee" and doc.meta["date"] == "2022-05-03"
    assert heads(doc) == [("5", "Declarations of Interest"), ("6", "Land at Mill Lane, Hawley"), ("7", "Appeals Update")]


def test_number_alone_with_title_below_and_committee_dash_date_heading(tmp_path):
    doc = doc_of(tmp_path, "cab.txt", LONE)
    assert doc.meta["committee"] == "Cabinet" and doc.meta["date"] == "2025-01-09"
    assert heads(doc) == [("51", "Apologies for Absence"), ("52", "School Transport Policy"),
                          ("53", "Exclusion of the Press and Public")]
    assert doc.items[1].actions[0].text.startswith("Agreed that the draft policy")


def test_all_caps_titles_without_numbers(tmp_path):
    doc = doc_of(tmp_path, "audit.txt", CAPS)
    assert doc.meta["committee"] == "Audit Committee" and doc.meta["date"] == "2023-11-14"
    assert heads(doc) == [(None, "Apologies"), (None, "Internal Audit Progress Report"), (None, "Risk Management Update")]


def test_bare_numbers_without_a_dot(tmp_path):
    doc = doc_of(tmp_path, "panel.txt", BARE)
    assert heads(doc) == [("12", "Apologies"), ("13", "Matters Arising"), ("14", "Homelessness Review"),
                          ("15", "Work Programme")]
    assert [it.procedural for it in doc.items] == [True, True, False, True]


def test_numbered_paragraphs_are_not_items_and_a_body_date_is_not_the_meeting(tmp_path):
    doc = doc_of(tmp_path, "fostering.txt", PARAGRAPHS_ONLY)
    assert len(doc.items) == 1 and doc.items[0].title == ""
    assert "date" not in doc.meta and "committee" not in doc.meta
    assert len(doc.items[0].actions) == 1 and len(doc.items[0].points) >= 3


@pytest.mark.parametrize("name,date", [
    ("CPP_Minutes_10.12.24.txt", "2024-12-10"),
    ("kent_2024-10-29_cpp.txt", "2024-10-29"),
    ("Printed minutes 13th-Mar-2025 10.00 County Council.txt", "2025-03-13"),
])
def test_file_name_date_is_the_last_resort(tmp_path, name, date):
    doc = doc_of(tmp_path, name, PARAGRAPHS_ONLY)
    assert doc.meta["date"] == date and doc.raw.methods == {"date": "file-name"}
    headed = doc_of(tmp_path, name, CABINET)
    assert headed.meta["date"] == "2024-03-12" and headed.raw.methods["date"] == "text:heading"


def test_user_metadata_wins_and_a_given_title_keeps_the_file_one_item(tmp_path):
    doc = doc_of(tmp_path, "m.txt", CABINET, date="2024-03-13", committee="Executive")
    assert doc.meta["date"] == "2024-03-13" and doc.meta["committee"] == "Executive"
    assert doc.raw.methods == {"date": "metadata", "committee": "metadata"}
    one = doc_of(tmp_path, "one.txt", BARE, title="Homelessness Review")
    assert heads(one) == [(None, "Homelessness Review")]


def test_text_quoted_again_by_amendments_is_not_a_running_header(tmp_path):
    quoted = "Endorse the joint work with the district councils on devolution"
    text = "\n\n".join(f"Amendment {n} proposed that the Council:\n(1)\n\n{quoted}\nand report back by March." for n in range(5))
    doc = doc_of(tmp_path, "amend.txt", text)
    assert "\n".join(it.text for it in doc.items).count(quoted) == 5
