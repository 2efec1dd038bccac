"""Parish, town and community council minutes split into their items whatever form the numbering takes: Markdown
escapes, numbers with no space before the title, rows of an HTML table, items of an HTML list."""

from __future__ import annotations

from pathlib import Path

from councilkg.corpus.model import SourceFile
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment

ESCAPED = r"""# Wexcombe Parish Council

Minutes of the meeting of Wexcombe Parish Council held in the Village Hall on Thursday 14 March 2024 at 7.30pm

Present: Cllr A Rowe (Chair), Cllr B Sims, Cllr C Tate. Clerk: Mrs D Voss.

1\. Apologies

Cllr E Webb.

2\. Declarations of interest

None.

3\. Minutes of the last meeting

Agreed and signed as a correct record.

4\. Village pond

The pond has silted up again. The clerk will ask the Environment Agency whether a licence is needed to clear it,
and members agreed to spend up to £900 on the work. Residents reported that ducks are nesting there again.

5\. Finance

1\. Payments of £512.40 were approved.
2\. The clerk's pay award for 2024/25 was agreed.

6\. Date of next meeting

Thursday 11 April 2024.
"""

UNSPACED = """ALDERBY TOWN COUNCIL

Minutes of the meeting of Alderby Town Council held on Monday 8 July 2024 at 7pm at the Guildhall

1.Those Present
Councillors F Allen (Mayor), G Brook, H Coles and J Drew; the Town Clerk.

2.Apologies
Councillor K Eyre.

3.Minutes
RESOLVED that the minutes of 10 June 2024 be approved.

4.Market Square Seating
The Clerk reported that the new benches had been delivered. Councillor Brook asked that one be placed beside the
bus stop for older residents waiting for the hourly service.
RESOLVED that the benches be installed before the summer fair.

5.Date of Next Meeting
Monday 9 September 2024.
"""

TABLE = """<html><head><title>Birchfield Parish Council minutes</title></head><body>
<h1>Birchfield Parish Council</h1>
<p>Minutes of the meeting held on Tuesday 3 September 2024 in the Reading Room</p>
<p>Present: Cllrs L Moss (Chair), M Nash, N Oakes</p>
<table>
<tr><th>Ref</th><th>Business</th></tr>
<tr><td>24/61</td><td><b>Apologies</b><br>Cllr P Rand.</td></tr>
<tr><td>24/62</td><td><b>Declarations of interest</b><br>None.</td></tr>
<tr><td>24/63</td><td><b>Speeding on Mill Road</b><br>Residents reported cars at over 50 mph past the school. The clerk will ask
the police for a speed check and members agreed to buy a second speed sign.</td></tr>
<tr><td>24/64</td><td><b>Accounts</b><br>Payments of £1,204.00 were approved and the bank reconciliation was signed.</td></tr>
</table>
</body></html>
"""

LIST = """<html><head><title>Cwm Isaf Community Council minutes</title></head><body>
<h2>Cwm Isaf Community Council</h2>
<p>Minutes of the meeting held on Wednesday 2 October 2024 at the Chapel Vestry</p>
<p>Present: Cllr R Hughes (Chair), Cllr S Jenkins, Cllr T Lewis</p>
<ol>
<li><strong>Apologies</strong><p>Cllr U Morgan.</p></li>
<li><strong>Declarations of interest</strong><p>None.</p></li>
<li><strong>Bus shelter</strong><p>The shelter at Pen y Bont was damaged in the storm. The clerk will get two quotes for its repair and
ask the county council to share the cost.</p>
<ul><li>Cllr Jenkins will photograph the damage for the insurer.</li><li>The timetable case will be replaced at the same time.</li></ul></li>
<li><strong>Date of next meeting</strong><p>Wednesday 6 November 2024.</p></li>
</ol>
</body></html>
"""


def doc_of(tmp_path: Path, name: str, text: str):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return segment(read(SourceFile(f, str(f), {})))


def heads(doc):
    return [(it.number, it.title) for it in doc.items]


def test_markdown_escaped_numbering(tmp_path):
    doc = doc_of(tmp_path, "wexcombe.md", ESCAPED)
    assert heads(doc) == [("1", "Apologies"), ("2", "Declarations of interest"), ("3", "Minutes of the last meeting"),
                          ("4", "Village pond"), ("5", "Finance"), ("6", "Date of next meeting")]
    assert [it.procedural for it in doc.items] == [True, True, True, False, False, True]
    assert "\\" not in "".join(it.text for it in doc.items)  # escapes are markup, not text
    assert len(doc.items[4].points) == 2  # '1\\. Payments …' stays a numbered point inside Finance


def test_numbers_with_no_space_before_the_title(tmp_path):
    doc = doc_of(tmp_path, "alderby.txt", UNSPACED)
    assert heads(doc) == [("1", "Those Present"), ("2", "Apologies"), ("3", "Minutes"), ("4", "Market Square Seating"),
                          ("5", "Date of Next Meeting")]
    (action,) = doc.items[3].actions
    assert action.text.startswith("RESOLVED that the benches")


def test_html_table_rows_are_items(tmp_path):
    doc = doc_of(tmp_path, "birchfield.html", TABLE)
    assert heads(doc) == [("24/61", "Apologies"), ("24/62", "Declarations of interest"), ("24/63", "Speeding on Mill Road"),
                          ("24/64", "Accounts")]
    assert doc.items[2].text.startswith("Residents reported cars at over 50 mph")


def test_html_list_items_are_items_and_their_inner_bullets_points(tmp_path):
    doc = doc_of(tmp_path, "cwm-isaf.html", LIST)
    assert heads(doc) == [("1", "Apologies"), ("2", "Declarations of interest"), ("3", "Bus shelter"),
                          ("4", "Date of next meeting")]
    shelter = doc.items[2]
    assert [p.kind for p in shelter.points].count("bullet") == 2


def test_inline_title_keeps_its_text_as_the_body(tmp_path):
    text = UNSPACED.replace("2.Apologies\nCouncillor K Eyre.", "2.Apologies: Councillor K Eyre sent apologies.")
    doc = doc_of(tmp_path, "alderby.txt", text)
    assert doc.items[1].title == "Apologies" and doc.items[1].text == "Councillor K Eyre sent apologies."


def test_a_layout_table_around_the_page_keeps_its_paragraphs(tmp_path):
    """Old parish sites put the whole page in a table: the cell holding the minutes is read paragraph by paragraph."""
    page = ("<html><body><table><tr><td><a href='/'>Home</a><br><a href='/m'>Minutes</a></td><td>"
            "<h2>Hexley Parish Council</h2><p>Minutes of the meeting held on Monday 4 November 2024</p>"
            "<p>Present: Cllrs V Ash, W Birch, X Elm</p>"
            "<p>1. Apologies</p><p>Cllr Y Oak.</p>"
            "<p>2. Allotment water supply</p><p>The standpipe froze last winter. Members agreed to lag the pipe and to fit a"
            " drain-down valve before December, at a cost of up to £150.</p>"
            "<p>3. Date of next meeting</p><p>Monday 2 December 2024.</p>"
            "</td></tr></table></body></html>")
    doc = doc_of(tmp_path, "hexley.html", page)
    assert heads(doc) == [("1", "Apologies"), ("2", "Allotment water supply"), ("3", "Date of next meeting")]
    assert doc.items[1].text.startswith("The standpipe froze")
