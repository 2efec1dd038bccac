"""The follow-up scorer (issue 20 part 6) against the labelled pairs of the councils held out before training: the figures
shipped with the model are the ones the labelled file gives, and ingest links only with a model that reached the bar."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE, SHARED, need

REPORTS = SHARED / "data" / "ofsted" / "reports"
HELD_OUT = ["80474_herefordshire_2014-06-30", "80474_herefordshire_2018-07-23", "80498_haringey_2014-07-18",
            "80498_haringey_2018-12-14"]
GOLD = Path(__file__).parent / "gold" / "followups.json"


@pytest.fixture(scope="module")
def held_out(tmp_path_factory) -> Path:
    """The seeds and the held-out councils' reports (Herefordshire and Haringey) in one data directory."""
    from councilkg.embed.pipeline import ingest

    paths = [need(REPORTS / f"{name}.pdf") for name in HELD_OUT]
    data = tmp_path_factory.mktemp("followups")
    report = ingest([str(SAMPLE), *map(str, paths)], data)
    assert report.ingested == 9 and not report.failed, report
    return data


def test_the_held_out_figures_are_the_shipped_ones(held_out):
    from councilkg.embed.train_followups import evaluate, labelled
    from councilkg.graph import followup_model, store

    con = store.connect(held_out, readonly=True)
    gold = json.loads(GOLD.read_text())
    want = [p for p in gold["pairs"] if p["split"] == "heldout"]
    assert {p["council"] for p in want} == set(gold["heldout_councils"])
    assert len([r for r in labelled(con) if r["split"] == "heldout"]) == len(want)  # every held-out pair is found here
    m = followup_model.model()
    got = evaluate(con, m)["heldout"]
    assert (got["precision"] or 0.0, got["recall"] or 0.0) == pytest.approx((m.heldout_precision, m.heldout_recall), abs=1e-3)
    assert m.trusted == (min(m.cv_precision, m.heldout_precision) >= followup_model.MIN_PRECISION)
    if m.trusted:
        assert got["precision"] >= followup_model.MIN_PRECISION and got["tp"] > 0


def test_ingest_links_only_with_a_trusted_model(held_out):
    from councilkg.graph import followup_model, store

    made = store.connect(held_out, readonly=True).execute("SELECT count(*) FROM followups").fetchone()[0]
    assert followup_model.model().trusted or made == 0


def test_the_scorer_loads_fast_without_sklearn():
    code = ("import sys, time; t = time.time(); from councilkg.embed import followup; from councilkg.graph import followup_model;"
            " followup_model.model(); print(time.time() - t, 'sklearn' in sys.modules)")
    took, sk = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert float(took) < 1.0 and sk == "False"
