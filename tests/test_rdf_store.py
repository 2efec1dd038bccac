"""The RDF store kept current in place: after any sequence of commits it holds exactly the export (isomorphic), a kill
mid-update is replayed on next use, and a data directory with the cache of an older version is upgraded."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from councilkg.graph import facts as F
from councilkg.graph import rdf, rdf_store, sparql, store
from conftest import KENT_ITEMS, KENT_PDF, need
from reliability import cli, copy_data, seed_variant
from test_rdf import COUNCILS, HARINGEY, SAMPLE, _facts, _segment, _themes, build_sample, drop_haringey

ROWS = {r["file"][:3]: r for r in csv.DictReader(open(SAMPLE / "manifest.csv", newline="", encoding="utf-8"))}
MADE_UP = ("theme", "made-up-theme"), ("grade", "unheard-of")  # concepts no shipped scheme declares


def commit(data_dir: Path, files: list[Path], made_up: bool = False, claim: bool = False) -> None:
    """One generation that (re)writes these files (named like the sample's, so their facts apply), as an ingest would
    (claim: each inspection also states an overall grade and carries a recommendation, as a report would)."""
    con = store.connect(data_dir)
    con.execute("BEGIN")
    for path in files:
        doc = _segment(path, ROWS[path.name[:3]])
        facts = _facts(path.name, doc)
        if made_up:
            facts.practices.append(F.Practice("made-up practice", "initiative", [MADE_UP[0][1]], None,
                                              F.Evidence(0, 0, doc.items[0].points[0].text[:20])))
            facts.inspections.append(F.Inspection("Ofsted", "ilacs", "2020", "year", "happened",
                                                  F.Evidence(0, 0, doc.items[0].points[0].text[:20]), [F.Judgement(MADE_UP[1][1], None)]))
        for ins in facts.inspections if claim else ():
            ins.judgements.append(F.Judgement("requires-improvement", None))
            ins.recommendations.append(F.Recommendation("Improve the timeliness of assessments", 1, ins.evidence))
        _themes(con, store.write_document(con, doc, facts, COUNCILS, "2024-01-01T00:00:00"))
    store.set_state(con, "generation", str(int(store.get_state(con, "generation", "0")) + 1))
    con.execute("COMMIT")
    con.close()


def copies(folder: Path, n: int, prefix: str = "003") -> list[Path]:
    """n more documents: the sample file `prefix` under other names (so other ids and meetings of the same council)."""
    folder.mkdir(parents=True, exist_ok=True)
    src = next(SAMPLE.glob(f"{prefix}_*.txt"))
    out = []
    for k in range(n):
        dest = folder / f"{prefix}_copy{k:04d}.txt"
        shutil.copyfile(src, dest)
        out.append(dest)
    return out


def triples(st: ox.Store) -> Graph:
    """Every triple of every graph of the store, as one rdflib Graph."""
    text = ox.serialize((q.triple for q in st), format=ox.RdfFormat.N_TRIPLES)
    return Graph().parse(data=text, format="nt")


def export(data_dir: Path) -> Graph:
    con = store.connect(data_dir, readonly=True)
    try:
        return rdf.build_graph(con)
    finally:
        con.close()


def assert_current(data_dir: Path) -> None:
    """The on-disk snapshot, the primary's recorded generation and this process's memory copy all equal the export."""
    want = export(data_dir)
    disk = sparql.open_store(data_dir)
    assert len(disk) == len(want) and isomorphic(triples(disk), want)
    mem = sparql.memory_store(data_dir)
    assert len(mem) == len(want) and isomorphic(triples(mem), want)
    con = store.connect(data_dir, readonly=True)
    assert rdf_store.recorded(data_dir)["generation"] == rdf_store.generation(con)
    con.close()


def declared(st: ox.Store, kind: str, ident: str) -> bool:
    return next(st.quads_for_pattern(ox.NamedNode(str(rdf.iri(kind, ident))), None, None), None) is not None


def test_a_sequence_of_commits_is_replayed_in_place_and_equals_a_fresh_export(tmp_path):
    data_dir = build_sample(tmp_path / "d")
    assert_current(data_dir)  # first use: built
    primary = (data_dir / "rdf" / "store").stat().st_ino
    more = copies(tmp_path / "more", 3)
    commit(data_dir, more)  # documents added (three meetings of a council already held)
    assert_current(data_dir)
    commit(data_dir, [next(SAMPLE.glob("000_*.txt"))], made_up=True)  # a document changed: facts with undeclared concepts
    assert_current(data_dir)
    assert all(declared(sparql.open_store(data_dir), *c) for c in MADE_UP)
    drop_haringey(data_dir)  # a document deleted, and its meeting with it
    assert_current(data_dir)
    assert sparql.query(data_dir, f'ASK {{ ?c ckg:gssCode "{HARINGEY}" ; ^ckg:council ?m }}').boolean is False
    commit(data_dir, [next(SAMPLE.glob("000_*.txt")), more[0]])  # changed back: nothing uses the made-up concepts now
    assert_current(data_dir)
    assert not any(declared(sparql.open_store(data_dir), *c) for c in MADE_UP)
    assert (data_dir / "rdf" / "store").stat().st_ino == primary, "the store was rebuilt, not updated in place"
    snaps = sorted((data_dir / "rdf").glob("snap-*"))
    assert len(snaps) == rdf_store.SNAP_KEEP and snaps[-1].name.startswith("snap-5-")


def ask(data_dir: Path, where: str) -> bool:
    return sparql.query(data_dir, f"ASK {{ {where} }}").boolean


def test_changes_to_the_official_record_and_follow_ups_are_replayed(tmp_path):
    """Rows another owner's triples depend on: Ofsted's event (a document's claim is checked against its judgements) and
    the follow-up links written after an ingest's commit. The store replayed in place still equals a fresh export."""
    from councilkg.embed import followup

    data_dir = build_sample(tmp_path / "d")
    assert_current(data_dir)
    herefordshire = next(SAMPLE.glob("000_*.txt"))
    commit(data_dir, [herefordshire], claim=True)  # the minutes state the ILACS grade Ofsted's record gives
    assert_current(data_dir)
    agrees = "?j ckg:agreesWithRecord ?v . ?e ckg:statedJudgement ?j ; ckg:inOfficialRecord true"
    assert ask(data_dir, agrees.replace("?v", "true")) and not ask(data_dir, agrees.replace("?v", "false"))

    con = store.connect(data_dir)  # Ofsted's record changes (a new register shipped): no document is rewritten
    (event,) = con.execute("SELECT event_id FROM inspections WHERE event_id IS NOT NULL AND doc_id IN "
                           "(SELECT doc_id FROM recommendations)").fetchone()
    con.execute("BEGIN")
    con.execute("UPDATE official_inspections SET judgements = 'overall=good' WHERE id = ?", (event,))
    store.set_state(con, "generation", str(int(store.get_state(con, "generation", "0")) + 1))
    con.execute("COMMIT")
    assert {r[0] for r in con.execute("SELECT kind FROM rdf_log WHERE generation = (SELECT max(generation) FROM rdf_log)")} \
        == {"council", "document"}
    con.close()
    assert_current(data_dir)
    assert ask(data_dir, agrees.replace("?v", "false")) and not ask(data_dir, agrees.replace("?v", "true"))

    con = store.connect(data_dir)  # follow-ups found after the commit, in their own transaction (as ingest does)
    (rec,) = con.execute("SELECT id FROM recommendations").fetchone()
    later = con.execute("SELECT p.id FROM points p JOIN documents d ON d.id = p.doc_id WHERE d.source NOT LIKE '%000_%' "
                        "ORDER BY p.id LIMIT 2").fetchall()
    followup.write(con, [(rec, pid, 0.9) for (pid,) in later])
    con.close()
    assert_current(data_dir)
    assert ask(data_dir, f"<{rdf.iri('recommendation', rec)}> ckg:addressedIn <{rdf.iri('point', later[0][0])}>")
    con = store.connect(data_dir)  # the point's document goes: its follow-up goes with it (cascade, logged)
    (doc,) = con.execute("SELECT doc_id FROM points WHERE id = ?", (later[0][0],)).fetchone()
    con.execute("BEGIN")
    store.delete_document(con, doc)
    store.set_state(con, "generation", str(int(store.get_state(con, "generation", "0")) + 1))
    con.execute("COMMIT")
    con.close()
    assert_current(data_dir)
    commit(data_dir, [herefordshire])  # the report's claim and recommendation go: so do the links to it
    assert_current(data_dir)
    assert not ask(data_dir, "?r ckg:addressedIn ?p")


def logged(data_dir: Path) -> set[str]:
    """The kinds of owner the latest generation rewrote."""
    con = store.connect(data_dir, readonly=True)
    try:
        return {r[0] for r in con.execute("SELECT kind FROM rdf_log WHERE generation = (SELECT max(generation) FROM rdf_log)")}
    finally:
        con.close()


def test_an_inspection_documents_share_is_replayed_as_its_mentions_come_and_go(tmp_path):
    """An inspection the record lacks (Kent's CQC assurance visit, named by the item and the PDF of one meeting) is in its own
    graph, logged when it is made and when its last mention goes; a mention joining or leaving rewrites only its document's
    graph. After each step the store updated in place equals a fresh export."""
    from test_minutes_events import ITEM, PDF, kent_events, write

    item, pdf = need(KENT_ITEMS / ITEM), need(KENT_PDF / PDF)
    data_dir = build_sample(tmp_path / "d")
    assert_current(data_dir)
    primary = (data_dir / "rdf" / "store").stat().st_ino
    write(data_dir, [item])  # the first mention: the event is made
    ((eid, docs),) = kent_events(data_dir)
    assert docs == [ITEM] and "inspection" in logged(data_dir)
    assert_current(data_dir)
    steps = [([pdf], [], [PDF, ITEM]),  # a second mention joins
             ([item], [], [PDF, ITEM]),  # one re-ingested: the event stays, and its IRI
             ([], [pdf], [ITEM])]  # one deleted: the other still names it
    for paths, drop, want in steps:
        write(data_dir, paths, drop)
        assert kent_events(data_dir) == [(eid, want)] and "inspection" not in logged(data_dir)
        assert_current(data_dir)
    write(data_dir, drop=[item])  # the last mention goes: so does the event
    assert kent_events(data_dir) == [] and "inspection" in logged(data_dir)
    con = store.connect(data_dir, readonly=True)
    assert con.execute("SELECT count(*) FROM minutes_events WHERE council_id = 'E10000016'").fetchone()[0] == 0
    con.close()
    assert_current(data_dir)
    assert not ask(data_dir, f"<{rdf.iri('inspection', eid)}> ?p ?o")
    write(data_dir, [pdf, item])  # both back: the same event, at the same IRI
    assert kent_events(data_dir) == [(eid, [PDF, ITEM])]
    assert_current(data_dir)
    assert (data_dir / "rdf" / "store").stat().st_ino == primary, "the store was rebuilt, not updated in place"


def test_a_store_behind_by_more_than_the_log_holds_is_rebuilt(tmp_path):
    data_dir = build_sample(tmp_path / "d")
    sparql.open_store(data_dir)
    primary = (data_dir / "rdf" / "store").stat().st_ino
    more = copies(tmp_path / "more", 1)
    for _ in range(store.LOG_KEEP + 1):
        commit(data_dir, more)
    con = store.connect(data_dir, readonly=True)
    assert not rdf_store.replayable(con, 1, rdf_store.generation(con))
    assert con.execute("SELECT min(generation) FROM rdf_log").fetchone()[0] > 1  # pruned
    con.close()
    assert_current(data_dir)
    assert (data_dir / "rdf" / "store").stat().st_ino != primary


def test_ingest_updates_a_built_store_after_its_commit(sample_data, tmp_path):
    data = copy_data(sample_data, tmp_path / "d")
    first = rdf_store.sync(data)
    batch = tmp_path / "batch"
    batch.mkdir()
    seed_variant("004", batch / "variant_004.txt", "in-place")
    res = cli("ingest", str(batch), "--data", str(data))
    assert res.exit_code == 0, res.output
    con = store.connect(data, readonly=True)
    gen = rdf_store.generation(con)
    con.close()
    assert gen == first[0] + 1 and rdf_store.recorded(data)["generation"] == gen  # before any reader came
    assert rdf_store.snapshot_path(data, gen).is_dir()
    assert_current(data)


def test_a_data_directory_with_the_old_cache_is_upgraded(tmp_path):
    """The previous version: no change log in SQLite, and rdf/gen-<g>-<fingerprint>/ holding triples in the default graph."""
    data_dir = build_sample(tmp_path / "d")
    con = store.connect(data_dir)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'rdf_log%'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    con.execute("DROP TABLE rdf_log")
    con.execute("DELETE FROM state WHERE key='rdf_log_since'")
    old = data_dir / "rdf" / f"gen-1-{sparql.fingerprint(con)}"
    old.mkdir(parents=True)
    rdf.to_oxigraph(con, old / "store").flush()
    (old / "triples.nt").write_text("".join(rdf.ntriples(con)), encoding="utf-8")
    con.close()
    assert_current(data_dir)  # a reader: the log is missing, so the store is built; the old cache goes
    assert not list((data_dir / "rdf").glob("gen-*"))
    primary = (data_dir / "rdf" / "store").stat().st_ino
    drop_haringey(data_dir)  # the first writer gains the log, from this generation on
    assert_current(data_dir)
    assert (data_dir / "rdf" / "store").stat().st_ino == primary


SYNC = "import sys\nfrom councilkg.graph import rdf_store\nprint('ready', flush=True)\nrdf_store.sync(sys.argv[1])\n"


def _sync_process(data_dir: Path) -> tuple[subprocess.Popen, float]:
    proc = subprocess.Popen([sys.executable, "-c", SYNC, str(data_dir)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc, time.monotonic()


@pytest.fixture(scope="module")
def behind(tmp_path_factory):
    """A store built at generation 2 of 120 documents, the database at generation 3 with 120 of them rewritten."""
    root = tmp_path_factory.mktemp("rdf-crash")
    data_dir = build_sample(root / "base")
    more = copies(root / "more", 120)
    commit(data_dir, more)
    rdf_store.sync(data_dir)
    commit(data_dir, more, made_up=True)
    return root, data_dir


@pytest.mark.slow
def test_sigkill_during_the_in_place_update_is_replayed_on_next_use(behind):
    root, base = behind
    clean = copy_data(base, root / "clean")
    proc, t0 = _sync_process(clean)
    assert proc.wait(timeout=300) == 0
    took = time.monotonic() - t0
    want = export(base)
    outcomes = []
    for n, f in enumerate((0.0, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95, 1.1)):
        data_dir = copy_data(base, root / f"trial-{n:02d}")
        proc, t0 = _sync_process(data_dir)
        time.sleep(f * took)
        alive = proc.poll() is None
        if alive:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        state = json.loads((data_dir / "rdf" / "state.json").read_text()) if (data_dir / "rdf" / "state.json").exists() else None
        assert state is None or state["generation"] in (2, 3)
        outcomes.append((n, round(f * took, 2), alive, state and state["generation"]))
        assert isomorphic(triples(sparql.open_store(data_dir)), want), f"trial {n}: killed at {f * took:.2f} s"
        assert rdf_store.recorded(data_dir)["generation"] == 3
    print(f"\nuninterrupted update {took:.2f} s; trial, killed at (s), was running, recorded generation after the kill:")
    for o in outcomes:
        print("  ", *o)
    assert sum(o[2] for o in outcomes) >= 6, "too few kills landed while the update ran: grow the batch"
    assert any(o[2] and o[3] == 2 for o in outcomes), "no kill landed inside the replay"


def test_linked_data_and_the_whole_graph_download_read_every_graph(tmp_path):
    from councilkg.web.app import create_app

    data_dir = build_sample(tmp_path / "d")
    client = create_app(data_dir).test_client()
    want = export(data_dir)
    for ext, fmt in (("nt", "nt"), ("ttl", "turtle")):
        r = client.get(f"/export.{ext}")
        assert r.status_code == 200 and isomorphic(Graph().parse(data=r.data, format=fmt), want), ext
    council = rdf.iri("council", HARINGEY)
    r = client.get(f"/id/council/{HARINGEY}?format=nt")
    got = Graph().parse(data=r.data, format="nt")
    assert r.status_code == 200 and set(want.triples((council, None, None))) <= set(got)  # its own graph
    assert any(s != council for s, _, _ in got)  # and links from documents' graphs
