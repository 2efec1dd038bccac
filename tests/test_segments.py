"""Indexes that grow by segments: ingests that add and change documents (with merges, and after `compact`) answer every
filtered search exactly as one ingest of the same files; kills during a merge lose nothing; an older format is upgraded."""

from __future__ import annotations

import json
import shutil
import threading
import time

import numpy as np
import pytest
from conftest import SAMPLE
from reliability import FILTERS, QUERIES, cli, copy_data, seed_variant, snapshot

from councilkg.graph import store


def _place(src, seeds: list[str], variants: dict[str, str] | None = None) -> None:
    """`src` holds the sample files of `seeds` (those in `variants` reworded by the given tag), with their manifest rows."""
    header, *rows = (SAMPLE / "manifest.csv").read_text(encoding="utf-8").splitlines()
    for seed in seeds:
        f = next(SAMPLE.glob(f"{seed}_*.txt"))
        if seed in (variants or {}):
            seed_variant(seed, src / f.name, variants[seed])
        elif not (src / f.name).exists():
            shutil.copy(f, src)
    (src / "manifest.csv").write_text("\n".join([header, *(r for r in rows if r[:3] in seeds)]) + "\n", encoding="utf-8")


def _answers(data) -> list:
    """Every fixed query under every filter: hits (id, score to 4 places) and facets, from a fresh Searcher."""
    from councilkg.embed.search import Searcher

    s = Searcher(data)
    try:
        out = []
        for f in FILTERS:
            for q in QUERIES:
                r = s.search(q, k=8, **f)
                out.append((q, json.dumps(f), [(h["id"], round(h["score"], 4)) for h in r["hits"]], r["facets"]))
        return out
    finally:
        s._encode_pool.shutdown(wait=False)


def _segments(data) -> list[dict]:
    from councilkg.embed.index import manifest

    con = store.connect(data, readonly=True)
    try:
        return manifest(data, int(store.get_state(con, "generation")))["segments"]
    finally:
        con.close()


@pytest.fixture(scope="module")
def grown(tmp_path_factory, monkeypatch_module):
    """Five ingests that add files and reword (replace) two of them, merging whenever two segments share a tier; and one
    ingest of the final files into an empty directory."""
    from councilkg.embed import grow
    from councilkg.embed.pipeline import ingest

    monkeypatch_module.setattr(grow, "FACTOR", 4)  # a merge in the fourth ingest, several segments at the end
    root = tmp_path_factory.mktemp("grown")
    src, data = root / "src", root / "data"
    src.mkdir()
    steps = [(["000", "001"], {}), (["000", "001", "002"], {}), (["000", "001", "002", "003"], {"000": "reworded"}),
             (["000", "001", "002", "003", "004"], {}), (["000", "001", "002", "003", "004"], {"003": "again"})]
    counts = []
    for seeds, variants in steps:
        _place(src, seeds, variants)
        report = ingest([str(src)], data)
        assert not report.failed, report.failed
        counts.append(len(_segments(data)))
    scratch = root / "scratch"
    assert not ingest([str(src)], scratch).failed
    return {"data": data, "scratch": scratch, "counts": counts, "root": root}


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_grown_segments_answer_as_one_ingest_of_the_same_files(grown):
    print("\nsegments after each ingest:", grown["counts"])
    counts = grown["counts"]
    assert any(b <= a for a, b in zip(counts, counts[1:])), f"no merge happened: {counts}"
    segs = _segments(grown["data"])
    assert len(segs) > 1 and any(e["retired"] for e in segs), segs  # retired points still inside a live segment
    want = _answers(grown["scratch"])
    assert _answers(grown["data"]) == want
    assert sum(1 for _, _, hits, _ in want if hits) > len(want) // 2, "the filters leave too little to compare"


def test_compact_merges_into_one_segment_with_the_same_answers(grown, tmp_path):
    data = copy_data(grown["data"], tmp_path / "data")
    res = cli("compact", "--data", str(data))
    assert res.exit_code == 0, res.output
    assert "merged into one" in res.output
    assert len(_segments(data)) == 1
    assert _answers(data) == _answers(grown["scratch"])


