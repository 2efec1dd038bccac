"""SIGKILL `councilkg ingest` while it retires points and inserts rows in Milvus, once written, and around the commit: stateless
readers stay on a whole committed generation, the data directory answers as before (or, once committed, as after), and a
rerun ends as an uninterrupted run, row for row."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from conftest import COUNCILKG
from reliability import answers, cli, copy_data, seed_variant
from test_milvus import state, to_milvus


def committed(data) -> int:
    return int(state(data, "generation") or 0)


def _count(client, name: str, expr: str = "") -> int:
    client.load_collection(name)
    return client.query(name, filter=expr, output_fields=["count(*)"])[0]["count(*)"]


def milvus_view(client, instance: str, gen: int) -> dict:
    """The generation published to stateless readers, the rows it holds (whole or not: its recorded count), and per
    collection of this instance its rows: all, and added by `gen` (`_retired`: retired by `gen`)."""
    from councilkg.embed.milvus import RETIRED, generation_info, live_in, parse_collection, retired_of
    from councilkg.embed.milvus_grow import published

    at, pub = published(client, instance)
    if at is not None:
        client.load_collection(retired_of(at))
    whole = at is not None and _count(client, at, live_in(client, "test", at, pub)) == generation_info(client, at)["points"]
    out: dict = {"published": pub, "whole": whole}
    for name in client.list_collections():
        found = parse_collection(name)
        if found and found[0] == instance:
            field = "gen_retired" if found[2] == RETIRED else "gen_added"
            out[found[2]] = {"base": found[1], "all": _count(client, name), "added": _count(client, name, f"{field} == {gen}")}
    return out


# When to freeze the ingest (SIGSTOP), inspect, then SIGKILL it: each a condition polled on Milvus or the database.
def _rows(kind: str):
    def cond(client, instance, gen, data):
        from councilkg.embed.milvus import RETIRED, parse_collection

        names = [n for n in client.list_collections() if (f := parse_collection(n)) and f[0] == instance and f[2] == kind]
        return any(_count(client, n, f"gen_{'retired' if kind == RETIRED else 'added'} == {gen}") for n in names)
    return cond


def _gen_dir_begun(client, instance, gen, data):
    """The generation directory is written only after both collections are flushed."""
    return (data / "index" / f"gen-{gen:06d}.tmp").exists() or (data / "index" / f"gen-{gen:06d}").exists()


TRIGGERS = {
    "points retired": _rows("_retired"),  # the changed document's old points being retired (rows of `_retired`)
    "points added": _rows("_points"),  # its new rows and the new document's being inserted
    "passages added": _rows("_passages"),  # points done, passages being written
    "generation directory begun": _gen_dir_begun,  # written and flushed; the rename and the commit follow
    "database committed": lambda client, instance, gen, data: committed(data) >= gen,  # publishing follows
}


@pytest.fixture(scope="module")
def world(sample_data, milvus, tmp_path_factory):
    """A batch that changes one document and adds another, and the answers and Milvus rows an uninterrupted run gives on
    a Milvus copy of the sample holding the document's first version."""
    from councilkg.embed.pipeline import ingest

    root = tmp_path_factory.mktemp("milvus-crash")
    batch = root / "batch"
    batch.mkdir()
    base = copy_data(sample_data, root / "base")
    seed_variant("000", batch / "variant_000.txt", "milvus-crash")
    assert ingest([str(batch)], base).ingested == 1
    seed_variant("000", batch / "variant_000.txt", "milvus-crashed")  # the same file changed: its points are retired
    seed_variant("004", batch / "variant_004.txt", "milvus-crash")
    ref = to_milvus(base, root / "ref", milvus.uri)
    gen = committed(ref) + 1
    t0 = time.monotonic()
    res = subprocess.run([str(COUNCILKG), "ingest", str(batch), "--data", str(ref)], capture_output=True, text=True,
                         env=dict(os.environ, HF_HUB_OFFLINE="1"))
    print(f"\nuninterrupted ingest of the batch into Milvus: {time.monotonic() - t0:.1f} s")
    assert res.returncode == 0, res.stderr
    view = milvus_view(milvus.client(), state(ref, "instance"), gen)
    assert view["published"] == gen and view["whole"] and view["_points"]["base"] == gen - 1, view  # grown, not rebuilt
    assert view["_retired"]["added"] > 0 and view["_points"]["added"] > 0, view
    return {"root": root, "base": base, "batch": batch, "gen": gen, "after": answers(ref), "full": view}


def test_sigkill_during_a_milvus_ingest(world, milvus):
    client = milvus.client()
    outcomes = []
    gen = world["gen"]
    for n, (label, cond) in enumerate(TRIGGERS.items()):
        data = to_milvus(world["base"], world["root"] / f"trial-{n}", milvus.uri)
        instance, old = state(data, "instance"), committed(data)
        before = answers(data)
        proc = subprocess.Popen([str(COUNCILKG), "ingest", str(world["batch"]), "--data", str(data)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, HF_HUB_OFFLINE="1"))
        while proc.poll() is None and not cond(client, instance, gen, data):
            time.sleep(0.002)
        running = proc.poll() is None
        if running:
            os.kill(proc.pid, signal.SIGSTOP)  # frozen while we look, so what we see is where it was killed
        view, now = milvus_view(client, instance, gen), committed(data)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # what stateless readers see is a committed generation, never ahead of the database, and whole
        assert view["published"] <= now and view["whole"], (label, view)
        if now == old:
            full = view["_passages"]["added"] == world["full"]["_passages"]["added"]
            where = "written, not committed" if full else "mid-write" if view["_retired"]["added"] else "before the write"
            assert answers(data) == before, label
        else:
            where = "committed, published " + ("too" if view["published"] == now else "behind")
            assert answers(data) == world["after"], label
            assert milvus_view(client, instance, gen)["published"] == now, "the data directory's Searcher publishes it"
        res = cli("ingest", str(world["batch"]), "--data", str(data))
        assert res.exit_code == 0, res.output
        again = milvus_view(client, instance, gen)
        assert committed(data) == gen and again == world["full"], (label, again)  # nothing lost, nothing doubled
        assert answers(data) == world["after"], label
        outcomes.append((label, running, where, view["published"]))
    print("\ntrigger, was running, state when killed, published generation:")
    for o in outcomes:
        print("  ", *o)
    seen = {o[2] for o in outcomes}
    assert {"mid-write", "written, not committed", "committed, published behind"} <= seen, outcomes
