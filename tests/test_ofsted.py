"""Ofsted's register (graph/data/inspections.csv) and the resolver linking inspection mentions to its events, measured on
labelled pairs (tests/gold/mention_events.json)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from councilkg.corpus.discover import discover
from councilkg.corpus.readers import read
from councilkg.corpus.segment import segment
from councilkg.graph import ofsted
from councilkg.graph.councils import gazetteer
from councilkg.graph.extract import extract
from councilkg.graph.inspections import inspections
from councilkg.graph.sentences import Sentence

SHARED = Path(__file__).resolve().parents[2] / "shared"
GOLD = json.loads((Path(__file__).parent / "gold" / "mention_events.json").read_text(encoding="utf-8"))
HEREFORDSHIRE = "E06000019"


def test_register_holds_herefordshire_and_codes_as_of_the_inspection():
    events = {e["id"]: e for e in ofsted.events(HEREFORDSHIRE)}
    june = events["ofsted-ilacs-E06000019-2018-06-11"]
    assert (june["end"], june["published"], june["overall"], june["framework"]) == ("2018-06-22", "2018-07-23", "requires-improvement", "standard")
    assert june["grades"]["leaders"] == "inadequate" and june["url"].startswith("https://files.ofsted.gov.uk/")
    assert events["ofsted-ilacs-E06000019-2022-07-18"]["overall"] == "inadequate"
    reg = ofsted.register()
    assert "ofsted-ilacs-E10000023-2018-07-02" in {e["id"] for e in reg["E10000023"]}  # North Yorkshire County Council, not the 2023 unitary
    assert all(g in gazetteer() for g in reg)
    rows = [e for es in reg.values() for e in es]
    assert len({e["id"] for e in rows}) == len(rows) > 700
    assert {e["type"] for e in rows} == {"ilacs", "sif", "slac", "cpi", "tlac", "focused-visit", "monitoring-visit"}


def test_grade_in_force_follows_publication():
    assert ofsted.grade_in_force(HEREFORDSHIRE, "2018-07-01") == "requires-improvement"  # the SIF of 2014 still stood
    assert ofsted.grade_in_force(HEREFORDSHIRE, "2022-08-01") == "requires-improvement"  # inspected in July, published in September
    assert ofsted.grade_in_force(HEREFORDSHIRE, "2022-10-01") == "inadequate"
    assert ofsted.grade_in_force(HEREFORDSHIRE, "2010-01-01") is None


def test_build_script_reproduces_the_shipped_register(tmp_path):
    src = SHARED / "data" / "ofsted"
    if not src.exists():
        pytest.skip("../shared/data/ofsted is absent")
    from councilkg.graph.ofsted_build import build

    rows = build(src)
    shipped = list(csv.DictReader(open(ofsted.DATA, newline="", encoding="utf-8")))
    assert rows == shipped


def _pairs() -> list[tuple[str | None, str | None, str]]:
    """(gold event, resolved event, where) for every happened mention in the labelled documents and sentences."""
    out = []
    for path, want in GOLD["documents"].items():
        found = list(discover([str(SHARED / path)]))
        doc = segment(read(found[0]))
        f = extract(doc)
        got = [ofsted.resolve_event(f.council.gss, i.type, i.date, i.date_precision, i.evidence.quote, doc.meta.get("date"))
               for i in f.inspections if i.status == "happened"]
        assert len(got) == len(want), (path, len(got))
        out += [(w, g and g["id"], path) for w, g in zip(want, got)]
    for case in GOLD["written"]:
        found = inspections([[Sentence(0, 0, 0, case["text"])]])
        got = [ofsted.resolve_event(case["gss"], i.type, i.date, i.date_precision, i.evidence.quote, case["on"])
               for i in found if i.status == "happened"]
        out.append((case["event"], got[0]["id"] if got and got[0] else None, case["text"]))
    return out


def score(pairs) -> dict:
    c = Counter()
    for want, got, _ in pairs:
        if got:
            c["tp" if got == want else "fp"] += 1
        if want and got != want:
            c["fn"] += 1
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return {"precision": round(p, 3), "recall": round(r, 3), "pairs": len(pairs), **c}


def test_mentions_resolve_to_official_events_precision_first():
    if not SHARED.exists():
        pytest.skip("../shared is absent")
    pairs = _pairs()
    report = score(pairs)
    print(f"\nmention -> event: {report}")
    for want, got, where in pairs:
        if want != got:
            print(f"   want {want} got {got}: {where[:90]}")
    assert report["precision"] >= 0.95 and report["recall"] >= 0.7, report


def test_a_report_s_dates_resolve_to_the_event_and_nothing_else_does():
    june = ofsted.resolve_event(HEREFORDSHIRE, "ilacs", ("2018-06-11", "2018-06-22"), "range")
    assert june["id"] == "ofsted-ilacs-E06000019-2018-06-11"
    assert ofsted.resolve_event(HEREFORDSHIRE, "sif", ("2018-06-11", "2018-06-22"), "range") is None  # wrong framework
    assert ofsted.resolve_event("E09000014", "ilacs", ("2018-06-11", "2018-06-22"), "range") is None  # another council
    assert ofsted.resolve_event(HEREFORDSHIRE, "asc-assessment", "2018-06", "month") is None  # not Ofsted's record
    assert ofsted.resolve_event(None, "ilacs", "2018-06", "month") is None


CLAIM = """council: Herefordshire Council
date: 2019-02-04
committee: Children and young people scrutiny committee
title: Ofsted inspection outcome
---
Ofsted inspection outcome