def test_an_ingest_reads_only_its_new_points_vectors(grown, tmp_path):
    """The segment an ingest writes holds only the points it added: nothing else is read into it."""
    from councilkg.embed.pipeline import ingest

    data = copy_data(grown["data"], tmp_path / "data")
    src = tmp_path / "src"
    src.mkdir()
    _place(src, ["001"], {"001": "one more"})
    before = {e["name"] for e in _segments(data)}
    report = ingest([str(src)], data)
    con = store.connect(data, readonly=True)
    total = con.execute("SELECT count(*) FROM points").fetchone()[0]
    con.close()
    new = [e for e in _segments(data) if e["name"] not in before]
    assert 0 < report.points_embedded < total
    assert [e["points"] for e in new] == [report.points_embedded], (new, report.points_embedded)


def _writing(data, gen: int) -> str | None:
    """What a running compact has on disk so far: a segment being written, or generation `gen` renamed into place."""
    index = data / "index"
    if (index / f"gen-{gen:06d}").exists():
        return "generation renamed"
    if any(p.name.endswith(".tmp") for p in index.iterdir() if p.name.startswith("seg-")):
        return "segment being written"
    if any(p.name.startswith(f"seg-{gen:06d}") for p in index.iterdir()):
        return "segment renamed"
    return None


@pytest.mark.slow
def test_sigkill_during_a_merge_leaves_old_or_new_and_a_rerun_finishes(grown, tmp_path):
    """`councilkg compact` (a full merge) killed while it writes its segment, after the rename, and around the commit: the
    directory answers as before, and a rerun ends with one segment answering the same."""
    base = grown["data"]
    want = snapshot(base)
    gen = want["generation"] + 1
    outcomes = []
    for n, (stage, delay) in enumerate([("segment being written", d) for d in (0.0, 0.01, 0.05, 0.1, 0.2)]
                                       + [("segment renamed", d) for d in (0.0, 0.002)]
                                       + [("generation renamed", d) for d in (0.0, 0.001, 0.003)]):
        data = copy_data(base, tmp_path / f"trial-{n}")
        run = _compact(data)
        got = None
        while run.poll() is None and got != stage and not (stage != "generation renamed" and got == "generation renamed"):
            got = _writing(data, gen) or got
            time.sleep(0.0005)
        time.sleep(delay)
        killed = run.poll() is None
        if killed:
            run.kill()
        run.wait(timeout=60)
        after = snapshot(data)
        assert after["answers"] == want["answers"], f"trial {n}: a killed merge changed what the directory answers"
        assert after == want or after["generation"] == gen, f"trial {n}: neither the old nor the new generation"
        res = cli("compact", "--data", str(data))
        assert res.exit_code == 0, res.output
        assert len(_segments(data)) == 1 and snapshot(data)["answers"] == want["answers"]
        outcomes.append((n, got, delay, killed, after["generation"]))
    print("\ncompact kills (trial, stage seen, delay, was running, generation after the kill):", *outcomes, sep="\n  ")
    assert sum(1 for o in outcomes if o[3] and o[1]) >= 6, "too few kills landed while the merge was writing"


def _compact(data):
    import os
    import subprocess

    from conftest import COUNCILKG

    return subprocess.Popen([str(COUNCILKG), "compact", "--data", str(data)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, HF_HUB_OFFLINE="1"))


