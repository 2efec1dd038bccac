"""Issue 19, Milvus updated in place: after ingests that add and change documents, a data directory on Milvus and a
stateless searcher over its shard answer as a FAISS directory of the same files, every filter, with retired rows still in
the collections; and an increment writes rows in proportion to the change, not to the corpus."""

from __future__ import annotations

import json

import pytest
from engines import serve_milvus
from reliability import FILTERS, copy_data, seed_variant
from test_milvus import QUERIES, state, to_milvus

STEPS = [  # (file, tag): what each ingest writes into the shared folder before both directories ingest it
    [("variant_000.txt", "000", "alpha")],
    [("variant_000.txt", "000", "beta"), ("variant_004.txt", "004", "alpha")],  # one changed, one new
    [("variant_004.txt", "004", "gamma")],  # one document of several changed: the increment the rows are counted on
    [("variant_000.txt", "000", "delta")],  # by now the rows the second step retired are no reader's: deleted
]


@pytest.fixture(scope="module")
def own_milvus(tmp_path_factory):
    """A Milvus of this module's alone, so a stateless searcher over it sees only the shard grown here."""
    yield from serve_milvus(tmp_path_factory, "milvus-grow")


@pytest.fixture(scope="module")
def grown(sample_data, own_milvus, tmp_path_factory):
    """The sample on FAISS and on Milvus, each then given the same ingests (FAISS then compacted); each Milvus generation's info."""
    from councilkg.embed.compact import compact
    from councilkg.embed.pipeline import ingest

    root = tmp_path_factory.mktemp("grow")
    src = root / "src"
    src.mkdir()
    faiss = copy_data(sample_data, root / "faiss")
    milvus = to_milvus(sample_data, root / "milvus", own_milvus.uri)
    infos = []
    for step in STEPS:
        for name, seed, tag in step:
            seed_variant(seed, src / name, tag)
        for data in (faiss, milvus):
            assert ingest([str(src)], data).ingested == len(step)
        gen = int(state(milvus, "generation"))
        infos.append(json.loads((milvus / "index" / f"gen-{gen:06d}" / "info.json").read_text()))
    compact(faiss)  # one segment of every point, as a from-scratch build (grown segments' facets lag; see the report)
    return faiss, milvus, infos


def _answer(data, q: str, **f) -> dict:
    from councilkg.embed.search import Searcher

    return Searcher(data).search(q, **{"k": 10} | f)


def _ranked(answer: dict) -> list[tuple[float, str]]:
    """Hits as (score, id) in score order, equal scores (a changed document's unchanged points tie with the seed's) by id,
    rounded so that float noise between engines does not reorder them."""
    return sorted((-round(h["score"], 4), h["id"]) for h in answer["hits"])


def _same(got: dict, want: dict, label) -> None:
    assert _ranked(got) == _ranked(want), label
    assert [h["score"] for h in got["hits"]] == pytest.approx([h["score"] for h in want["hits"]], abs=1e-4), label
    assert got.get("facets") == want.get("facets"), label


def test_grown_in_place_not_rebuilt(grown):
    _, _, infos = grown
    base = infos[0]["base"]
    assert base < infos[0]["generation"] and all(i["base"] == base for i in infos), infos  # one pair of collections


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_every_filter_answers_as_faiss_after_the_increments(grown, filters):
    faiss, milvus, _ = grown
    for q in QUERIES[:3]:
        _same(_answer(milvus, q, **filters), _answer(faiss, q, **filters), (q, filters))
    for mode in ("lexical", "vector"):
        _same(_answer(milvus, QUERIES[0], mode=mode, **filters), _answer(faiss, QUERIES[0], mode=mode, **filters), mode)


