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


def test_held_out_follow_ups_fall_before_the_next_inspection_and_under_an_item_about_it(held_out):
    """The diagnosis in docs/ofsted-reports.md, on the held-out councils: every labelled follow-up's meeting comes before
    the council's next full inspection (Ofsted's record), and sits in an agenda item whose inspection mention resolves to
    the recommendation's own event (seed 000 and the 2018 report: 35 pairs, the 5 follow-ups among them)."""
    import importlib.util

    from councilkg.embed.train_followups import labelled
    from councilkg.graph import store

    spec = importlib.util.spec_from_file_location("followup_signals", Path(__file__).parent / "eval" / "followup_signals.py")
    signals = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(signals)
    con = store.connect(held_out, readonly=True)
    rows = [r for r in labelled(con) if r["split"] == "heldout"]
    y = [r["addresses"] for r in rows]
    window, gate = signals.in_window(con, rows), signals.gated(con, rows)
    assert sum(y) == 5 and all(window[n] and gate[n] for n in range(len(rows)) if y[n])
    assert (int(window.sum()), int(gate.sum())) == (89, 35)
    assert {r["report"] for r, g in zip(rows, gate) if g} == {"80474_herefordshire_2018-07-23"}


def test_ingest_links_only_with_a_trusted_model(held_out):
    from councilkg.graph import followup_model, store

    made = store.connect(held_out, readonly=True).execute("SELECT count(*) FROM followups").fetchone()[0]
    assert followup_model.model().trusted or made == 0


def test_the_scorer_loads_fast_without_sklearn():
    code = ("import sys, time; t = time.time(); from councilkg.embed import followup; from councilkg.graph import followup_model;"
            " followup_model.model(); print(time.time() - t, 'sklearn' in sys.modules)")
    took, sk = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert float(took) < 1.0 and sk == "False"


def _ingest(data: Path, *paths: Path, env: dict) -> subprocess.Popen:
    from conftest import COUNCILKG

    return subprocess.Popen([str(COUNCILKG), "ingest", *map(str, paths), "--data", str(data)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def _rows(data: Path, sql: str) -> list[tuple]:
    import sqlite3

    con = sqlite3.connect(f"file:{data / 'councilkg.sqlite'}?mode=ro", uri=True, timeout=30)
    try:
        return sorted(con.execute(sql).fetchall())
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        con.close()


@pytest.mark.slow
def test_follow_ups_survive_a_sigkill_between_the_commit_and_their_transaction(tmp_path):
    """Killed after the ingest's commit and before its follow-up transaction, the data directory holds the documents and
    the note that their follow-ups are owed; the next run, with nothing new to read, writes exactly the links an
    uninterrupted run writes. (A scorer linking every candidate stands in for a trusted model.)"""
    import os
    import shutil
    import signal
    import time
    from dataclasses import replace

    from councilkg.graph import followup_model

    report = need(REPORTS / f"{HELD_OUT[1]}.pdf")
    scorer = tmp_path / "every-candidate.npz"
    followup_model.save(replace(followup_model.model(), threshold=0.0, cv_precision=1.0, heldout_precision=1.0), scorer)
    env = dict(os.environ, HF_HUB_OFFLINE="1", **{followup_model.ENV: str(scorer)})
    base = tmp_path / "base"
    assert _ingest(base, report, env=env).wait(timeout=600) == 0
    links = "SELECT recommendation_id, point_id, round(score, 6) FROM followups"
    whole = tmp_path / "whole"
    shutil.copytree(base, whole)
    assert _ingest(whole, SAMPLE, env=env).wait(timeout=600) == 0
    want = _rows(whole, links)
    assert want and not _rows(whole, "SELECT * FROM followups_pending")
    for trial in range(5):  # a kill that misses the window (the follow-ups already written) is tried again
        data = tmp_path / f"trial-{trial}"
        shutil.copytree(base, data)
        proc = _ingest(data, SAMPLE, env=env)
        while proc.poll() is None and not _rows(data, "SELECT doc_id FROM followups_pending"):
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGSTOP)  # frozen while we look, so what we see is where it is killed
        owed, made = _rows(data, "SELECT doc_id FROM followups_pending"), _rows(data, links)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        if owed and not made:
            break
    else:
        pytest.fail("no kill landed between the ingest's commit and its follow-up transaction")
    assert _rows(data, "SELECT count(*) FROM documents") == _rows(whole, "SELECT count(*) FROM documents")
    rerun = _ingest(data, SAMPLE, env=env)
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read()
    assert _rows(data, links) == want
    assert not _rows(data, "SELECT * FROM followups_pending")


V3 = Path(__file__).parent / "gold" / "followups_v3.json"


def test_the_third_set_lies_inside_the_timing_rule_and_holds_no_text():
    """Every pair of tests/gold/followups_v3.json falls after its report's publication and before the council's next full
    inspection, read from Ofsted's record (graph/data/inspections.csv) independently of the store; texts are held by
    SHA-1 only, points name their ../shared file; the labels are the docs' (199 pairs, no follow-up)."""
    import csv

    from councilkg.graph.shared_text import held_back

    full = ("ilacs", "sif", "tlac", "cpi", "slac")
    with open(Path(__file__).parents[1] / "graph" / "data" / "inspections.csv", encoding="utf-8") as fh:
        register = [r for r in csv.DictReader(fh) if r["type"] in full]
    pairs = json.loads(V3.read_text())["pairs"]
    assert (len(pairs), sum(p["addresses"] for p in pairs)) == (199, 0)
    for p in pairs:
        published = p["report"].rsplit("_", 1)[1]
        own = next(r for r in register if r["gss"] == p["council"] and r["published"] == published)
        nxt = min((r["start"] or r["published"] for r in register if r["gss"] == p["council"]
                   and (r["start"] or r["published"]) > (own["start"] or published)), default="9999")
        assert published < p["meeting"] < nxt, p
        assert held_back(p["source"]) and not {"text", "point", "item"} & set(p), p
        assert isinstance(p["addresses"], bool) and p["drawn"] in ("top30", "random", "all")


def test_the_third_sets_kingston_pairs_resolve_in_a_store(tmp_path):
    """The held SHA-1s resolve: Kingston's report and its neighbourhood committee's minutes ingested, all 19 labelled
    pairs are found, every window point is one of them, and the window is open (no later full inspection)."""
    import importlib.util

    from councilkg.embed.pipeline import ingest
    from councilkg.embed.train_followups import labelled
    from councilkg.graph import store

    page = need(SHARED / "data" / "moderngov" / "kingston" / "ieListDocuments_2025-11-18.html")
    report = ingest([str(need(REPORTS / "80545_kingston-upon-thames_2025-01-29.pdf")), str(page)], tmp_path)
    assert report.ingested == 2 and not report.failed, report
    spec = importlib.util.spec_from_file_location("followups_v3", Path(__file__).parent / "eval" / "followups_v3.py")
    v3 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(v3)
    con = store.connect(tmp_path, readonly=True)
    rows = labelled(con, V3)
    ((rid, *_),) = v3.new_recs(con)
    assert len(rows) == 19 and {r["rec_id"] for r in rows} == {rid}
    assert v3.window(con, rid) == ("2025-01-29", "9999")
    assert {p[0] for p in v3.window_points(con, rid)} == {r["point_id"] for r in rows}
