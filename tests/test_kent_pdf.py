"""The eight real Kent minutes PDFs split into their numbered items, with no page furniture in any point."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from councilkg.corpus.discover import discover
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment

SHARED = Path(__file__).resolve().parents[2] / "shared"
KENT_PDF = SHARED / "data" / "kent-pdf"
INDEX = SHARED / "data" / "kent-items" / "index.tsv"


@pytest.fixture(scope="module")
def docs():
    if not KENT_PDF.exists() or not INDEX.exists():
        pytest.skip(f"{KENT_PDF} not available")
    return {src.path.name: segment(read(src)) for src in discover([str(KENT_PDF)])}


@pytest.fixture(scope="module")
def index():
    with INDEX.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_every_pdf_reads_and_splits_into_several_items(docs):
    assert len(docs) == 8
    for name, doc in docs.items():
        assert doc.raw.fmt == "pdf"
        assert len(doc.items) >= 3, name
        numbers = [int(it.number) for it in doc.items]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), (name, numbers)


def test_items_match_the_titles_in_the_index(docs, index):
    checked = 0
    for row in index:
        name = row["source"].rsplit("/", 1)[-1].replace(" ", "_")
        m = re.match(r"^(.*) \(Item (\d+)\)$", row["title"])
        title, number = m.group(1), m.group(2)
        doc = docs[name]
        (item,) = [it for it in doc.items if it.number == number]
        assert item.title == title, (name, number)
        assert doc.meta["date"] == row["date"], name
        assert doc.meta["committee"] == row["committee"], name
        checked += 1
    assert checked == 43


FURNITURE = re.compile(r"^\d{1,3}$|intentionally left blank|^KENT COUNTY COUNCIL$|^\(Item \d+\)$|UNRESTRICTED ITEMS", re.I)


def test_no_page_furniture_in_any_point(docs):
    for name, doc in docs.items():
        for item in doc.items:
            assert "(Item " not in item.title and not re.match(r"^\d+\.", item.title), item.title
            for unit in [*item.points, *item.actions]:
                assert not FURNITURE.search(unit.text), (name, unit.text)
                assert "(Item " not in unit.text and "=====" not in unit.text
            for para in item.text.split("\n\n"):
                assert not re.fullmatch(r"\d{1,3}\.?", para.strip()), (name, item.number)


def test_page_breaks_do_not_split_a_paragraph(docs):
    doc = docs["Minutes_of_the_meeting_held_on_9th_January_2025.pdf"]
    (item,) = [it for it in doc.items if it.number == "5"]
    assert item.points[0].text.startswith("Mr Shipton introduced the report")
    assert item.points[0].text.endswith("to which the Council would be responding.")
    assert len(item.actions) == 1 and item.actions[0].text.startswith("RESOLVED that Cabinet note the provisional")
    cpp = docs["CPP_Minutes_29.10.24.pdf"]
    (adoption,) = [it for it in cpp.items if it.number == "6"]
    assert any("spoke regarding therapeutic parenting" in p.text for p in adoption.points)


def test_procedural_items_marked(docs):
    doc = docs["19_December_2024_-_County_Council_minutes.pdf"]
    procedural = {it.number for it in doc.items if it.procedural}
    assert {"1", "2", "3"} <= procedural
    assert not {"7", "8", "9"} & procedural


def test_without_item_markers_the_minute_numbers_still_split_the_meeting(docs):
    """The six minute-numbered PDFs ('292. Apologies for Absence') split the same with their '(Item N)' lines removed."""
    from councilkg.corpus.blocks import wrap_width
    from councilkg.corpus.segment import clean_lines, split_headings, split_items

    for name, doc in docs.items():
        if name.startswith("CPP_"):  # unnumbered mixed-case titles: only the markers delimit them
            continue
        lines = clean_lines(doc.raw.text, keep_numbers=True)
        stripped = [ln for ln in lines if not re.fullmatch(r"\(Item\s+\d+\)", ln.strip())]
        assert [t for _, t, _ in split_headings(stripped, wrap_width(stripped))] == [
            t for _, t, _ in split_items(lines)], name
