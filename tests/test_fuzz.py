"""Fuzzing the readers and the segmenter for a bounded time: whatever the bytes, the only exception is our own InputError."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability import SAMPLE, make_pdf, minutes_lines

from councilkg.corpus.model import InputError, RawDocument, SourceFile
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment

SHARED = Path(__file__).resolve().parents[2] / "shared"
# Bounded so the file takes well under a minute on two cores; raise max_examples locally to fuzz longer.
FUZZ = settings(max_examples=150, deadline=2000, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

SEEDS = [p.read_bytes() for p in sorted(SAMPLE.glob("*.txt"))]
PDF_SEED = make_pdf(minutes_lines("000", "fuzz"))
KENT_PDFS = sorted((SHARED / "data" / "kent-pdf").glob("*.pdf"))
# Fragments of real minutes, so random texts hit the segmenter's rules rather than only its fallbacks.
FRAGMENTS = [
    "(Item 7)", "85.", "12. Apologies for absence", "RESOLVED that:", "RESOLVED:", "Agreed that", "Actions Required",
    "That: a) the report be noted", "b)", "(A)", "In response to questions from Cllr Smith, it was noted that:",
    "· ", "• ", "- ", "1.", "a.", "Page 3", "This page is intentionally left blank", "Minutes:",
    "Meeting: 25/11/2019 - Cabinet (Item 29)", "Issue - meetings", "pdf icon PDF 152 KB", "Declarations of interest",
    "Ofsted judged the service inadequate in 2018.", "The committee noted the social worker recruitment figures.",
    "Members asked about agency staff costs.", "---", "council: Kent County Council", "date: 2024-12-19", "\n", "\n\n", " ",
]
text_from_fragments = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=40), max_size=60).map(" ".join)


def _read_bytes(data: bytes, suffix: str, meta: dict | None = None) -> None:
    """Write the bytes to a real file and read, segment it: InputError is fine, anything else fails the test."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            segment(read(SourceFile(path=path, given=str(path), meta=dict(meta or {}))))
        except InputError as e:
            assert "\n" not in e.reason and e.reason, repr(e.reason)


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply (position, delete count, insert) edits: flips, cuts and splices of real bytes."""
    out = bytearray(data)
    for pos, cut, ins in edits:
        pos %= max(len(out), 1)
        out[pos:pos + cut] = ins
    return bytes(out)


edits = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 64), st.binary(max_size=16)), min_size=1, max_size=8)


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".txt", ".md", ".html", ".htm", ".pdf"]))
def test_random_bytes(data, suffix):
    _read_bytes(data, suffix)


@FUZZ
@given(seed=st.sampled_from(SEEDS), ed=edits, suffix=st.sampled_from([".txt", ".html"]))
def test_mutated_seeds(seed, ed, suffix):
    _read_bytes(_mutate(seed, ed), suffix)


@FUZZ
@given(ed=edits)
def test_mutated_pdf(ed):
    _read_bytes(_mutate(PDF_SEED, ed), ".pdf")


@pytest.mark.skipif(not KENT_PDFS, reason="../shared/data/kent-pdf not available")
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(ed=edits, which=st.integers(0, 7))
def test_mutated_real_pdf(ed, which):
    pdf = KENT_PDFS[which % len(KENT_PDFS)]
    _read_bytes(_mutate(pdf.read_bytes(), ed), ".pdf")


@FUZZ
@given(text=text_from_fragments, header=st.dictionaries(st.sampled_from(["council", "date", "committee", "item", "title", "x"]),
                                                           st.text(max_size=20), max_size=4))
def test_minutes_like_text(text, header):
    """Header keys and values included: a bad date must be an InputError, never a crash."""
    _read_bytes(text.encode("utf-8", "surrogatepass"), ".txt", header)


@FUZZ
@given(text=text_from_fragments)
def test_segmenter_alone(text):
    src = SourceFile(path=Path("fuzz.txt"), given="fuzz.txt")
    try:
        doc = segment(RawDocument(source=src, text=text, fmt="text"))
    except InputError:
        return
    for item in doc.items:
        assert all(p.text.strip() for p in item.points)