def test_stateless_search_over_the_grown_shard_answers_as_faiss(grown, own_milvus):
    """Retired rows not yet deleted are in the collection (Milvus's own BM25 statistics count them); ours do not."""
    from councilkg.embed.milvus import collection
    from councilkg.embed.shards import ShardSearcher

    faiss, milvus, infos = grown
    c = own_milvus.client()
    name = collection(infos[-1]["instance"], infos[-1]["base"])
    c.load_collection(name)
    total = c.query(name, filter="", output_fields=["count(*)"])[0]["count(*)"]
    assert total > infos[-1]["points"], "retired rows are still there"
    s = ShardSearcher(own_milvus.uri)
    for q in QUERIES:
        for mode in ("lexical", "vector", None):
            got, want = s.search(q, k=10, mode=mode, with_facets=False), _answer(faiss, q, mode=mode, with_facets=False)
            _same(got, want, (q, mode))
    assert s.search(QUERIES[0], k=10, council="Herefordshire")["hits"]


def test_an_increment_writes_rows_in_proportion_to_the_change(grown):
    """One changed document of several: its new points and passages are written, its old ones retired, nothing else."""
    import sqlite3

    _, milvus, infos = grown
    con = sqlite3.connect(milvus / "councilkg.sqlite")
    doc = con.execute("SELECT id FROM documents WHERE path_key LIKE '%variant_004.txt'").fetchone()[0]
    points = con.execute("SELECT count(*) FROM points WHERE doc_id = ?", (doc,)).fetchone()[0]
    passages = con.execute("SELECT count(*) FROM passages ps JOIN points p ON p.id = ps.point_id WHERE p.doc_id = ?",
                           (doc,)).fetchone()[0]
    total = con.execute("SELECT count(*) FROM points").fetchone()[0]
    con.close()
    before, last = infos[1], infos[2]
    written = last["written"]
    assert written["points"] == points and written["passages"] == passages, written
    # the same document's previous version (same sizes here): one row of `_retired` per point, nothing rewritten
    assert written["retired"] == points and written["retired_passages"] == passages, written
    assert written["points"] * 4 < total, (written, total)  # the change, not the corpus
    assert last["points"] == before["points"] == infos[3]["points"] == total
    stale = infos[1]["written"]["retired"] + infos[1]["written"]["retired_passages"]
    assert [i["written"]["deleted"] for i in infos] == [0, 0, 0, stale], infos