def test_readers_during_ingest_and_merge_see_old_or_new(grown, tmp_path):
    """Searches in a loop while an ingest (with a merge) and a compact commit: every answer is the old or the new one."""
    from councilkg.embed import grow
    from councilkg.embed.compact import compact
    from councilkg.embed.pipeline import ingest
    from councilkg.embed.search import Searcher

    data = copy_data(grown["data"], tmp_path / "data")
    src = tmp_path / "src"
    src.mkdir()
    _place(src, ["002"], {"002": "read while written"})
    q = QUERIES[0]
    s = Searcher(data)
    old = [h["id"] for h in s.search(q, k=8)["hits"]]
    seen, errors, stop = [], [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                seen.append([h["id"] for h in s.search(q, k=8)["hits"]])
            except Exception as e:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(repr(e))

    t = threading.Thread(target=read)
    t.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(grow, "FACTOR", 2)
            ingest([str(src)], data)
        mid = [h["id"] for h in Searcher(data).search(q, k=8)["hits"]]
        compact(data)
        time.sleep(0.5)
    finally:
        stop.set()
        t.join()
    s._encode_pool.shutdown(wait=False)
    assert not errors, errors[:3]
    assert seen and all(a in (old, mid) for a in seen)


def test_a_directory_of_the_previous_format_is_upgraded_in_place_without_embedding(sample_data, tmp_path):
    """index/gen-N as an older councilkg wrote it (one whole index, format 3): the first search upgrades it to segments from
    the stored vectors, with the same answers and not one vector added."""
    from councilkg.embed.index import gen_dir

    data = copy_data(sample_data, tmp_path / "old")
    want = snapshot(sample_data)["answers"]
    con = store.connect(data)
    gen, n_vectors = int(store.get_state(con, "generation")), con.execute("SELECT count(*) FROM vectors").fetchone()[0]
    points = [r[0] for r in con.execute("SELECT id FROM points ORDER BY id")]
    con.close()
    shutil.rmtree(data / "index")
    old = gen_dir(data, gen)
    old.mkdir(parents=True)
    (old / "info.json").write_text(json.dumps({"generation": gen, "format": 3, "points": len(points), "vector_index": "flat"}))
    np.save(old / "point_ids.npy", np.array(points, dtype="S16"))
    (old / "vectors.faiss").write_bytes(b"an index an older councilkg wrote")
    assert snapshot(data)["answers"] == want  # the search upgrades, then answers
    con = store.connect(data, readonly=True)
    assert int(store.get_state(con, "generation")) == gen + 1
    assert con.execute("SELECT count(*) FROM vectors").fetchone()[0] == n_vectors
    con.close()
    assert len(_segments(data)) == 1
    res = cli("ingest", str(SAMPLE), "--data", str(data))
    assert res.exit_code == 0 and "0 ingested" in res.output and f"generation {gen + 1}" in res.output, res.output


def test_an_ingest_upgrades_a_previous_format_directory_too(sample_data, tmp_path):
    """The next ingest (of nothing new) upgrades an older index without embedding: 0 points embedded, one segment."""
    from councilkg.embed.index import gen_dir

    data = copy_data(sample_data, tmp_path / "old")
    con = store.connect(data)
    gen = int(store.get_state(con, "generation"))
    con.close()
    (gen_dir(data, gen) / "info.json").write_text(json.dumps({"generation": gen, "format": 3, "vector_index": "flat"}))
    res = cli("ingest", str(SAMPLE), "--data", str(data), "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["points_embedded"] == 0 and report["generation"] == gen + 1 and report["unchanged"] == 5
    assert len(_segments(data)) == 1 and snapshot(data)["answers"] == snapshot(sample_data)["answers"]


def test_a_reader_loads_only_the_segments_a_new_generation_adds(grown, tmp_path):
    """After an ingest, a Searcher keeps the segment objects it holds and reads only the new one from disk."""
    from councilkg.embed.pipeline import ingest
    from councilkg.embed.search import Searcher

    data = copy_data(grown["data"], tmp_path / "data")
    src = tmp_path / "src"
    src.mkdir()
    _place(src, ["004"], {"004": "only this"})
    s = Searcher(data)
    s.search(QUERIES[1], k=3)
    before = {p.seg.name: p.seg for p in s._loaded.idx.parts}
    ingest([str(src)], data)
    s.search(QUERIES[1], k=3)
    after = {p.seg.name: p.seg for p in s._loaded.idx.parts}
    s._encode_pool.shutdown(wait=False)
    kept = set(before) & set(after)
    assert kept and all(after[n] is before[n] for n in kept)
    assert len(set(after) - set(before)) == 1


def test_exact_ties_fall_by_point_id_across_segments_as_in_one_ingest(tmp_path):
    """Copies of one file (each with a line of its own) ingested one at a time tie exactly on their shared points' scores; they rank as one ingest of all copies ranks them."""
    from councilkg.embed.pipeline import ingest
    from councilkg.embed.search import Searcher

    seed = next(SAMPLE.glob("002_*.txt"))
    src, grown, scratch = tmp_path / "src", tmp_path / "grown", tmp_path / "scratch"
    src.mkdir()
    for name in ("c", "a", "b"):  # path order differs from the ingest order
        (src / f"{name}_{seed.name}").write_text(seed.read_text(encoding="utf-8") + f"\n\nCopy {name}.\n", encoding="utf-8")
        assert not ingest([str(src)], grown).failed
    assert not ingest([str(src)], scratch).failed
    assert len(_segments(grown)) > 1
    for q in QUERIES[:3]:
        for mode in ("weighted", "vector", "lexical", "rrf"):
            got, want = (Searcher(d).search(q, k=9, mode=mode)["hits"] for d in (grown, scratch))
            assert mode == "rrf" or [h["score"] for h in got].count(got[0]["score"]) > 1, "the copies do not tie"
            assert [h["id"] for h in got] == [h["id"] for h in want], (q, mode)