The Director reminded members that the ILACS inspection in June 2018 had judged the council inadequate overall.

Members asked how the service would recruit more permanent social workers.
"""


@pytest.fixture(scope="module")
def claim_data(tmp_path_factory) -> Path:
    """A data directory holding one Herefordshire meeting whose minutes misstate the June 2018 grade."""
    from councilkg.graph import store

    tmp = tmp_path_factory.mktemp("claim")
    path = tmp / "claim.txt"
    path.write_text(CLAIM, encoding="utf-8")
    doc = segment(read(next(iter(discover([str(path)])))))
    con = store.connect(tmp / "data")
    con.execute("BEGIN")
    store.write_document(con, doc, extract(doc), {}, "2024-01-01T00:00:00")
    con.execute("COMMIT")
    con.close()
    return tmp / "data"


def test_a_grade_the_minutes_state_against_the_record_is_kept_as_their_claim_and_flagged(claim_data):
    from rdflib import Literal
    from rdflib.namespace import PROV

    from councilkg.graph import rdf, store
    from councilkg.graph.vocab import CKG, ID

    con = store.connect(claim_data, readonly=True)
    g = rdf.build_graph(con)
    june = ID["inspection/ofsted-ilacs-E06000019-2018-06-11"]
    official = {str(g.value(j, CKG.grade)).rsplit("/", 1)[1] for j in g.objects(june, CKG.judgement) if not g.value(j, CKG.judgementArea)}
    assert official == {"requires-improvement"}  # the record stands
    (claim,) = list(g.objects(june, CKG.statedJudgement))
    assert str(g.value(claim, CKG.grade)).endswith("/inadequate") and g.value(claim, CKG.agreesWithRecord) == Literal(False)
    assert "June 2018" in str(g.value(g.value(claim, PROV.wasDerivedFrom), CKG.text))
    assert len([i for i in g.subjects(CKG.inspectedCouncil, ID["council/E06000019"]) if g.value(i, CKG.inspectionDate) is not None
                and str(g.value(i, CKG.inspectionDate)).startswith("2018-06")]) == 1
    from councilkg.web.inspections import discussions

    (d,) = discussions(con, ["ofsted-ilacs-E06000019-2018-06-11"])["ofsted-ilacs-E06000019-2018-06-11"]
    assert d["claims"][0]["contradicts_record"] and d["claims"][0]["record"] == "requires-improvement"


def test_cli_lists_the_councils_inspections_with_filters(claim_data):
    from click.testing import CliRunner

    from councilkg.web.cli import main

    run = lambda *a: CliRunner().invoke(main, ["inspections", "--data", str(claim_data), *a])  # noqa: E731
    out = json.loads(run("--council", "Herefordshire", "--grade", "requires improvement", "--json").output)
    assert [e["id"] for e in out["inspections"]] == ["ofsted-ilacs-E06000019-2018-06-11", "ofsted-sif-E06000019-2014-06-30"]
    assert out["inspections"][0]["discussed_in"][0]["claims"][0]["contradicts_record"] is True
    text = run("--year", "2022").output
    assert "Herefordshire Council: ILACS inspection (standard)  inadequate  discussed in 0 meeting(s)" in text
    bad = run("--grade", "brilliant")
    assert bad.exit_code != 0 and "unknown grade" in bad.output and "Traceback" not in bad.output