def test_two_stateless_readers_during_an_increment_see_before_or_after(grown, own_milvus):
    """While `councilkg ingest` changes a document in place, two stateless searchers (two servers' worth, in this
    process) answer each query as before it or as after it, never a mixture; after it, both answer as FAISS."""
    import os
    import subprocess

    from conftest import COUNCILKG
    from councilkg.embed.pipeline import ingest
    from councilkg.embed.shards import ShardSearcher

    faiss, milvus, _ = grown
    readers = [ShardSearcher(own_milvus.uri), ShardSearcher(own_milvus.uri)]
    qs = ("Task and Finish Group action plan", QUERIES[0])  # the first: words of the changed document's old text

    def view(s) -> list:
        return [_ranked(s.search(q, k=10, with_facets=False)) for q in qs]

    before = view(readers[0])
    src = milvus.parent / "src"
    seed_variant("001", src / "variant_004.txt", "epsilon")  # another meeting's text: every point changes
    proc = subprocess.Popen([str(COUNCILKG), "ingest", str(src), "--data", str(milvus)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    seen = []
    while proc.poll() is None:
        seen += [view(r) for r in readers]
    assert proc.wait() == 0, proc.stderr.read()
    after = view(readers[1])
    assert before != after and seen, "the change moves these queries' answers"
    # per query: the generation may move between one query and the next, so a view can hold one of each
    bad = [(q, got) for v in seen for q, got, b, a in zip(qs, v, before, after) if got not in (b, a)]
    assert not bad, f"{len(bad)} of {len(seen) * len(qs)} answers were neither before nor after; first: {bad[0]}"
    assert ingest([str(src)], faiss).ingested == 1
    for r in readers:
        assert view(r) == [_ranked(_answer(faiss, q, with_facets=False)) for q in qs]


def test_an_increment_retiring_more_than_the_cap_builds_a_new_base(grown, own_milvus, monkeypatch):
    """Above milvus_grow.RETIRE_MAX retired points the increment builds its collections whole (readers' `pos not in`
    list stays bounded); the alias moves after the commit, stateless readers answer as FAISS, and the next increment
    grows the new base in place."""
    from councilkg.embed import milvus_grow
    from councilkg.embed.milvus import collection
    from councilkg.embed.pipeline import ingest
    from councilkg.embed.shards import ShardSearcher

    faiss, milvus, _ = grown
    src = milvus.parent / "src"
    monkeypatch.setattr(milvus_grow, "RETIRE_MAX", 2)
    seed_variant("000", src / "variant_000.txt", "zeta")  # every point of this document retired: more than 2
    for data in (faiss, milvus):
        assert ingest([str(src)], data).ingested == 1
    gen = int(state(milvus, "generation"))
    info = json.loads((milvus / "index" / f"gen-{gen:06d}" / "info.json").read_text())
    assert info["base"] == gen and info["written"]["points"] == info["points"], info  # built whole
    assert milvus_grow.published(own_milvus.client(), info["instance"]) == (collection(info["instance"], gen), gen)
    s = ShardSearcher(own_milvus.uri)
    for q in QUERIES[:3]:
        _same(s.search(q, k=10, with_facets=False), _answer(faiss, q, with_facets=False), q)
    monkeypatch.setattr(milvus_grow, "RETIRE_MAX", 10_000)
    seed_variant("004", src / "variant_004.txt", "eta")
    for data in (faiss, milvus):
        assert ingest([str(src)], data).ingested == 1
    grown_info = json.loads((milvus / "index" / f"gen-{gen + 1:06d}" / "info.json").read_text())
    assert grown_info["base"] == gen and 0 < grown_info["written"]["retired"] <= 10_000, grown_info  # in place again
    for q in QUERIES[:3]:
        _same(_answer(milvus, q, with_facets=False), _answer(faiss, q, with_facets=False), q)


def test_a_reader_moves_an_alias_a_killed_writer_left_on_the_old_base(grown, own_milvus, monkeypatch):
    """A writer killed between its commit and its publish of a new base (an increment above the cap) leaves the alias on
    the old base at the old generation: the next reader of the data directory publishes the committed one, alias too."""
    from councilkg.embed import milvus_grow
    from councilkg.embed.milvus import alias, collection

    faiss, milvus, _ = grown
    src = milvus.parent / "src"
    monkeypatch.setattr(milvus_grow, "RETIRE_MAX", 2)
    seed_variant("000", src / "variant_000.txt", "theta")
    for data in (faiss, milvus):
        assert ingest_one(src, data)
    gen = int(state(milvus, "generation"))
    info = json.loads((milvus / "index" / f"gen-{gen:06d}" / "info.json").read_text())
    before = json.loads((milvus / "index" / f"gen-{gen - 1:06d}" / "info.json").read_text())
    old = collection(info["instance"], int(before["base"]))
    client = own_milvus.client()
    assert info["base"] == gen and client.has_collection(old)  # a new base; the old one kept for readers still on it
    client.alter_alias(old, alias(info["instance"]))  # as if the writer died before moving it
    assert milvus_grow.published(client, info["instance"]) == (old, gen - 1)
    q = QUERIES[0]
    _same(_answer(milvus, q, with_facets=False), _answer(faiss, q, with_facets=False), q)
    assert milvus_grow.published(client, info["instance"]) == (collection(info["instance"], gen), gen)


def ingest_one(src, data) -> bool:
    from councilkg.embed.pipeline import ingest

    return ingest([str(src)], data).ingested == 1


def test_a_directory_of_an_older_format_is_rebuilt_once_on_its_first_search(grown):
    """Collections an older councilkg wrote (here: the generation's info.json says format 3) are not grown or read: the
    first search rebuilds them whole as a new generation, nothing embedded again, and answers as FAISS."""
    from councilkg.embed.milvus import FORMAT

    faiss, milvus, _ = grown
    gen = int(state(milvus, "generation"))
    path = milvus / "index" / f"gen-{gen:06d}" / "info.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | {"format": FORMAT - 1}))
    got = _answer(milvus, QUERIES[0], with_facets=False)
    new = json.loads((milvus / "index" / f"gen-{gen + 1:06d}" / "info.json").read_text())
    assert int(state(milvus, "generation")) == gen + 1 and new["format"] == FORMAT and new["base"] == gen + 1, new
    _same(got, _answer(faiss, QUERIES[0], with_facets=False), "rebuilt")
